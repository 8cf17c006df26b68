"""Synthetic residents for the demo county, tests and benchmarks: valid-looking ID numbers (real
area codes, real dates, correct check digit: python-stdnum accepts them) of people who do not
exist, names that are obviously invented, and phone numbers from the 170 virtual-operator range.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass

from stdnum.cn import ric

# Area codes python-stdnum knows for births since 1930 (Beijing and Tianjin districts).
AREA_CODES = ("110101", "110102", "110105", "120101", "310104")

SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张"
# "示例" (example) in every given name makes a demo person impossible to mistake for a real one.
GIVEN = ("示例甲", "示例乙", "示例丙", "示例丁", "示例戊", "示例己", "示例庚", "示例辛")


def make_id_number(area: str, birth_date: dt.date, sequence: int) -> str:
    """An ID number that passes GB 11643's checks; ``sequence`` (0–999) is the order code,
    odd for men and even for women."""
    body = f"{area}{birth_date:%Y%m%d}{sequence % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


@dataclass(frozen=True)
class SyntheticPerson:
    name: str
    id_number: str
    phone: str
    birth_date: dt.date


def people(count: int, seed: int = 2026) -> Iterator[SyntheticPerson]:
    """``count`` distinct invented residents, the same ones for the same seed."""
    rng = random.Random(seed)  # noqa: S311 (repeatable invented data, not secrets)
    start = dt.date(1935, 1, 1).toordinal()
    span = dt.date(2020, 12, 31).toordinal() - start
    seen: set[str] = set()
    while len(seen) < count:
        birth = dt.date.fromordinal(start + rng.randrange(span))
        number = make_id_number(rng.choice(AREA_CODES), birth, rng.randrange(1000))
        if number in seen:
            continue
        seen.add(number)
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        yield SyntheticPerson(name, number, f"170{rng.randrange(10**8):08d}", birth)
