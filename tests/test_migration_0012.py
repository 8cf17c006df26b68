"""Migration 0012 carries each county's stage limits and its escalate_red_tasks setting over
into version 1 of its rule table, and gives running stages their red threshold."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from gridgov import migrations
from gridgov.core.db import make_engine


def test_the_old_limits_and_the_escalation_setting_become_version_1(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'carried.db'}"
    migrations.upgrade(url, url, revision="0011")
    check_carry_over(url, url)


@pytest.mark.postgres
def test_the_carry_over_on_postgres(postgres_urls: tuple[str, str]):
    owner_url, app_url = postgres_urls
    migrations.downgrade(owner_url, "0011")
    try:
        check_carry_over(owner_url, app_url, first_tenant=900001)
    finally:
        migrations.upgrade(owner_url, app_url)
        engine = make_engine(owner_url)
        with engine.begin() as connection:  # leave the shared database as the other tests expect
            for tenant_id in (900001, 900002):
                as_tenant(connection, tenant_id)
                connection.execute(text("DELETE FROM task_rules"))
                connection.execute(text("DELETE FROM task_rule_versions"))
            connection.execute(text("DELETE FROM tenants WHERE id >= 900001"))
        engine.dispose()


def as_tenant(connection, tenant_id: int) -> None:
    """Act as one county (PostgreSQL's row-level security binds even the owner)."""
    if connection.dialect.name == "postgresql":
        connection.execute(
            text("SELECT set_config('gridgov.tenant_id', :t, true)"), {"t": str(tenant_id)}
        )


def check_carry_over(url: str, app_url: str, first_tenant: int = 1) -> None:
    a, b = first_tenant, first_tenant + 1
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            for tenant_id, slug, settings in (
                (a, f"carry-{a}", '{"escalate_red_tasks": true, "work_hours": ["08:30", "17:30"]}'),
                (b, f"carry-{b}", "{}"),
            ):
                connection.execute(
                    text(
                        "INSERT INTO tenants (id, slug, name, level_names, settings, modules, "
                        "time_zone, is_active, created_at) VALUES (:id, :slug, :slug, "
                        "'[\"县\", \"网格\"]', :settings, '[]', 'Asia/Shanghai', :yes, "
                        "'2024-01-01 00:00:00+00')"
                    ),
                    {"id": tenant_id, "slug": slug, "settings": settings, "yes": True},
                )
            as_tenant(connection, a)
            connection.execute(
                text(
                    "INSERT INTO task_sla_limits (tenant_id, task_type, level, state, hours) "
                    "VALUES (:a, 'default', 1, 'reported', 2)"
                ),
                {"a": a},
            )
        migrations.upgrade(url, app_url)
        with engine.begin() as connection:
            as_tenant(connection, b)
            nothing = connection.execute(
                text("SELECT count(*) FROM task_rule_versions WHERE tenant_id = :b"), {"b": b}
            ).scalar_one()
            as_tenant(connection, a)
            versions = connection.execute(
                text(
                    "SELECT tenant_id, number, source FROM task_rule_versions "
                    "WHERE tenant_id IN (:a, :b)"
                ),
                {"a": a, "b": b},
            ).all()
            found = connection.execute(
                text(
                    "SELECT tenant_id, task_type, level, state, hours, escalate FROM task_rules "
                    "WHERE tenant_id IN (:a, :b) ORDER BY id"
                ),
                {"a": a, "b": b},
            ).all()
            settings = connection.execute(
                text("SELECT settings FROM tenants WHERE id = :a"), {"a": a}
            ).scalar_one()
    finally:
        engine.dispose()
    assert nothing == 0  # county b had nothing to carry over
    assert [tuple(v) for v in versions] == [(a, 1, "migration")]
    assert [tuple(row) for row in found] == [
        (a, "default", 1, "reported", 2, None),
        (a, None, None, None, None, True),
    ]
    assert "escalate_red_tasks" not in str(settings) and "work_hours" in str(settings)
