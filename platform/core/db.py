"""Database plumbing: the declarative base, the session and the tenant scope applied to it.

The tenant filter lives here and only here (SQLAlchemy's "Adding global WHERE / ON criteria"
recipe): every ORM SELECT/UPDATE/DELETE touching a `TenantScoped` model gets
``tenant_id = <current tenant>`` added, and a query on such a model with no tenant set raises
instead of reading every county's rows. On PostgreSQL the same tenant is handed to row-level
security with ``set_config('gridgov.tenant_id', …, true)`` at the start of every transaction,
so a Core/``text()`` query or a forgotten path still cannot cross tenants.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    MetaData,
    Table,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Mapper,
    ORMExecuteState,
    Session,
    declared_attr,
    mapped_column,
    scoped_session,
    sessionmaker,
    with_loader_criteria,
)
from sqlalchemy.sql import visitors
from sqlalchemy.types import TypeDecorator

from gridgov.core import runtime

TENANT_SETTING = "gridgov.tenant_id"

# PostgreSQL connections older than this are replaced at checkout (see make_engine).
POOL_RECYCLE_SECONDS = 1800
SQLITE_BUSY_TIMEOUT = 30  # seconds a SQLite transaction waits for the write lock

# Named constraints so that Alembic migrations are stable and errors are readable.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timestamps stored as UTC and always handed back timezone-aware.

    SQLite has no time zones and returns naive datetimes; this keeps both databases alike.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


# The moment ``utcnow`` answers inside ``pinned_clock`` (None: the real time).
_pinned_now: ContextVar[dt.datetime | None] = ContextVar("gridgov_pinned_now", default=None)


def utcnow() -> dt.datetime:
    """Now, aware, in UTC: the moment the demo pinned, else the runtime's clock."""
    return _pinned_now.get() or runtime.now()


@contextlib.contextmanager
def pinned_clock(moment: dt.datetime) -> Iterator[None]:
    """Within the block ``utcnow()`` answers ``moment`` (aware, in the past): the demo loads its
    tasks through the services as if each step happened then, so the append-only log, the
    stage clocks, counters and notifications tell one story. Real work never pins the clock."""
    if moment.tzinfo is None:
        raise ValueError("pinned_clock takes an aware moment")
    token = _pinned_now.set(moment.astimezone(dt.UTC))
    try:
        yield
    finally:
        _pinned_now.reset(token)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
    }


class TenantScoped:
    """Mixin for every row a county owns. The tenant filter and RLS key on ``tenant_id``.

    Each model using it must also declare an index whose first column is ``tenant_id``
    (tests/core/test_schema.py checks).
    """

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:
        return mapped_column(
            ForeignKey("tenants.id", ondelete="RESTRICT"),
            nullable=False,
            comment="the county (tenant) owning this row",
        )


class MissingTenant(RuntimeError):
    """A tenant-owned table was queried with no tenant set: a bug, never an unfiltered read."""


SessionFactory = sessionmaker(expire_on_commit=False)

# Tests bind every new session to one connection held in an outer transaction (see
# ``sessions_bound_to``); otherwise a session binds to the engine of the runtime in place.
_test_binding: dict[str, Any] = {}


def _new_session() -> Session:
    if _test_binding:
        return SessionFactory(**_test_binding)
    # Each app has its own engine (tests and a live server may hold two apps in one process),
    # so the bind is looked up when a session is made rather than configured globally.
    return SessionFactory(bind=runtime.current().engine)


# One session per thread (and so per request under the dev server and gunicorn sync workers);
# the app removes it at teardown.
db_session: scoped_session[Session] = scoped_session(_new_session)


