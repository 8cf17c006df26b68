"""The ``gridgov`` command line: schema, worker, tenant manifests, accounts, tokens and the demo.

Commands hang on the app's own CLI group (``register_cli``), so ``gridgov …`` and Flask's
``app.test_cli_runner()`` see the same commands. Each command works in the app's scoped session
and commits once at the end: a refusal anywhere leaves the database as it was.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import itertools
import os
import sys
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import click
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup, with_appcontext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gridgov.core import runtime
from gridgov.core.accounts import second_factor
from gridgov.core.accounts import service as accounts
from gridgov.core.accounts.models import Operator, Role, User
from gridgov.core.db import db_session, tenant_scope, utcnow
from gridgov.core.errors import DomainError
from gridgov.core.hierarchy.models import Node
from gridgov.core.jobs import enqueue
from gridgov.core.maps import jobs as map_jobs
from gridgov.core.onboarding.manifest import (
    ManifestError,
    Plan,
    apply_manifest,
    issue_initial_passwords,
    load_manifest,
)
from gridgov.core.tasks.demo import add_demo_tasks, age_demo_tasks
from gridgov.core.tenancy import service as tenancy
from gridgov.core.tenancy.models import Tenant

# Shared by every demo account, printed by `gridgov demo`: the demo tenants are for trying the
# product on a laptop, never for real data.
DEMO_PASSWORD = "Demo-2026-grid"  # noqa: S105 (documented, demo tenants only)
DEMO_SLUG_PREFIX = "demo"

# Order in which the demo's login table lists roles: from the county down to the volunteers.
ROLE_ORDER = [
    Role.COUNTY_ADMIN,
    Role.SECURITY_ADMIN,
    Role.AUDIT_ADMIN,
    Role.TOWNSHIP_STAFF,
    Role.STATION_STAFF,
    Role.SUPERVISOR,
    Role.GRID_WORKER,
    Role.VOLUNTEER,
    Role.DEPARTMENT_OFFICER,
]


def register_cli(app: Flask) -> None:
    """Attach gridgov's commands to ``app.cli``."""
    from gridgov.assessment_commands import assessment_cli
    from gridgov.audit_commands import audit_cli
    from gridgov.files_commands import files_cli
    from gridgov.jobs import worker
    from gridgov.migrations.commands import db
    from gridgov.plugin_commands import plugins
    from gridgov.registry_commands import registry_cli
    from gridgov.tasks_commands import tasks as tasks_group

    for command in (db, worker, tenants, tokens, operators, users, demo, tasks_group, plugins):
        app.cli.add_command(command)
    app.cli.add_command(registry_cli)
    app.cli.add_command(files_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(assessment_cli)


def _create_app() -> Flask:
    from gridgov.app import create_app

    return create_app()


main = FlaskGroup(
    create_app=_create_app,
    help="gridgov: grid governance platform (网格化服务管理平台).",
)


# --- helpers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Console:
    """Whoever runs a command on the server, as the audit log records them: the command line
    is where administrator accounts (三员) are managed, so the log must say who was there."""

    actor_type: ClassVar[str] = "console"
    id: None = None
    name: str = "服务器命令行"
    username: str = field(default_factory=lambda: _os_user())


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for the uid (a bare container)
        return f"uid {os.getuid()}"


def _fail(message: object) -> click.ClickException:
    return click.ClickException(str(message))


def _tenant(session: Session, slug: str) -> Tenant:
    tenant = tenancy.get_by_slug(session, slug)
    if tenant is None:
        raise _fail(f"没有标识为 {slug} 的租户 (no active tenant '{slug}')")
    return tenant


def _user(session: Session, slug: str, username: str) -> User:
    user = accounts.get_user_by_username(session, username)
    if user is None:
        raise _fail(f"no user '{username}' in {slug}")
    return user


@contextlib.contextmanager
def _in_county(slug: str) -> Iterator[Session]:
    """The command's session, scoped to the county ``slug`` (a click error if there is none)."""
    session = db_session()
    with tenant_scope(session, _tenant(session, slug).id):
        yield session


def _read_password(password_stdin: bool, username: str) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt(f"Password for {username}", hide_input=True, confirmation_prompt=True)


def _echo_plan(plan: Plan) -> None:
    """The plan in three parts: what changes, what is (or would be) taken away, what is kept."""
    for change in plan.changes:
        click.secho(str(change), fg="green" if change.action == "+" else "yellow")
    if plan.removals:
        if not plan.prune:
            heading = (
                "Not in the manifest any more — taken away only with --prune; "
                "nothing was taken away (仅在加 --prune 时移除，本次未移除):"
            )
        elif plan.dry_run:
            heading = "Would take away (--prune) (将移除):"
        else:
            heading = "Taken away (--prune) (已移除):"
        click.echo(heading)
        for change in plan.removals:
            click.secho(f"  {change}", fg="red")
    if plan.kept:
        click.echo(
            "Kept as the county changed them in the portal or API; "
            "the manifest leaves them (门户或接口所做的修改，清单不覆盖):"
        )
        for change in plan.kept:
            click.echo(f"  {change}")
    if plan.is_empty:
        click.echo(f"{plan.slug}: up to date, nothing to change")
    else:
        click.echo(plan.summary())


def _write_passwords(
    session: Session, path: Path | None, slug: str, issued: Sequence[tuple[User, str]]
) -> Path:
    """Write one-time passwords to a new file only its owner can read (mode 0600, never
    overwriting one), rather than to a terminal whose scrollback and logs keep them. If the
    file cannot be written, nothing of the command is stored: the passwords would be lost."""
    try:
        fd, path = _new_private_file(path, slug)
    except OSError as exc:
        session.rollback()
        raise _fail(f"{exc.filename}: {exc.strerror}: not overwritten, nothing changed") from exc

    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(
            f"# {slug}: one-time passwords, to be changed at first login. Hand each over in "
            "person, then delete this file.\n# 初始密码：首次登录时必须修改。请当面交给本人，"
            "然后删除本文件。\n"
        )
        for user, password in issued:
            out.write(f"{user.username}\t{user.name}\t{user.role}\t{password}\n")
    return path


def _new_private_file(path: Path | None, slug: str) -> tuple[int, Path]:
    """A new file (mode 0600) at ``path``, or in the instance folder under a name of its own."""
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), path
    folder = Path(current_app.instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    for n in itertools.count(1):
        candidate = folder / f"initial-passwords-{slug}-{stamp}{f'-{n}' if n > 1 else ''}.txt"
        try:
            return os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), candidate
        except FileExistsError:
            continue  # two runs in the same second
    raise AssertionError("unreachable")


