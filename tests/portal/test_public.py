"""The resident channel: no login, a challenge, a tracking code, a rating; the notice board
with its QR code shows the worker's phone only if they allow it."""

from __future__ import annotations

import io
import re

import pytest

from gridgov.core.accounts.models import User
from gridgov.core.db import db_session, set_tenant
from gridgov.core.tasks import public, reading, transitions
from tests.core.admission.factories import admit_example
from tests.portal.conftest import csrf_token

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6300010000000500010d0a2db40000000049454e44ae426082"
)


def answer_of(html: str) -> str:
    a, b = re.search(r"(\d) \+ (\d) = \?", html).groups()
    return str(int(a) + int(b))


def resident_report(client, county, answer=None, **fields):
    grid = county.grids[0].code
    page = client.get(f"/t/changshan/public/grids/{grid}/report").get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(page),
        "challenge": re.search(r'name="challenge" type="hidden" value="([^"]+)"', page).group(1),
        "answer": answer if answer is not None else answer_of(page),
        "category": "民生事项",
        "title": "楼道灯坏了",
        "photo": (io.BytesIO(PNG), "灯.png"),
        **fields,
    }
    return client.post(
        f"/t/changshan/public/grids/{grid}/report", data=data, content_type="multipart/form-data"
    )


def test_a_resident_reports_and_follows_the_task_by_its_code(client, county):
    sent = resident_report(client, county)
    assert sent.status_code == 302
    code = sent.headers["Location"].rsplit("/", 1)[-1]
    page = client.get(f"/t/changshan/public/track/{code}").get_data(as_text=True)
    assert code in page and "已上报" in page
    with client.application.app_context():
        session = db_session()
        set_tenant(session, county.tenant.id)
        task = reading.get_task_by_code(session, code)
        assert (task.source, task.reporter_id, task.node_id) == (
            "resident",
            None,
            county.grids[0].id,
        )
        assert len(reading.attachments(session, task)) == 1


def test_a_wrong_answer_is_refused_and_nothing_is_stored(client, county):
    response = resident_report(client, county, answer="999")
    assert response.status_code == 422
    assert "验证题答案不对" in response.get_data(as_text=True)
    with client.application.app_context():
        session = db_session()
        set_tenant(session, county.tenant.id)
        assert (
            session.scalars(
                reading.visible_tasks(session, county.admin, _everything(), reading.TaskFilter())
            ).first()
            is None
        )


def _everything():
    from gridgov.core.accounts.scope import Scope

    return Scope(everything=True)


def test_after_close_the_resident_reads_the_answer_and_then_their_rating(client, county):
    code = resident_report(client, county).headers["Location"].rsplit("/", 1)[-1]
    with client.application.app_context():
        session = db_session()
        set_tenant(session, county.tenant.id)
        task = reading.get_task_by_code(session, code)
        from gridgov.core.accounts.scope import scope_of

        station = session.get(User, county.station_staff.id)
        station.phone = "13900002222"
        for action, comment in (
            ("accept", "转物业王经理处理"),
            ("handle", "物业已换灯管"),
            ("close", "楼道灯已修好，感谢您的反映"),
        ):
            transitions.transition(
                session,
                station,
                scope_of(session, station),
                task,
                action,
                transitions.Move(comment=comment),
            )
        session.commit()
    page = client.get(f"/t/changshan/public/track/{code}").get_data(as_text=True)
    assert "楼道灯已修好，感谢您的反映" in page  # the close step answers the resident
    # The staff's own comments, names and phones stay internal.
    for internal in ("王经理", "物业已换灯管", county.station_staff.name, "13900002222"):
        assert internal not in page
    rated = client.post(
        f"/t/changshan/public/track/{code}",
        data={"csrf_token": csrf_token(page), "rating": "basic", "comment": "修得有点慢"},
    )
    assert rated.status_code == 302
    page = client.get(f"/t/changshan/public/track/{code}").get_data(as_text=True)
    assert "您的评价：基本满意" in page and 'name="rating"' not in page
    assert "楼道灯已修好，感谢您的反映" in page


def test_an_unknown_code_is_404(client, county):
    assert client.get("/t/changshan/public/track/NOPE234567").status_code == 404


def test_the_notice_board_shows_the_phone_only_when_allowed_and_has_a_qr_code(client, county):
    with client.application.app_context():
        session = db_session()
        set_tenant(session, county.tenant.id)
        worker = session.get(User, county.workers[0].id)
        worker.phone = "13800001111"
        session.commit()
    board = client.get(f"/t/changshan/public/grids/{county.grids[0].code}")
    assert board.status_code == 200
    assert county.workers[0].name in board.get_data(as_text=True)
    assert "13800001111" not in board.get_data(as_text=True)
    with client.application.app_context():
        session = db_session()
        set_tenant(session, county.tenant.id)
        public.set_notice_board(session, session.get(User, county.workers[0].id), shows_phone=True)
        session.commit()
    assert "13800001111" in client.get(
        f"/t/changshan/public/grids/{county.grids[0].code}"
    ).get_data(as_text=True)
    qr = client.get(f"/t/changshan/public/grids/{county.grids[0].code}/qr.svg")
    assert qr.mimetype == "image/svg+xml" and b"<svg" in qr.data


def test_a_community_is_not_a_public_grid(client, county):
    assert client.get(f"/t/changshan/public/grids/{county.communities[0].code}").status_code == 404


def test_reports_from_one_address_are_rate_limited(another_app, county):
    # The shared app runs with the limiter off; this one has it on.
    limited = another_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
    client = limited.test_client()
    codes = [resident_report(client, county).status_code for _ in range(11)]
    assert codes[:10] == [302] * 10 and codes[10] == 429


def test_public_pages_need_no_login_but_the_portal_does(client, county):
    assert client.get(f"/t/changshan/public/grids/{county.grids[0].code}/report").status_code == 200
    assert client.get("/t/changshan/tasks").status_code == 302


@pytest.mark.parametrize("secret", ["s1"])
def test_a_challenge_token_from_another_secret_is_refused(session, secret):
    from gridgov.core.errors import DomainError

    challenge = public.new_challenge("other-secret")
    with pytest.raises(DomainError):
        public.check_challenge(session, secret, challenge.token, "2")


def test_residents_report_a_modules_public_type_once_the_county_admitted_it(app, client, county):
    pollution = "env_patrol.pollution::烟尘扰民"
    assert resident_report(client, county, category=pollution).status_code == 422
    admit_example(app, county)
    sent = resident_report(client, county, category=pollution)
    assert sent.status_code == 302
    code = sent.headers["Location"].rsplit("/", 1)[-1]
    assert "待核实" in client.get(f"/t/changshan/public/track/{code}").get_data(as_text=True)
