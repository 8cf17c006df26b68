"""Registry: places, people, households, tags, visits, rentals and the change history.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 06:09:38.209299

Generated with autogenerate against gridgov.core.models, then reviewed by hand: every new
table has a tenant_id and is protected by RLS; record_changes is append-only (migrations'
APPEND_ONLY_TABLES).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gridgov.migrations.rls import protect_tenant_table

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = (
    "compounds",
    "record_changes",
    "buildings",
    "dwellings",
    "households",
    "persons",
    "visits",
    "person_tags",
    "sites",
    "rentals",
    "rental_occupants",
    "import_runs",
)


def upgrade() -> None:
    op.create_table('compounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False, comment='the county (tenant) owning this row'),
    sa.ForeignKeyConstraint(['node_id'], ['nodes.id'], name=op.f('fk_compounds_node_id_nodes'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_compounds_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_compounds'))
    )
    with op.batch_alter_table('compounds', schema=None) as batch_op:
        batch_op.create_index('ix_compounds_tenant_id_node_id', ['tenant_id', 'node_id'], unique=False)

    op.create_table('record_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('object_type', sa.String(length=16), nullable=False, comment='person, household, dwelling'),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=16), nullable=False, comment='create, update, move, merge'),
    sa.Column('field', sa.String(length=32), nullable=True),
    sa.Column('old_value', sa.String(length=300), nullable=True),
    sa.Column('new_value', sa.String(length=300), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=120), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False, comment='the county (tenant) owning this row'),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_record_changes_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['node_id'], ['nodes.id'], name=op.f('fk_record_changes_node_id_nodes'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_record_changes_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_changes'))
    )
    with op.batch_alter_table('record_changes', schema=None) as batch_op:
        batch_op.create_index('ix_record_changes_tenant_id_at', ['tenant_id', 'at', 'node_id'], unique=False)
        batch_op.create_index('ix_record_changes_tenant_id_object', ['tenant_id', 'object_type', 'object_id'], unique=False)

    op.create_table('sites',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False, comment='a SiteKind value'),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('contact_name', sa.String(length=100), nullable=False),
    sa.Column('contact_phone_cipher', sa.LargeBinary(), nullable=True, comment='AES-GCM'),
    sa.Column('is_key', sa.Boolean(), nullable=False, comment='重点单位场所'),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False, comment='the county (tenant) owning this row'),
    sa.ForeignKeyConstraint(['node_id'], ['nodes.id'], name=op.f('fk_sites_node_id_nodes'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_sites_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sites'))
    )
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.create_index('ix_sites_tenant_id_node_id', ['tenant_id', 'node_id', 'name'], unique=False)

    op.create_table('buildings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('compound_id', sa.Integer(), nullable=True),
    sa.Column('node_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False, comment='e.g. 3号楼'),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False, comment='the county (tenant) owning this row'),
    sa.ForeignKeyConstraint(['compound_id'], ['compounds.id'], name=op.f('fk_buildings_compound_id_compounds'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['node_id'], ['nodes.id'], name=op.f('fk_buildings_node_id_nodes'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_buildings_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_buildings'))
    )
    with op.batch_alter_table('buildings', schema=None) as batch_op:
        batch_op.create_index('ix_buildings_tenant_id_compound_id', ['tenant_id', 'compound_id'], unique=False)
        batch_op.create_index('ix_buildings_tenant_id_node_id', ['tenant_id', 'node_id'], unique=False)

    op.create_table('dwellings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=False, comment='the basic grid it lies in'),
    sa.Column('building_id', sa.Integer(), nullable=True),
    sa.Column('unit', sa.String(length=32), nullable=False, comment='单元, e.g. 2单元'),
    sa.Column('number', sa.String(length=32), nullable=False, comment='房号, e.g. 301'),
    sa.Column('address', sa.String(length=300), nullable=False, comment='full address as residents write it'),
    sa.Column('is_rental', sa.Boolean(), nullable=False, comment='出租屋'),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False, comment='the county (tenant) owning this row'),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], name=op.f('fk_dwellings_building_id_buildings'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['node_id'], ['nodes.id'], name=op.f('fk_dwellings_node_id_nodes'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_dwellings_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dwellings'))
    )
    with op.batch_alter_table('dwellings', schema=None) as batch_op:
        batch_op.create_index('ix_dwellings_tenant_id_building_id', ['tenant_id', 'building_id'], unique=False)
        batch_op.create_index('ix_dwellings_tenant_id_node_id', ['tenant_id', 'node_id'], unique=False)

    op.create_table('households',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dwelling_id', sa.Integer(), nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=False, comment="its dwelling's grid (kept in step)"),
    sa.Column('number', sa.String(length=32), nullable=False, comment='户号'),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False, comment='the county (tenant) owning this row'),
    sa.ForeignKeyConstraint(['dwelling_id'], ['dwellings.id'], name=op.f('fk_households_dwelling_id_dwellings'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['node_id'], ['nodes.id'], name=op.f('fk_households_node_id_nodes'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_households_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_households'))
    )
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.create_index('ix_households_tenant_id_dwelling_id', ['tenant_id', 'dwelling_id'], unique=False)
        batch_op.create_index('ix_households_tenant_id_node_id', ['tenant_id', 'node_id'], unique=False)

    op.create_table('persons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=False, comment='the basic grid the person lives in'),
    sa.Column('name', sa.String(length=100).with_variant(sa.String(length=100, collation='C'), 'postgresql'), nullable=False),
    sa.Column('residence_type', sa.String(length=16), nullable=False, comment='a ResidenceType value'),
    sa.Column('sex', sa.String(length=8), nullable=True, comment='a Sex value'),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('id_number_cipher', sa.LargeBinary(), nullable=True, comment='公民身份号码, AES-GCM (never stored in clear)'),
    sa.Column('id_number_hash', sa.String(length=64), nullable=True, comment='HMAC-SHA256 of the ID number: exact search and dedup'),
    sa.Column('phone_cipher', sa.LargeBinary(), nullable=True, comment='AES-GCM'),
    sa.Column('phone_hash', sa.String(length=64), nullable=True, comment='HMAC-SHA256'),
    sa.Column('dwelling_id', sa.Integer(), nullable=True),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('relation', sa.String(length=16), nullable=True, comment='a Relation value'),
    sa.Column('merged_into_id', sa.Integer(), nullable=True, comment='set on a duplicate merged into another record; it then no longer shows'),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False, comment='the county (tenant) owning this row'),
    sa.ForeignKeyConstraint(['dwelling_id'], ['dwellings.id'], name=op.f('fk_persons_dwelling_id_dwellings'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_persons_household_id_households'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['merged_into_id'], ['persons.id'], name=op.f('fk_persons_merged_into_id_persons'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['node_id'], ['nodes.id'], name=op.f('fk_persons_node_id_nodes'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_persons_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_persons'))
    )
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.create_index('ix_persons_tenant_id_dwelling_id', ['tenant_id', 'dwelling_id'], unique=False)
        batch_op.create_index('ix_persons_tenant_id_household_id', ['tenant_id', 'household_id'], unique=False)
        batch_op.create_index('ix_persons_tenant_id_name', ['tenant_id', 'name', 'id'], unique=False)
        batch_op.create_index('ix_persons_tenant_id_node_id', ['tenant_id', 'node_id', 'name'], unique=False)
        batch_op.create_index('ix_persons_tenant_id_phone_hash', ['tenant_id', 'phone_hash'], unique=False)
        batch_op.create_index('uq_persons_tenant_id_id_number_hash', ['tenant_id', 'id_number_hash'], unique=True)

    op.create_table('visits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('visited_by_id', sa.Integer(), nullable=True),
    sa.Column('visited_by_name', sa.String(length=100), nullable=False),
    sa.Column('visited_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False, comment='the county (tenant) owning this row'),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_visits_household_id_households'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_visits_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['visited_by_id'], ['users.id'], name=op.f('fk_visits_visited_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visits'))
    )
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.create_index('ix_visits_tenant_id_household_id', ['tenant_id', 'household_id', 'visited_at'], unique=False)

    op.create_table('person_tags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('tag', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False, comment='the county (tenant) owning this row'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_person_tags_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_person_tags_person_id_persons'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_person_tags_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person_tags')),
    sa.UniqueConstraint('tenant_id', 'person_id', 'tag', name=op.f('uq_person_tags_tenant_id_person_id_tag'))
    )
    with op.batch_alter_table('person_tags', schema=None) as batch_op:
        batch_op.create_index('ix_person_tags_tenant_id_tag', ['tenant_id', 'tag'], unique=False)

    op.create_table('rentals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dwelling_id', sa.Integer(), nullable=False),
    sa.Column('landlord_id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False, comment='the county (tenant) owning this row'),
    sa.ForeignKeyConstraint(['dwelling_id'], ['dwellings.id'], name=op.f('fk_rentals_dwelling_id_dwellings'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['landlord_id'], ['persons.id'], name=op.f('fk_rentals_landlord_id_persons'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_rentals_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rentals'))
    )
    with op.batch_alter_table('rentals', schema=None) as batch_op:
        batch_op.create_index('ix_rentals_tenant_id_dwelling_id', ['tenant_id', 'dwelling_id'], unique=False)

    op.create_table('rental_occupants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rental_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False, comment='the county (tenant) owning this row'),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_rental_occupants_person_id_persons'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['rental_id'], ['rentals.id'], name=op.f('fk_rental_occupants_rental_id_rentals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_rental_occupants_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rental_occupants')),
    sa.UniqueConstraint('tenant_id', 'rental_id', 'person_id', name=op.f('uq_rental_occupants_tenant_id_rental_id_person_id'))
    )
    # A new table with a tenant_id column: protect_tenant_table("<name>") here (RLS policy).
    op.create_table('import_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False, comment='people, households, dwellings, sites'),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('rejected_file_id', sa.Integer(), nullable=True, comment='the rejected rows, .xlsx'),
    sa.Column('is_dry_run', sa.Boolean(), nullable=False),
    sa.Column('is_strict', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False, comment='ImportStatus'),
    sa.Column('job_id', sa.String(length=64), nullable=True, comment='RQ job id, for progress'),
    sa.Column('report', sa.JSON(), nullable=True, comment='counts and bad rows'),
    sa.Column('error', sa.String(length=300), nullable=True, comment='why the file was refused'),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tenant_id', sa.Integer(), nullable=False, comment='the county (tenant) owning this row'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_import_runs_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['file_id'], ['stored_files.id'], name=op.f('fk_import_runs_file_id_stored_files'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['rejected_file_id'], ['stored_files.id'], name=op.f('fk_import_runs_rejected_file_id_stored_files'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], name=op.f('fk_import_runs_tenant_id_tenants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_runs'))
    )
    with op.batch_alter_table('import_runs', schema=None) as batch_op:
        batch_op.create_index('ix_import_runs_tenant_id_created_at', ['tenant_id', 'created_at'], unique=False)

    for table in TENANT_TABLES:
        protect_tenant_table(table)


def downgrade() -> None:
    # Dropping a table drops its policies with it.
    with op.batch_alter_table('import_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_import_runs_tenant_id_created_at')

    op.drop_table('import_runs')
    op.drop_table('rental_occupants')
    with op.batch_alter_table('rentals', schema=None) as batch_op:
        batch_op.drop_index('ix_rentals_tenant_id_dwelling_id')

    op.drop_table('rentals')
    with op.batch_alter_table('person_tags', schema=None) as batch_op:
        batch_op.drop_index('ix_person_tags_tenant_id_tag')

    op.drop_table('person_tags')
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_index('ix_visits_tenant_id_household_id')

    op.drop_table('visits')
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.drop_index('uq_persons_tenant_id_id_number_hash')
        batch_op.drop_index('ix_persons_tenant_id_phone_hash')
        batch_op.drop_index('ix_persons_tenant_id_node_id')
        batch_op.drop_index('ix_persons_tenant_id_name')
        batch_op.drop_index('ix_persons_tenant_id_household_id')
        batch_op.drop_index('ix_persons_tenant_id_dwelling_id')

    op.drop_table('persons')
    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.drop_index('ix_households_tenant_id_node_id')
        batch_op.drop_index('ix_households_tenant_id_dwelling_id')

    op.drop_table('households')
    with op.batch_alter_table('dwellings', schema=None) as batch_op:
        batch_op.drop_index('ix_dwellings_tenant_id_node_id')
        batch_op.drop_index('ix_dwellings_tenant_id_building_id')

    op.drop_table('dwellings')
    with op.batch_alter_table('buildings', schema=None) as batch_op:
        batch_op.drop_index('ix_buildings_tenant_id_node_id')
        batch_op.drop_index('ix_buildings_tenant_id_compound_id')

    op.drop_table('buildings')
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_index('ix_sites_tenant_id_node_id')

    op.drop_table('sites')
    with op.batch_alter_table('record_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_record_changes_tenant_id_object')
        batch_op.drop_index('ix_record_changes_tenant_id_at')

    op.drop_table('record_changes')
    with op.batch_alter_table('compounds', schema=None) as batch_op:
        batch_op.drop_index('ix_compounds_tenant_id_node_id')

    op.drop_table('compounds')