@contextlib.contextmanager
def sessions_bound_to(connection: Connection) -> Iterator[None]:
    """Tests: sessions made in the block use ``connection``, and what they commit only releases a
    savepoint, so the test's outer transaction can roll everything back."""
    db_session.remove()
    _test_binding.update(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield
    finally:
        db_session.remove()
        _test_binding.clear()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine with the per-dialect settings gridgov relies on."""
    if url.startswith("sqlite"):
        # A request waits its turn for the write lock rather than failing at once.
        kwargs.setdefault(
            "connect_args", {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT}
        )
    else:
        # No pre-ping: it cost every checkout a round trip (a SELECT 1 before each request).
        # Connections are renewed before servers or firewalls drop idle ones, and one that
        # died anyway fails its request (the pool then discards it) instead of every request
        # paying to find out.
        kwargs.setdefault("pool_recycle", POOL_RECYCLE_SECONDS)
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()
    # pysqlite opens transactions by itself, lazily and not before SAVEPOINT, which breaks
    # savepoints (a RELEASE then commits for good). SQLAlchemy's recipe: switch that off and
    # emit BEGIN ourselves (_sqlite_begin).
    dbapi_connection.isolation_level = None


def _sqlite_begin(connection: Connection) -> None:
    # IMMEDIATE: a transaction takes the write lock when it begins (waiting up to the busy
    # timeout for it). A deferred one that read first and writes later (a login reads the user,
    # then records the time) fails at once with "database is locked" whenever another request
    # wrote in between — the busy timeout cannot help it, its snapshot is stale. Django 5.1
    # and Rails 7.1 recommend the same for SQLite behind a threaded server. Reads queue for
    # the lock too; a request's transaction is short, so the queue is brief (measured: twenty
    # logins at once, tests/portal/test_concurrency.py).
    # A connection that only reads (``execution_options(reads_only=True)``, the health check)
    # begins deferred and queues for nothing.
    if connection.get_execution_options().get("reads_only"):
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


# --- the tenant of a session ----------------------------------------------------------------

_TENANT_KEY = "tenant_id"


def current_tenant_id(session: Session) -> int | None:
    """The tenant this session is scoped to, or None outside any tenant."""
    return session.info.get(_TENANT_KEY)


def set_tenant(session: Session, tenant_id: int | None) -> None:
    """Scope ``session`` to one tenant (None: platform level, tenant tables are refused).

    Pending changes are flushed first, under the tenant they were made in.
    """
    if session.info.get(_TENANT_KEY) != tenant_id and (
        session.new or session.dirty or session.deleted
    ):
        session.flush()
    session.info[_TENANT_KEY] = tenant_id
    if session.in_transaction():
        for connection in _open_connections(session):
            _hand_tenant_to_database(connection, tenant_id)


@contextlib.contextmanager
def tenant_scope(session: Session, tenant_id: int | None) -> Iterator[Session]:
    """Run a block scoped to ``tenant_id`` and restore the previous scope afterwards."""
    previous = session.info.get(_TENANT_KEY)
    set_tenant(session, tenant_id)
    try:
        yield session
    finally:
        set_tenant(session, previous)


def _open_connections(session: Session) -> list[Connection]:
    transaction = session.get_transaction()
    if transaction is None:
        return []
    return [conn for conn, *_ in transaction._connections.values()]


# What this transaction of the connection was last told (connection.info, cleared whenever
# the database may have dropped it): a request sets the same tenant several times (the URL's
# county, then the token's), and each used to cost a set_config round trip.
_SENT_KEY = "gridgov.tenant_sent"
_UNKNOWN = object()


def _hand_tenant_to_database(connection: Connection, tenant_id: int | None) -> None:
    # set_config(..., true) is local to the transaction: a pooled connection cannot carry a
    # tenant over to its next user, which a plain SET would.
    if connection.dialect.name != "postgresql":
        return
    if connection.info.get(_SENT_KEY, _UNKNOWN) == tenant_id:
        return
    connection.execute(
        text("SELECT set_config(:name, :value, true)"),
        {"name": TENANT_SETTING, "value": "" if tenant_id is None else str(tenant_id)},
    )
    connection.info[_SENT_KEY] = tenant_id


def _fresh_transaction(connection: Connection) -> None:
    # A transaction starts with no local setting, and gridgov never sets the tenant for the
    # whole connection (a plain SET): the policies already read "no tenant", so the empty
    # set_config every request began with is not sent.
    connection.info[_SENT_KEY] = None


def _forget_sent_tenant(connection: Connection, *_args: Any) -> None:
    # A commit or rollback ends the local setting; a rollback to a savepoint restores the one
    # in force before it, which this cache does not know.
    connection.info.pop(_SENT_KEY, None)


event.listen(Engine, "begin", _fresh_transaction)
for _end in ("commit", "rollback", "rollback_savepoint"):
    event.listen(Engine, _end, _forget_sent_tenant)


@event.listens_for(Session, "after_begin")
def _tenant_to_new_transaction(session: Session, _transaction: Any, connection: Connection) -> None:
    # A session joining a transaction begun outside it (tests, a command's connection) finds
    # what that transaction was told, or nothing known after a savepoint rolled back.
    _hand_tenant_to_database(connection, session.info.get(_TENANT_KEY))


@event.listens_for(Session, "do_orm_execute")
def _filter_by_tenant(state: ORMExecuteState) -> None:
    if state.is_column_load or state.is_relationship_load:
        return  # the criteria added to the parent statement propagate to these loads
    if not (state.is_select or state.is_update or state.is_delete):
        return
    tenant_id = state.session.info.get(_TENANT_KEY)
    if tenant_id is None:
        if _reads_tenant_tables(state.statement):
            raise MissingTenant("query on a tenant-owned table with no tenant set on the session")
        return
    # Added to every statement: it is a no-op for entities that are not TenantScoped. Deciding
    # from state.all_mappers instead would miss e.g. select(func.count()).select_from(Node).
    state.statement = state.statement.options(_tenant_criteria(tenant_id))


@functools.lru_cache(maxsize=4096)
def _tenant_criteria(tenant_id: int) -> Any:
    # One option per county, made once: building it (and analysing its lambda) for every
    # statement cost more than many of the statements. Options are immutable; the tenant id
    # is the lambda's closure variable, a bound parameter of the cached SQL.
    return with_loader_criteria(
        TenantScoped,
        lambda cls: cls.tenant_id == tenant_id,
        include_aliases=True,
    )


def _reads_tenant_tables(statement: Any) -> bool:
    tenant_tables = _tenant_table_names()
    return any(
        isinstance(element, Table) and element.name in tenant_tables
        for element in visitors.iterate(statement)
    )


@functools.cache
def _tenant_table_names() -> frozenset[str]:
    # Asked before every statement with no tenant set (each request's county look-up): made
    # once, and again after a module's models are mapped (the listener below).
    return frozenset(
        mapper.local_table.name
        for mapper in Base.registry.mappers
        if issubclass(mapper.class_, TenantScoped)
    )


@event.listens_for(Mapper, "after_mapper_constructed")
def _forget_tenant_table_names(_mapper: Mapper, _class: type) -> None:
    _tenant_table_names.cache_clear()


@event.listens_for(Session, "before_flush")
def _stamp_tenant_on_new_rows(session: Session, _context: Any, _instances: Any) -> None:
    tenant_id = session.info.get(_TENANT_KEY)
    for obj in list(session.new) + list(session.dirty):
        if not isinstance(obj, TenantScoped):
            continue
        if obj.tenant_id is None:
            if tenant_id is None:
                raise MissingTenant(f"new {type(obj).__name__} with no tenant set on the session")
            obj.tenant_id = tenant_id
        elif tenant_id is not None and obj.tenant_id != tenant_id:
            raise MissingTenant(
                f"{type(obj).__name__} of tenant {obj.tenant_id} written in tenant {tenant_id}"
            )
