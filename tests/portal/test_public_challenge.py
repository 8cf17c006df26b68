"""The resident form's challenge is good for one check: a solved one sent again is refused, a
wrong answer spends it too, and what is remembered of spent ones is forgotten once they would
have expired anyway."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import time_machine
from sqlalchemy import func, select

from gridgov.core.db import db_session, set_tenant, utcnow
from gridgov.core.errors import DomainError
from gridgov.core.tasks import public
from gridgov.core.tasks.models import SpentChallenge, Task
from tests.portal.conftest import csrf_token
from tests.portal.test_public import PNG, answer_of


def report_data(client, county) -> tuple[str, dict]:
    grid = county.grids[0].code
    page = client.get(f"/t/changshan/public/grids/{grid}/report").get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(page),
        "challenge": re.search(r'name="challenge" type="hidden" value="([^"]+)"', page).group(1),
        "answer": answer_of(page),
        "category": "民生事项",
        "title": "楼道灯坏了",
    }
    return f"/t/changshan/public/grids/{grid}/report", data


def send(client, address: str, data: dict, **changes: str):
    form = {**data, **changes, "photo": (io.BytesIO(PNG), "灯.png")}
    return client.post(address, data=form, content_type="multipart/form-data")


def tasks_of(client, county) -> int:
    with client.application.app_context():
        session = db_session()
        set_tenant(session, county.tenant.id)
        return session.scalar(select(func.count()).select_from(Task))


def test_a_solved_challenge_sent_again_is_refused_and_files_nothing(client, county):
    address, data = report_data(client, county)
    before = tasks_of(client, county)
    assert send(client, address, data).status_code == 302
    replayed = send(client, address, data, title="又一条")
    assert replayed.status_code == 422
    assert "这道验证题已经用过" in replayed.get_data(as_text=True)
    assert tasks_of(client, county) == before + 1


def test_a_wrong_answer_spends_the_challenge_too(client, county):
    address, data = report_data(client, county)
    wrong = str(int(data["answer"]) + 1)
    assert send(client, address, data, answer=wrong).status_code == 422
    again = send(client, address, data)  # now with the right sum
    assert again.status_code == 422
    assert "这道验证题已经用过" in again.get_data(as_text=True)


def test_a_report_refused_after_its_challenge_still_spends_it(client, county):
    address, data = report_data(client, county)
    not_a_photo = {**data, "photo": (io.BytesIO(b"MZ not a picture"), "灯.png")}
    refused = client.post(address, data=not_a_photo, content_type="multipart/form-data")
    assert refused.status_code == 422
    assert "这道验证题已经用过" in send(client, address, data).get_data(as_text=True)


def test_a_form_refused_before_its_challenge_is_checked_keeps_it(client, county):
    address, data = report_data(client, county)
    assert send(client, address, data, title="").status_code == 422
    assert send(client, address, data).status_code == 302


def test_each_page_view_gets_a_challenge_of_its_own(client, county):
    address, first = report_data(client, county)
    _address, second = report_data(client, county)
    assert send(client, address, first).status_code == 302
    assert send(client, address, second).status_code == 302


def test_checking_a_challenge_twice_in_the_service_refuses_the_second(session):
    challenge = public.new_challenge("s")
    right = answer_of(challenge.question)
    public.check_challenge(session, "s", challenge.token, right)
    with pytest.raises(DomainError, match="已经用过") as replay:
        public.check_challenge(session, "s", challenge.token, right)
    assert replay.value.field == "answer"


def test_spent_challenges_are_forgotten_once_they_would_have_expired(session):
    first = public.new_challenge("s")
    with pytest.raises(DomainError):
        public.check_challenge(session, "s", first.token, "0")  # wrong: spent all the same
    assert session.scalar(select(func.count()).select_from(SpentChallenge)) == 1
    later = utcnow() + dt.timedelta(seconds=public.CHALLENGE_MAX_AGE + 5)
    with time_machine.travel(later, tick=False):
        with pytest.raises(DomainError, match="过期"):
            public.check_challenge(session, "s", first.token, "0")
        fresh = public.new_challenge("s")
        with pytest.raises(DomainError):
            public.check_challenge(session, "s", fresh.token, "0")
    assert [spent.expires_at > later for spent in session.scalars(select(SpentChallenge))] == [True]
