"""Migration 0021 gives each node's current version the node's boundary, county by county
(PostgreSQL's row-level security binds even the owner running it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from gridgov import migrations
from gridgov.core.db import make_engine
from tests.test_migration_0012 import as_tenant

SQUARE = {"type": "Polygon", "coordinates": [[[120, 30], [121, 30], [121, 31], [120, 30]]]}


def test_current_versions_take_their_nodes_boundary(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'versions.db'}"
    migrations.upgrade(url, url, revision="0020")
    check_backfill(url, url)


@pytest.mark.postgres
def test_current_versions_take_their_nodes_boundary_on_postgres(postgres_urls: tuple[str, str]):
    owner_url, app_url = postgres_urls
    migrations.downgrade(owner_url, "0020")
    try:
        check_backfill(owner_url, app_url, first_tenant=902101)
    finally:
        migrations.upgrade(owner_url, app_url)
        engine = make_engine(owner_url)
        with engine.begin() as connection:  # leave the shared database as the other tests expect
            for tenant_id in (902101, 902102):
                as_tenant(connection, tenant_id)
                connection.execute(text("DELETE FROM node_versions"))
                connection.execute(text("DELETE FROM nodes"))
            connection.execute(text("DELETE FROM tenants WHERE id >= 902101"))
        engine.dispose()


def check_backfill(url: str, app_url: str, first_tenant: int = 1) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            for offset, tenant_id in enumerate((first_tenant, first_tenant + 1)):
                connection.execute(
                    text(
                        "INSERT INTO tenants (id, slug, name, level_names, settings, modules, "
                        "time_zone, is_active, created_at) VALUES (:id, :slug, :slug, "
                        "'[\"县\", \"网格\"]', '{}', '[]', 'Asia/Shanghai', :yes, "
                        "'2024-01-01 00:00:00+00')"
                    ),
                    {"id": tenant_id, "slug": f"versions-{tenant_id}", "yes": True},
                )
                as_tenant(connection, tenant_id)
                node_id = tenant_id * 10
                connection.execute(
                    text(
                        "INSERT INTO nodes (id, tenant_id, code, name, level, path, boundary, "
                        "created_at) VALUES (:id, :t, :code, '网格', 0, :path, :boundary, "
                        "'2024-01-01 00:00:00+00')"
                    ),
                    {
                        "id": node_id,
                        "t": tenant_id,
                        "code": f"G{offset}",
                        "path": f"/{node_id}/",
                        "boundary": json.dumps(SQUARE),
                    },
                )
                for version, valid_to in ((1, "2024-02-01 00:00:00+00"), (2, None)):
                    connection.execute(
                        text(
                            "INSERT INTO node_versions (id, tenant_id, node_id, code, name, "
                            "level, change, valid_from, valid_to, is_retired) VALUES (:id, :t, "
                            ":n, 'G', '网格', 0, 'rename', '2024-01-01 00:00:00+00', :to, :no)"
                        ),
                        {
                            "id": node_id + version,
                            "t": tenant_id,
                            "n": node_id,
                            "to": valid_to,
                            "no": False,
                        },
                    )
        migrations.upgrade(url, app_url)
        with engine.begin() as connection:
            for tenant_id in (first_tenant, first_tenant + 1):
                as_tenant(connection, tenant_id)
                rows = connection.execute(
                    text("SELECT id, boundary FROM node_versions WHERE tenant_id = :t ORDER BY id"),
                    {"t": tenant_id},
                ).all()
                shown = [(i, json.loads(b) if isinstance(b, str) else b) for i, b in rows]
                assert shown == [(tenant_id * 10 + 1, None), (tenant_id * 10 + 2, SQUARE)]
    finally:
        engine.dispose()