def _announce_passwords(plan: Plan) -> None:
    # Hashing is slow on purpose (argon2id, a fraction of a second each): say why we wait.
    if plan.created_users:
        click.echo(
            f"{plan.slug}: setting the passwords of {len(plan.created_users)} new accounts…",
            err=True,
        )


def _apply(session: Session, path: Path, *, dry_run: bool, prune: bool) -> Plan:
    """Apply the manifest at ``path``; on refusal print every problem and exit with status 1."""
    try:
        return apply_manifest(session, load_manifest(path), dry_run=dry_run, prune=prune)
    except ManifestError as exc:
        session.rollback()
        for line in exc.lines():
            click.secho(line, fg="red", err=True)
        click.echo(f"{path}: refused, nothing changed (清单有误，未做任何修改)", err=True)
        raise click.exceptions.Exit(1) from exc


# --- tenants ---------------------------------------------------------------------------------

tenants = AppGroup("tenants", help="County tenants and their manifests (tenants/<slug>.yaml).")


@tenants.command("apply")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Print the plan, change nothing.")
@click.option(
    "--prune",
    is_flag=True,
    help="Also take away what the manifest listed before and no longer lists (nodes retired, "
    "accounts and departments deactivated, assignments and officers ended).",
)
@click.option(
    "--password-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where new accounts' one-time passwords go (mode 0600). Default: "
    "initial-passwords-<slug>-<time>.txt in the instance folder.",
)
def apply_command(file: Path, dry_run: bool, prune: bool, password_file: Path | None) -> None:
    """Create or update the tenant FILE describes; applying it twice changes nothing.

    What the county changed in the portal or through the API since the last apply stays;
    nothing is taken away without --prune (README, "Tenant manifests: who owns what").
    """
    session = db_session()
    plan = _apply(session, file, dry_run=dry_run, prune=prune)
    _announce_passwords(plan)
    issued = issue_initial_passwords(session, plan, actor=Console())
    written = _write_passwords(session, password_file, plan.slug, issued) if issued else None
    session.commit()
    if plan.tenant is not None and plan.changes and not dry_run:
        # Boundaries may have changed: the county map's outlines are merged now, not by its
        # first viewer.
        enqueue(map_jobs.merge_county_outlines, plan.tenant.id)
    _echo_plan(plan)
    if written:
        click.echo("")
        click.echo(
            f"One-time passwords of {len(issued)} new accounts are in {written} (readable only "
            "by you); hand them over in person, then delete the file."
        )
        click.echo(f"新账号的初始密码已写入 {written}（仅本人可读），请当面交给本人后删除该文件。")


