"""Migration 0018 links the audit events already there into each county's chain, in the order
they were written, so that ``gridgov audit verify`` passes on an upgraded database."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from gridgov import migrations
from gridgov.core.audit import chain
from gridgov.core.db import SessionFactory, make_engine, set_tenant
from tests.test_migration_0012 import as_tenant


def test_existing_events_are_chained_per_county_in_the_order_written(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'chained.db'}"
    migrations.upgrade(url, url, revision="0017")
    check_chained(url, url)


@pytest.mark.postgres
def test_existing_events_are_chained_on_postgres(postgres_urls: tuple[str, str]):
    owner_url, app_url = postgres_urls
    migrations.downgrade(owner_url, "0017")
    try:
        check_chained(owner_url, app_url, first_tenant=900101)
    finally:
        migrations.upgrade(owner_url, app_url)
        engine = make_engine(owner_url)
        with engine.begin() as connection:  # leave the shared database as the other tests expect
            connection.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
            for tenant_id in (900101, 900102):
                as_tenant(connection, tenant_id)
                connection.execute(text("DELETE FROM audit_events"))
            connection.execute(text("ALTER TABLE audit_events ENABLE TRIGGER USER"))
            connection.execute(text("DELETE FROM tenants WHERE id >= 900101"))
        engine.dispose()


def check_chained(url: str, app_url: str, first_tenant: int = 1) -> None:
    a, b = first_tenant, first_tenant + 1
    engine = make_engine(url)
    app_engine = make_engine(app_url)
    try:
        with engine.begin() as connection:
            for tenant_id in (a, b):
                connection.execute(
                    text(
                        "INSERT INTO tenants (id, slug, name, level_names, settings, modules, "
                        "time_zone, is_active, created_at) VALUES (:id, :slug, :slug, "
                        "'[\"县\", \"网格\"]', '{}', '[]', 'Asia/Shanghai', :yes, "
                        "'2024-01-01 00:00:00+00')"
                    ),
                    {"id": tenant_id, "slug": f"chain-{tenant_id}", "yes": True},
                )
            for n, tenant_id in enumerate((a, b, a, a, b)):
                as_tenant(connection, tenant_id)
                connection.execute(
                    text(
                        "INSERT INTO audit_events (tenant_id, at, actor_type, actor_id,"
                        " actor_name, action, object_type, object_id, before, after, ip)"
                        " VALUES (:t, :at, 'user', 7, '王 (wang)', 'user.update', 'user', :n,"
                        " :before, :after, '10.0.0.1')"
                    ),
                    {
                        "t": tenant_id,
                        "at": f"2024-01-0{n + 1} 08:00:00.123456+00",
                        "n": str(n),
                        "before": '{"phone": "138****1234", "n": 1.5}',
                        "after": '{"nodes": [1, 2], "名称": "东村"}' if n % 2 else "null",
                    },
                )
        migrations.upgrade(url, app_url)
        session = SessionFactory(bind=app_engine)
        try:
            for tenant_id, count in ((a, 3), (b, 2)):
                set_tenant(session, tenant_id)
                result = chain.verify_chain(session, tenant_id)
                assert result.is_intact, result.broken
                assert (result.events, result.head_seq) == (count, count)
                session.rollback()
        finally:
            session.close()
    finally:
        engine.dispose()
        app_engine.dispose()
