"""One resident challenge sent twice at the same moment to two web processes on PostgreSQL:
exactly one check passes."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import delete
from sqlalchemy.engine import Engine

from gridgov.core.db import SessionFactory, set_tenant
from gridgov.core.errors import DomainError
from gridgov.core.tasks import public
from gridgov.core.tasks.models import SpentChallenge

pytestmark = pytest.mark.postgres


def test_the_same_challenge_sent_twice_at_once_passes_once(postgres_app_engine: Engine):
    challenge = public.new_challenge("s")
    a, b = re.match(r"(\d) \+ (\d)", challenge.question).groups()
    right = str(int(a) + int(b))
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def send() -> None:
        session = SessionFactory(bind=postgres_app_engine)
        try:
            set_tenant(session, None)
            start.wait()
            public.check_challenge(session, "s", challenge.token, right)
            session.commit()
            outcomes.append("passed")
        except DomainError:
            session.rollback()
            outcomes.append("refused")
        finally:
            session.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert sorted(outcomes) == ["passed", "refused"]
    finally:
        with postgres_app_engine.begin() as connection:
            connection.execute(delete(SpentChallenge))