@tenants.command("list")
def list_command() -> None:
    """List the tenants with their levels and sizes."""
    session = db_session()
    rows = session.scalars(tenancy.list_tenants(session)).all()
    if not rows:
        click.echo("no tenants yet: gridgov tenants apply tenants/<slug>.yaml")
        return
    click.echo(f"{'slug':<20} {'name':<12} {'levels':<20} {'nodes':>6} {'users':>6}  active")
    for tenant in rows:
        with tenant_scope(session, tenant.id):
            nodes = session.scalar(
                select(func.count()).select_from(Node).where(Node.retired_at.is_(None))
            )
            people = session.scalar(select(func.count()).select_from(User))
        levels = "/".join(tenant.level_names)
        active = "yes" if tenant.is_active else "no"
        click.echo(
            f"{tenant.slug:<20} {_pad(tenant.name, 12)} {_pad(levels, 20)} {nodes:>6} {people:>6}"
            f"  {active}"
        )


# --- tokens ----------------------------------------------------------------------------------

tokens = AppGroup("tokens", help="API bearer tokens for scripts.")


@tokens.command("create")
@click.option("--tenant", "slug", help="The county (tenant) slug of the user.")
@click.option("--user", "username", help="The user the token acts as.")
@click.option("--operator", "operator_name", help="A platform operator instead of a user.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    help=f"Repeatable. User scopes: {', '.join(accounts.USER_SCOPES)}; operator scopes: "
    f"{', '.join(accounts.OPERATOR_SCOPES)}. Default: the read scopes only.",
)
@click.option(
    "--expires-days",
    type=click.IntRange(min=1, max=accounts.MAX_TOKEN_DAYS),
    default=accounts.TOKEN_DAYS,
    show_default=True,
    help="Days until the token stops working.",
)
@click.option("--description", default="", help="What the token is for.")
def create_token(
    slug: str | None,
    username: str | None,
    operator_name: str | None,
    scopes: tuple[str, ...],
    expires_days: int | None,
    description: str,
) -> None:
    """Mint a token and print only the token on stdout (it is shown once)."""
    session = db_session()
    expires_in = dt.timedelta(days=expires_days)
    scopes_list = [s for scope in scopes for s in scope.split()]
    if operator_name and not (slug or username):
        operator = session.scalar(select(Operator).where(Operator.username == operator_name))
        if operator is None or not operator.is_active:
            raise _fail(f"no active operator '{operator_name}'")
        bad = sorted(set(scopes_list) - set(accounts.OPERATOR_SCOPES))
        if bad:
            raise _fail(f"unknown operator scope: {' '.join(bad)}")
        try:
            token, record = accounts.create_operator_token(
                session,
                operator,
                scopes=scopes_list or None,
                description=description,
                expires_in=expires_in,
            )
        except DomainError as exc:
            raise _fail(exc.message) from exc
    elif slug and username and not operator_name:
        tenant = _tenant(session, slug)
        with tenant_scope(session, tenant.id):
            user = accounts.get_user_by_username(session, username)
            if user is None or not user.is_active:
                raise _fail(f"no active user '{username}' in {slug}")
            try:
                token, record = accounts.create_token(
                    session,
                    None,
                    tenant,
                    user,
                    scopes=scopes_list or None,
                    description=description,
                    expires_in=expires_in,
                )
            except DomainError as exc:
                raise _fail(exc.message) from exc
    else:
        raise click.UsageError("give either --tenant SLUG --user NAME, or --operator NAME")
    session.commit()
    expires = record.expires_at.isoformat(timespec="minutes") if record.expires_at else "never"
    click.echo(f"token {record.id}: scopes {record.scope}; expires {expires}", err=True)
    click.echo(token)


