"""The SDK's input checks refuse on the field, in both languages (docs/sdk.md, inputs)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import pytest
import time_machine

from gridgov.core.db import set_tenant
from gridgov.sdk import inputs
from gridgov.sdk.errors import DomainError
from tests.factories import build_county


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


def refused(call, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as error:
        call(*args, **kwargs)
    return error.value


def test_text_is_trimmed_required_and_bounded():
    assert inputs.text("  好  ", "note", limit=5) == "好"
    assert inputs.text(None, "note", limit=5, required=False) == ""
    assert refused(inputs.text, " ", "note", limit=5).field == "note"
    assert "最多 5 个字" in str(refused(inputs.text, "一二三四五六", "note", limit=5).message)


def test_a_choice_is_one_of_the_values_or_nothing_when_optional():
    assert inputs.choice(" red ", Colour, "colour") == "red"
    assert refused(inputs.choice, "green", Colour, "colour").field == "colour"
    assert inputs.optional_choice("", Colour, "colour") is None
    assert refused(inputs.optional_choice, "green", Colour, "colour").field == "colour"


def test_a_past_date_is_given_and_not_after_the_countys_today(session):
    county = build_county(session)
    set_tenant(session, county.tenant.id)
    # 23:30 UTC is already the next day in the county (UTC+8).
    with time_machine.travel(dt.datetime(2026, 5, 7, 23, 30, tzinfo=dt.UTC), tick=False):
        assert inputs.past_date(session, dt.date(2026, 5, 8), "day") == dt.date(2026, 5, 8)
        assert refused(inputs.past_date, session, dt.date(2026, 5, 9), "day").field == "day"
        assert refused(inputs.past_date, session, None, "day").field == "day"
