"""Languages: Simplified Chinese first, English from the catalogue; the choice is kept in the
session and, for a logged-in user, saved for next time. The catalogue covers the portal's and
the core services' messages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from sqlalchemy import select

from gridgov.core.accounts.models import User
from gridgov.core.db import db_session, set_tenant
from gridgov.i18n import CATALOGUES, compile_catalogues
from tests.portal.conftest import csrf_token, login, post_form

ROOT = Path(__file__).resolve().parents[2]
PLATFORM = ROOT / "platform"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")


def english_catalogue():
    with (CATALOGUES / "en" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale="en")


def translations_of(message) -> tuple[str, ...]:
    """A message's translation(s): plural forms come as a tuple."""
    if message is None:
        return ("",)
    return message.string if isinstance(message.string, tuple) else (message.string,)


def source_messages(folder: str) -> set[str]:
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    keywords = {"_": None, "_n": (1, 2), "gettext": None, "ngettext": (1, 2)}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(PLATFORM / folder), method_map=method_map, keywords=keywords
    ):
        found.update([message] if isinstance(message, str) else [m for m in message if m])
    return found


@pytest.mark.parametrize("folder", ["core", "portal"])
def test_every_message_of_the_core_and_the_portal_has_an_english_translation(folder):
    catalogue = english_catalogue()
    untranslated = sorted(
        m for m in source_messages(folder) if not all(translations_of(catalogue.get(m)))
    )
    assert untranslated == [], (
        "translate these in platform/portal/translations/en/LC_MESSAGES/messages.po "
        f"(pybabel extract -F platform/portal/translations/babel.cfg -k _n:1,2 …): {untranslated}"
    )


def test_translations_keep_every_placeholder():
    for message in english_catalogue():
        if not message.id:
            continue
        source = message.id[0] if isinstance(message.id, tuple) else message.id
        for text in translations_of(message):
            assert sorted(PLACEHOLDER.findall(source)) == sorted(PLACEHOLDER.findall(text)), source


def test_compiled_catalogues_are_generated_not_committed(app, tmp_path):
    assert list(CATALOGUES.rglob("*.mo")) == []  # the package ships only the .po sources
    assert (Path(app.instance_path) / "translations/en/LC_MESSAGES/messages.mo").exists()
    written = compile_catalogues(CATALOGUES, tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in written] == ["en/LC_MESSAGES/messages.mo"]
    assert compile_catalogues(CATALOGUES, tmp_path) == []  # up to date: nothing rewritten


def test_pages_are_in_chinese_by_default(client, county):
    page = client.get("/t/changshan/login").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page and "<h1>登录</h1>" in page


def test_the_locale_switch_changes_the_page_language(client, county):
    page = client.get("/t/changshan/login").get_data(as_text=True)
    response = client.post(
        "/t/changshan/locale",
        data={"csrf_token": csrf_token(page), "locale": "en", "next": "/t/changshan/login"},
    )
    assert response.headers["Location"] == "/t/changshan/login"
    english = client.get("/t/changshan/login").get_data(as_text=True)
    assert '<html lang="en">' in english and "<h1>Log in</h1>" in english
    assert "<h1>登录</h1>" not in english
    back = client.post(
        "/t/changshan/locale",
        data={"csrf_token": csrf_token(english), "locale": "zh_CN", "next": "/t/changshan/login"},
    )
    assert back.status_code == 302
    assert "<h1>登录</h1>" in client.get("/t/changshan/login").get_data(as_text=True)


def test_an_unknown_locale_changes_nothing(client, county):
    page = client.get("/t/changshan/login").get_data(as_text=True)
    client.post("/t/changshan/locale", data={"csrf_token": csrf_token(page), "locale": "xx"})
    assert "<h1>登录</h1>" in client.get("/t/changshan/login").get_data(as_text=True)