@tokens.command("list")
@click.option("--tenant", "slug", required=True, help="The county (tenant) slug.")
@click.option("--user", "username", required=True, help="Whose tokens.")
def list_tokens(slug: str, username: str) -> None:
    """List a user's tokens (never the tokens themselves): id, state, scopes, expiry, last use."""
    with _in_county(slug) as session:
        user = _user(session, slug, username)
        records = accounts.tokens_of(session, user)
        now = utcnow()
        if not records:
            click.echo(f"{username} in {slug} has no tokens")
        for record in records:
            click.echo(
                f"{record.id:>6}  {accounts.token_state(record, now):<8} "
                f"expires {_minute(record.expires_at)}  last used {_minute(record.last_used_at)}"
                f"  {record.scope}  {record.description}"
            )


@tokens.command("revoke")
@click.option("--tenant", "slug", required=True, help="The county (tenant) slug.")
@click.option("--user", "username", required=True, help="Whose token.")
@click.argument("token_id", type=int)
def revoke_token(slug: str, username: str, token_id: int) -> None:
    """Revoke one of a user's tokens now (``tokens list`` gives the ids)."""
    with _in_county(slug) as session:
        try:
            record = accounts.get_token(session, _user(session, slug, username), token_id)
        except DomainError as exc:
            raise _fail(exc.message) from exc
        accounts.revoke_token(session, Console(), record)
        session.commit()
    click.echo(f"token {token_id} of {username} in {slug} revoked")


def _minute(moment: dt.datetime | None) -> str:
    return moment.isoformat(timespec="minutes") if moment else "-"


# --- operators and users ---------------------------------------------------------------------

operators = AppGroup("operators", help="Platform operators (平台运维), who manage tenants.")


@operators.command("create")
@click.argument("username")
@click.option("--name", required=True, help="The operator's real name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin.")
def create_operator(username: str, name: str, password_stdin: bool) -> None:
    """Create a platform operator account."""
    session = db_session()
    password = _read_password(password_stdin, username)
    try:
        operator = accounts.create_operator(
            session, username=username, name=name, password=password
        )
    except DomainError as exc:
        raise _fail(exc.message) from exc
    session.commit()
    click.echo(f"operator {operator.username} created")


users = AppGroup(
    "users",
    help="County staff accounts; administrator accounts (三员分立) are managed only here.",
)


