"""Migration 0012 carries each county's stage limits and its escalate_red_tasks setting over
into version 1 of its rule table, and gives running stages their red threshold."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from gridgov import migrations
from gridgov.core.db import make_engine


def test_the_old_limits_and_the_escalation_setting_become_version_1(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'carried.db'}"
    migrations.upgrade(url, url, revision="0011")
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            for tenant_id, slug, settings in (
                (1, "a", '{"escalate_red_tasks": true, "work_hours": ["08:30", "17:30"]}'),
                (2, "b", "{}"),
            ):
                connection.execute(
                    text(
                        "INSERT INTO tenants (id, slug, name, level_names, settings, modules, "
                        "time_zone, is_active, created_at) VALUES (:id, :slug, :slug, "
                        "'[\"县\", \"网格\"]', :settings, '[]', 'Asia/Shanghai', 1, "
                        "'2024-01-01 00:00:00')"
                    ),
                    {"id": tenant_id, "slug": slug, "settings": settings},
                )
            connection.execute(
                text(
                    "INSERT INTO task_sla_limits (tenant_id, task_type, level, state, hours) "
                    "VALUES (1, 'default', 1, 'reported', 2)"
                )
            )
        migrations.upgrade(url, url)
        with engine.connect() as connection:
            versions = connection.execute(
                text("SELECT tenant_id, number, source FROM task_rule_versions")
            ).all()
            found = connection.execute(
                text(
                    "SELECT tenant_id, task_type, level, state, hours, escalate FROM task_rules "
                    "ORDER BY id"
                )
            ).all()
            settings = connection.execute(text("SELECT settings FROM tenants WHERE id = 1"))
            settings = settings.scalar_one()
    finally:
        engine.dispose()
    assert versions == [(1, 1, "migration")]  # county b had nothing to carry over
    assert [tuple(row) for row in found] == [
        (1, "default", 1, "reported", 2, None),
        (1, None, None, None, None, True),
    ]
    assert "escalate_red_tasks" not in settings and "work_hours" in settings
