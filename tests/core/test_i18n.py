"""The core's lazy strings are translated when shown, in the reader's locale (the portal's
catalogue), stay Chinese where the core stores text, and pass through Jinja, WTForms labels and
JSON as text."""

from __future__ import annotations

import pytest
from flask import Flask, json, render_template_string, session
from wtforms import Form, StringField

from gridgov import i18n as web_i18n
from gridgov.core import i18n
from gridgov.core.i18n import Localized, _, force_locale

MESSAGE = "没有这个表单"  # in the catalogue: "No such form"


def test_a_lazy_string_is_translated_in_the_locale_of_each_reader(app: Flask):
    message = _(MESSAGE)  # made once, e.g. at import
    with app.test_request_context():
        session[web_i18n.SESSION_KEY] = "en"
        assert str(message) == "No such form"
    with app.test_request_context():
        assert str(message) == MESSAGE


def test_forced_locale_wins_over_the_readers(app: Flask):
    with app.test_request_context():
        session[web_i18n.SESSION_KEY] = "en"
        with force_locale("zh_CN"):
            assert str(_(MESSAGE)) == MESSAGE
            assert str(Localized("巡查", "Patrol")) == "巡查"
        assert str(Localized("巡查", "Patrol")) == "Patrol"


def test_outside_a_request_text_is_chinese(app: Flask):
    with app.app_context():
        assert str(_(MESSAGE)) == MESSAGE
    with force_locale("en"):  # no app: no catalogue to translate with
        assert str(_(MESSAGE)) == MESSAGE


def test_without_a_catalogue_the_source_text_is_shown(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(i18n, "_catalogue", None)
    assert str(_("第 %(n)s 行", n=3)) == "第 3 行"


def test_lazy_strings_render_in_jinja_wtforms_and_json_in_the_readers_locale(app: Flask):
    class Search(Form):
        name = StringField(_(MESSAGE))

    with app.test_request_context():
        session[web_i18n.SESSION_KEY] = "en"
        assert render_template_string("{{ m }}", m=_(MESSAGE)) == "No such form"
        assert "No such form" in str(Search().name.label)
        assert json.loads(json.dumps({"message": _(MESSAGE)})) == {"message": "No such form"}
        assert {_(MESSAGE): 1}["No such form"] == 1  # hashable like the text