@users.command("create")
@click.option("--tenant", "slug", required=True, help="The county (tenant) slug.")
@click.argument("username")
@click.option("--name", required=True, help="The person's real name.")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]), help="The role.")
@click.option("--phone", help="Work phone.")
@click.option(
    "--password-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where the one-time password goes (mode 0600). Default: initial-passwords-<slug>-"
    "<time>.txt in the instance folder.",
)
def create_user(
    slug: str, username: str, name: str, role: str, phone: str | None, password_file: Path | None
) -> None:
    """Create an account, any role included (the portal cannot give administrator roles).

    The account gets a one-time password, written to a file only its owner can read and to be
    changed at first login; it is never printed.
    """
    with _in_county(slug) as session:
        try:
            user = accounts.create_user(
                session, Console(), username=username, name=name, role=role, phone=phone
            )
            password = accounts.issue_one_time_password(session, Console(), user)
        except DomainError as exc:
            raise _fail(exc.message) from exc
        written = _write_passwords(session, password_file, slug, [(user, password)])
        session.commit()
    click.echo(f"user {username} ({role}) created in {slug}; one-time password in {written}")


@users.command("set-role")
@click.option("--tenant", "slug", required=True, help="The county (tenant) slug.")
@click.argument("username")
@click.argument("role", type=click.Choice([r.value for r in Role]))
def set_role(slug: str, username: str, role: str) -> None:
    """Give an account another role (administrator roles only from here)."""
    with _in_county(slug) as session:
        try:
            accounts.update_user(session, Console(), _user(session, slug, username), role=role)
        except DomainError as exc:
            raise _fail(exc.message) from exc
        session.commit()
    click.echo(f"{username} in {slug} is now {role}")


@users.command("deactivate")
@click.option("--tenant", "slug", required=True, help="The county (tenant) slug.")
@click.argument("username")
def deactivate(slug: str, username: str) -> None:
    """Deactivate an account: it can no longer log in, its tokens stop working."""
    _set_active(slug, username, active=False)


@users.command("activate")
@click.option("--tenant", "slug", required=True, help="The county (tenant) slug.")
@click.argument("username")
def activate(slug: str, username: str) -> None:
    """Activate a deactivated account again."""
    _set_active(slug, username, active=True)


def _set_active(slug: str, username: str, *, active: bool) -> None:
    with _in_county(slug) as session:
        accounts.update_user(session, Console(), _user(session, slug, username), is_active=active)
        session.commit()
    click.echo(f"{username} in {slug} {'activated' if active else 'deactivated'}")


@users.command("unlock")
@click.option("--tenant", "slug", required=True, help="The county (tenant) slug.")
@click.argument("username")
def unlock(slug: str, username: str) -> None:
    """Lift the lockout of an account after failed logins."""
    with _in_county(slug) as session:
        accounts.unlock(session, Console(), _user(session, slug, username))
        session.commit()
    click.echo(f"{username} in {slug} unlocked")


@users.command("reset-2fa")
@click.option("--tenant", "slug", required=True, help="The county (tenant) slug.")
@click.argument("username")
def reset_second_factor(slug: str, username: str) -> None:
    """Take an account's second factor away (a lost phone): they set it up again at the next
    login, administrators must."""
    with _in_county(slug) as session:
        second_factor.reset(session, Console(), _user(session, slug, username))
        session.commit()
    click.echo(f"second factor of {username} in {slug} reset")


@users.command("set-password")
@click.option("--tenant", "slug", required=True, help="The county (tenant) slug.")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin.")
def set_password(slug: str, username: str, password_stdin: bool) -> None:
    """Set a user's password (and lift a lockout); they must change it at their next login."""
    with _in_county(slug) as session:
        user = _user(session, slug, username)
        password = _read_password(password_stdin, username)
        try:
            accounts.set_password(session, Console(), user, password, one_time=True)
        except DomainError as exc:
            raise _fail(exc.message) from exc
        session.commit()
    click.echo(f"password of {username} in {slug} set")


# --- demo ------------------------------------------------------------------------------------


def _default_tenants_dir() -> Path:
    """``tenants/`` of the working directory (``make demo`` runs at the repository root), else
    the one next to this package's folder in a source checkout."""
    here = Path.cwd() / "tenants"
    if here.is_dir():
        return here
    return Path(__file__).resolve().parent.parent / "tenants"