def test_a_logged_in_choice_is_saved_and_comes_back_at_the_next_login(app, client, county):
    login(client, "changshan", county.admin.username)
    page = client.get("/t/changshan/").get_data(as_text=True)
    client.post(
        "/t/changshan/locale",
        data={"csrf_token": csrf_token(page), "locale": "en", "next": "/t/changshan/"},
    )
    assert "County overview" in client.get("/t/changshan/").get_data(as_text=True)
    with app.app_context():
        session = db_session()
        set_tenant(session, county.tenant.id)
        saved = session.scalar(select(User.locale).where(User.id == county.admin.id))
    assert saved == "en"
    fresh = app.test_client()
    assert "<h1>登录</h1>" in fresh.get("/t/changshan/login").get_data(as_text=True)
    login(fresh, "changshan", county.admin.username)
    assert "County overview" in fresh.get("/t/changshan/").get_data(as_text=True)


def test_the_previous_users_language_is_not_forced_on_the_next(app, client, county):
    login(client, "changshan", county.admin.username)
    page = client.get("/t/changshan/").get_data(as_text=True)
    client.post("/t/changshan/locale", data={"csrf_token": csrf_token(page), "locale": "en"})
    page = client.get("/t/changshan/").get_data(as_text=True)
    client.post("/t/changshan/logout", data={"csrf_token": csrf_token(page)})
    # the login page stays in English for whoever stands at this phone …
    assert "<h1>Log in</h1>" in client.get("/t/changshan/login").get_data(as_text=True)
    # … but the next person's own setting (none: Chinese) applies once they log in
    login(client, "changshan", county.workers[0].username)
    assert "我的网格" in client.get("/t/changshan/").get_data(as_text=True)


def test_service_messages_reach_the_form_in_the_readers_language(client, county):
    login(client, "changshan", county.admin.username)
    page = client.get("/t/changshan/").get_data(as_text=True)
    client.post("/t/changshan/locale", data={"csrf_token": csrf_token(page), "locale": "en"})
    community = county.communities[0]
    response = post_form(
        client,
        f"/t/changshan/nodes/{community.id}",
        f"/t/changshan/nodes/{community.id}/children",
        {"add-code": county.grids[3].code, "add-name": "x"},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f"The code {county.grids[3].code} is already taken" in page
    assert "Grid worker" in client.get(f"/t/changshan/nodes/{county.grids[0].id}").get_data(
        as_text=True
    )


def test_an_english_page_has_no_chinese_units_levels_or_full_width_colons(client, county):
    login(client, "changshan", county.admin.username)
    page = client.get("/t/changshan/").get_data(as_text=True)
    client.post("/t/changshan/locale", data={"csrf_token": csrf_token(page), "locale": "en"})
    for path in ("/t/changshan/", "/t/changshan/tasks/dashboard"):
        english = client.get(path).get_data(as_text=True)
        body = re.sub(r"<script.*?</script>", "", english, flags=re.S)
        text = re.sub(r"<[^>]+>", " ", body)
        leftovers = re.findall(r"\S*[：条起件]\S*", text)
        assert "Your scope:" in text and leftovers == [], path


def test_an_english_page_names_the_countys_levels_in_english(client, county):
    """The county's level names (县, 乡镇, 社区, 网格) are its data, but the usual ones have an
    English word; the hierarchy's rows and the home page's counts show it."""
    login(client, "changshan", county.admin.username)
    page = client.get("/t/changshan/hierarchy").get_data(as_text=True)
    assert '<span class="tag">乡镇</span>' in page
    client.post("/t/changshan/locale", data={"csrf_token": csrf_token(page), "locale": "en"})
    english = client.get("/t/changshan/hierarchy").get_data(as_text=True)
    assert '<span class="tag">Township</span>' in english and "乡镇" not in english
    department = client.get("/t/changshan/departments").get_data(as_text=True)
    assert "Serves: " in department and "：" not in re.sub(r"<[^>]+>", "", department)
