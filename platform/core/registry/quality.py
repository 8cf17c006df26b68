"""Data-quality figures (准确率、匹配率) of the registry, per grid and summed up any level.

- completeness: people with an ID number, a phone and a dwelling, out of all;
- ID-number rate: people with a (validated) ID number — a number that fails GB 11643 is never
  stored, so a missing number is what lowers this rate;
- duplicates: records beyond the first with the same name and birth date in the county part
  (candidates for a merge);
- match rate: people matched to a dwelling;
- changed: person, household and dwelling records changed since a given time (the seeds'
  "changed 11,620 person/house/household records" this month).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import String, case, cast, func, select
from sqlalchemy.orm import Session

from gridgov.core.hierarchy import service as hierarchy
from gridgov.core.hierarchy.models import Node
from gridgov.core.hierarchy.paths import subtree
from gridgov.core.registry.models import Person, RecordChange


@dataclass
class Quality:
    """The figures of one node (its whole subtree)."""

    node: Node
    people: int = 0
    with_id_number: int = 0
    with_phone: int = 0
    with_dwelling: int = 0
    complete: int = 0
    duplicates: int = 0
    changed: int = 0
    children: list[Quality] = field(default_factory=list)

    def rate(self, count: int) -> float | None:
        return round(count / self.people, 4) if self.people else None

    @property
    def completeness(self) -> float | None:
        return self.rate(self.complete)

    @property
    def id_number_rate(self) -> float | None:
        return self.rate(self.with_id_number)

    @property
    def match_rate(self) -> float | None:
        return self.rate(self.with_dwelling)

    def add(self, other: Quality) -> None:
        for name in (
            "people",
            "with_id_number",
            "with_phone",
            "with_dwelling",
            "complete",
            "duplicates",
            "changed",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def quality(session: Session, node: Node, *, since: dt.datetime | None = None) -> Quality:
    """The figures of ``node`` and of each of its direct children, from per-grid counts;
    ``changed`` counts the records changed since ``since`` (0 without it)."""
    per_grid = _per_grid(session, node)
    if since is not None:
        for path, changed in _changed(session, node, since).items():
            per_grid.setdefault(path, Quality(_node_at(session, path))).changed = changed
    children = hierarchy.children(session, node, include_retired=True)
    top = Quality(node)
    parts = {child.path: Quality(child) for child in children}
    for path, figures in per_grid.items():
        top.add(figures)
        for prefix, part in parts.items():
            if path.startswith(prefix):
                part.add(figures)
                break
    top.children = [
        parts[c.path] for c in children if parts[c.path].people or parts[c.path].changed
    ]
    return top


def _per_grid(session: Session, node: Node) -> dict[str, Quality]:
    has_id = Person.id_number_hash.is_not(None)
    has_phone = Person.phone_hash.is_not(None)
    has_dwelling = Person.dwelling_id.is_not(None)
    rows = session.execute(
        select(
            Node.path,
            Node.id,
            func.count(),
            func.sum(case((has_id, 1), else_=0)),
            func.sum(case((has_phone, 1), else_=0)),
            func.sum(case((has_dwelling, 1), else_=0)),
            func.sum(case((has_id & has_phone & has_dwelling, 1), else_=0)),
        )
        .select_from(Person)
        .join(Node, Node.id == Person.node_id)
        .where(Person.merged_into_id.is_(None), subtree(Node.path, node.path))
        .group_by(Node.path, Node.id)
    ).all()
    figures = {
        path: Quality(
            session.get(Node, node_id),
            people=people,
            with_id_number=ids or 0,
            with_phone=phones or 0,
            with_dwelling=dwellings or 0,
            complete=complete or 0,
        )
        for path, node_id, people, ids, phones, dwellings, complete in rows
    }
    same = (
        select(Node.path, func.count().label("n"))
        .select_from(Person)
        .join(Node, Node.id == Person.node_id)
        .where(
            Person.merged_into_id.is_(None),
            Person.birth_date.is_not(None),
            subtree(Node.path, node.path),
        )
        .group_by(Node.path, Person.name, Person.birth_date)
        .having(func.count() > 1)
        .subquery()
    )
    for path, extra in session.execute(
        select(same.c.path, func.sum(same.c.n - 1)).group_by(same.c.path)
    ).all():
        figures[path].duplicates = extra
    return figures


def _changed(session: Session, node: Node, since: dt.datetime) -> dict[str, int]:
    record = RecordChange.object_type + ":" + cast(RecordChange.object_id, String)
    rows = session.execute(
        select(Node.path, func.count(func.distinct(record)))
        .select_from(RecordChange)
        .join(Node, Node.id == RecordChange.node_id)
        .where(RecordChange.at >= since, subtree(Node.path, node.path))
        .group_by(Node.path)
    ).all()
    return dict(rows)


def _node_at(session: Session, path: str) -> Node:
    return session.scalars(select(Node).where(Node.path == path)).one()