def _demo_manifests(folder: Path) -> Iterator[Path]:
    # The main demo county first, then the others by name.
    for path in sorted(folder.glob("*.yaml"), key=lambda p: (p.stem != DEMO_SLUG_PREFIX, p.name)):
        try:
            manifest = load_manifest(path)
        except ManifestError as exc:
            if path.stem.startswith(DEMO_SLUG_PREFIX):
                raise
            click.echo(f"skipped {path}: {exc.problems[0].message}", err=True)
            continue
        if manifest.slug.startswith(DEMO_SLUG_PREFIX):
            yield path


def _first_grid(session: Session, tenant: Tenant) -> str | None:
    """The code of the county's first basic grid, for the resident page's address."""
    with tenant_scope(session, tenant.id):
        return session.scalar(
            select(Node.code)
            .where(Node.level == tenant.grid_level, Node.retired_at.is_(None))
            .order_by(Node.code)
            .limit(1)
        )


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Set up the demo and exit without serving.")
@click.option(
    "--tenants-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of tenant manifests (default: ./tenants).",
)
@with_appcontext
def demo(host: str, port: int, no_serve: bool, tenants_dir: Path | None) -> None:
    """Migrate, load the demo counties, print the logins and serve the portal."""
    from gridgov.core.registry.demo import load_demo_registry
    from gridgov.migrations import upgrade

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    os.makedirs(app.instance_path, exist_ok=True)
    click.echo(f"database: {_redacted(app.config['DATABASE_URL'])}")
    upgrade(app.config["MIGRATION_DATABASE_URL"], app.config["DATABASE_URL"])

    folder = tenants_dir or _default_tenants_dir()
    session = db_session()
    loaded: list[Plan] = []
    try:
        paths = list(_demo_manifests(folder))
    except ManifestError as exc:
        for line in exc.lines():
            click.secho(line, fg="red", err=True)
        raise click.exceptions.Exit(1) from exc
    if not paths:
        raise _fail(f"no demo manifests (slug demo…) in {folder}")
    for path in paths:
        plan = _apply(session, path, dry_run=False, prune=False)
        _announce_passwords(plan)
        issue_initial_passwords(session, plan, password=DEMO_PASSWORD)
        load_demo_registry(session, plan.tenant)
        loaded.append(plan)
    made = add_demo_tasks(session, [plan.tenant for plan in loaded if plan.tenant is not None])
    admission_lines = _load_demo_admissions(session, loaded)
    task_lines = _age_demo_tasks(session, loaded, made)
    assessment_lines = _load_demo_assessment(session, loaded)
    session.commit()

    base = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"  # noqa: S104
    click.echo("")
    for plan in loaded:
        state = "up to date" if plan.is_empty else plan.summary()
        click.echo(f"{plan.source}: {state}")
    click.echo("")
    click.echo("gridgov demo — 演示环境 (demo data only: invented places, people and phones)")
    for plan in loaded:
        assert plan.tenant is not None
        click.echo(f"  portal   {_pad(plan.tenant.name, 8)} {base}/t/{plan.tenant.slug}/login")
        grid = _first_grid(session, plan.tenant)
        if grid is not None:  # what a resident sees from the grid's notice-board QR code
            public = f"{base}/t/{plan.tenant.slug}/public/grids/{grid}"
            click.echo(f"  resident {_pad(plan.tenant.name, 8)} {public}")
    click.echo(f"  API docs {base}/api/docs")
    click.echo("")
    click.secho(
        f"Demo password of every demo account: {DEMO_PASSWORD}   "
        "(演示专用，所有演示账号同一密码；切勿用于真实数据)",
        fg="yellow",
    )
    for plan in loaded:
        assert plan.tenant is not None
        _echo_logins(session, plan.tenant)
    click.echo("\n".join(admission_lines + task_lines + assessment_lines))
    db_session.remove()  # the server's threads open their own sessions

    if no_serve:
        return
    # Trying the demo needs no phone: administrators may set up the second factor on their
    # account page, they are not made to (a real county's deployment requires it).
    app.config["GRIDGOV_ADMIN_SECOND_FACTOR"] = "optional"
    click.echo(
        "Two-factor login is optional in the demo (两步验证在演示中可选；正式部署中管理员必须启用)"
    )
    click.echo(
        f"\nServing {base} — Ctrl+C stops it (another port: make demo DEMO_ARGS='--port 8080')"
    )
    from werkzeug.serving import run_simple

    # Flask's app.run refuses to start under the `flask`/FlaskGroup CLI, so call werkzeug directly.
    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)


def _load_demo_admissions(session: Session, loaded: list[Plan]) -> list[str]:
    """Departments and an application in review in the main demo county (准入制)."""
    from gridgov.core.admission.demo import load_demo_admissions

    main = next((p.tenant for p in loaded if p.tenant and p.tenant.slug == DEMO_SLUG_PREFIX), None)
    if main is None:
        return []
    host = runtime.current().plugins
    with tenant_scope(session, main.id):
        return ["", f"{main.name} — 职能部门与准入", *load_demo_admissions(session, host, main)]


def _load_demo_assessment(session: Session, loaded: list[Plan]) -> list[str]:
    """The main demo county's last month, scored (考核), once its tasks are in."""
    from gridgov.core.assessment.demo import load_demo_assessment

    main = next((p.tenant for p in loaded if p.tenant and p.tenant.slug == DEMO_SLUG_PREFIX), None)
    if main is None:
        return []
    with tenant_scope(session, main.id):
        return ["", f"{main.name} — 考核", *load_demo_assessment(session, main)]


def _age_demo_tasks(session: Session, loaded: list[Plan], made: int) -> list[str]:
    """Cards and supervision in the main demo county, once its tasks (the core's and the
    modules') are made: the sweep runs over their back-dated weeks."""
    main = next((p.tenant for p in loaded if p.tenant and p.tenant.slug == DEMO_SLUG_PREFIX), None)
    if main is None:
        return []
    if not made:
        return ["", f"{main.name} — 事件: demo tasks already loaded"]
    with tenant_scope(session, main.id):
        yellow, red, supervised = age_demo_tasks(session, main)
    return [
        "",
        f"{main.name} — 事件: {made} demo tasks over the last weeks, {yellow} with a yellow "
        f"card, {red} with a red card, {supervised} under supervision (督办)",
        "  (log in as cs.admin: 事件看板, 督办; as sq0101, jd01, bm.xiaofang: 待本级办理)",
    ]


def _echo_logins(session: Session, tenant: Tenant, per_role: int = 3) -> None:
    """A table of demo logins: the first few accounts of each role, and how many more."""
    with tenant_scope(session, tenant.id):
        everyone = session.scalars(select(User).order_by(User.id)).all()
        codes = dict(session.execute(select(Node.id, Node.code)).all())
        names = dict(session.execute(select(Node.id, Node.name)).all())
        click.echo("")
        click.echo(f"{tenant.name} ({tenant.slug}) — {len(everyone)} demo accounts")
        click.echo(f"  {'username':<16} {'role':<20} {_pad('name', 8)} node")
        for role in ROLE_ORDER:
            of_role = [u for u in everyone if u.role == role]
            for user in of_role[:per_role]:
                ids = [a.node_id for a in user.assignments]
                # One node: its code and name; several (a supervisor's grids): their codes.
                where = (
                    f"{codes[ids[0]]} {names[ids[0]]}"
                    if len(ids) == 1
                    else ", ".join(codes[i] for i in ids)
                )
                click.echo(
                    f"  {user.username:<16} {user.role:<20} {_pad(user.name, 8)} {where or '-'}"
                )
            if len(of_role) > per_role:
                click.echo(f"  … and {len(of_role) - per_role} more {role.value} accounts")


def _pad(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal columns: a Chinese character takes two."""
    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(width - used, 0)


def _redacted(url: str) -> str:
    from sqlalchemy import make_url

    return make_url(url).render_as_string(hide_password=True)
