"""The ``gridgov`` command line as an operator runs it: manifests, tokens, accounts, the demo."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import func, select

from gridgov.app import create_app
from gridgov.cli import DEMO_PASSWORD
from gridgov.core.accounts import second_factor
from gridgov.core.accounts import service as accounts
from gridgov.core.accounts.models import Role, User
from gridgov.core.admission.models import Admission
from gridgov.core.audit.models import AuditEvent
from gridgov.core.db import db_session, set_tenant, tenant_scope
from gridgov.core.departments import service as departments
from gridgov.core.departments.models import Department
from gridgov.core.hierarchy import service as hierarchy
from gridgov.core.hierarchy.models import Node
from gridgov.core.tenancy import service as tenancy
from gridgov.core.tenancy.models import Tenant
from tests.factories import build_county

TENANTS_DIR = Path(__file__).resolve().parent.parent / "tenants"
LOCKOUT = dt.timedelta(minutes=15)

RIVER = """\
slug: river
name: 河西县
levels: [县, 乡镇, 村]
nodes:
  - code: R
    name: 河西县
    children:
      - code: R-01
        name: 河西镇
        children:
          - {code: R-01-01, name: 东村}
          - {code: R-01-02, name: 西村}
users:
  - {username: admin, name: 王建国, role: county_admin, nodes: [R]}
  - {username: w1, name: 李红, role: grid_worker, nodes: [R-01-01], phone: "13800000001"}
modules: [fire_safety]
"""


def with_south_village(text: str) -> str:
    return text.replace(
        "          - {code: R-01-02, name: 西村}\n",
        "          - {code: R-01-02, name: 西村}\n          - {code: R-01-03, name: 南村}\n",
    )


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def river(tmp_path: Path) -> Path:
    path = tmp_path / "river.yaml"
    path.write_text(RIVER, encoding="utf-8")
    return path


def login(session, username: str, password: str, **kwargs):
    return accounts.authenticate(
        session, username, password, max_failures=5, lockout=LOCKOUT, **kwargs
    )


def mint_for(username: str) -> list[str]:
    return ["tokens", "create", "--tenant", "changshan", "--user", username]


def in_tenant(session, slug: str) -> Tenant:
    set_tenant(session, None)
    tenant = tenancy.get_by_slug(session, slug)
    assert tenant is not None
    set_tenant(session, tenant.id)
    return tenant


# --- tenants ---------------------------------------------------------------------------------


def test_tenants_apply_writes_one_time_passwords_to_a_private_file(
    session, runner, river, tmp_path
):
    secrets_file = tmp_path / "handover" / "river.txt"
    result = runner.invoke(args=["tenants", "apply", str(river), "--password-file", secrets_file])
    assert result.exit_code == 0, result.output
    assert "+ tenant river 河西县 (levels 县/乡镇/村)" in result.output
    assert "+ node R-01-02 西村 (under R-01)" in result.output
    assert "+ user w1 李红 (grid_worker) at R-01-01" in result.output
    assert f"One-time passwords of 2 new accounts are in {secrets_file}" in result.output
    assert secrets_file.stat().st_mode & 0o777 == 0o600
    rows = dict(
        (line.split("\t")[0], line.split("\t")[3])
        for line in secrets_file.read_text(encoding="utf-8").splitlines()
        if not line.startswith("#")
    )
    assert rows["w1"] not in result.output  # never on the terminal
    in_tenant(session, "river")
    user = login(session, "w1", rows["w1"])
    assert user.username == "w1" and user.must_change_password


def test_tenants_apply_never_overwrites_a_passwords_file(session, runner, river, tmp_path):
    taken = tmp_path / "taken.txt"
    taken.write_text("someone's file", encoding="utf-8")
    result = runner.invoke(args=["tenants", "apply", str(river), "--password-file", taken])
    assert result.exit_code == 1 and "not overwritten" in result.output
    assert taken.read_text(encoding="utf-8") == "someone's file"
    assert session.scalar(select(func.count()).select_from(Tenant)) == 0


def test_the_passwords_file_goes_to_the_instance_folder_by_default(app, session, runner, river):
    result = runner.invoke(args=["tenants", "apply", str(river)])
    assert result.exit_code == 0, result.output
    written = list(Path(app.instance_path).glob("initial-passwords-river-*.txt"))
    assert len(written) == 1 and written[0].stat().st_mode & 0o777 == 0o600
    written[0].unlink()


def test_tenants_apply_twice_reports_up_to_date(session, runner, river):
    runner.invoke(args=["tenants", "apply", str(river)])
    again = runner.invoke(args=["tenants", "apply", str(river)])
    assert again.exit_code == 0
    assert again.output.strip() == "river: up to date, nothing to change"


def test_tenants_apply_dry_run_prints_the_plan_and_changes_nothing(session, runner, river):
    result = runner.invoke(args=["tenants", "apply", "--dry-run", str(river)])
    assert result.exit_code == 0, result.output
    assert "+ node R-01-01 东村 (under R-01)" in result.output
    assert "(dry run: nothing changed)" in result.output
    assert "Initial passwords" not in result.output
    assert session.scalar(select(func.count()).select_from(Tenant)) == 0


def test_bad_manifest_exits_1_with_the_line_and_changes_nothing(session, runner, river):
    assert runner.invoke(args=["tenants", "apply", str(river)]).exit_code == 0
    in_tenant(session, "river")
    nodes = session.scalar(select(func.count()).select_from(Node))
    # a new village first, then a user whose role is misspelt
    text = with_south_village(RIVER).replace("role: grid_worker", "role: gridworker")
    river.write_text(text, encoding="utf-8")
    result = runner.invoke(args=["tenants", "apply", str(river)])
    assert result.exit_code == 1
    line = next(n for n, x in enumerate(text.splitlines(), 1) if "username: w1" in x)
    assert f"{river}:{line}: users[1].role: 未知角色 'gridworker'" in result.output
    assert "nothing changed" in result.output
    in_tenant(session, "river")
    assert session.scalar(select(func.count()).select_from(Node)) == nodes


def test_error_found_while_applying_exits_1_and_rolls_everything_back(session, runner, river):
    assert runner.invoke(args=["tenants", "apply", str(river)]).exit_code == 0
    # w1 keeps 东村 (users left out are kept), so giving it to a newcomer fails only when the
    # services assign it, after the new village was created.
    text = with_south_village(RIVER).replace("username: w1, name: 李红", "username: w9, name: 钱进")
    river.write_text(text, encoding="utf-8")
    result = runner.invoke(args=["tenants", "apply", str(river)])
    assert result.exit_code == 1
    assert "users[1].nodes[0]: 网格 东村 已有网格员 李红（一格一员）" in result.output
    in_tenant(session, "river")
    assert hierarchy.get_node_by_code(session, "R-01-03") is None
    assert accounts.get_user_by_username(session, "w9") is None


def test_tenants_apply_prune_retires_nodes_left_out(session, runner, river):
    runner.invoke(args=["tenants", "apply", str(river)])
    river.write_text(RIVER.replace("          - {code: R-01-02, name: 西村}\n", ""), "utf-8")
    kept = runner.invoke(args=["tenants", "apply", str(river)])
    assert "  - node R-01-02 西村 retired (no longer in the manifest)" in kept.output
    assert "taken away only with --prune; nothing was taken away" in kept.output
    in_tenant(session, "river")
    assert not hierarchy.get_node_by_code(session, "R-01-02").is_retired
    pruned = runner.invoke(args=["tenants", "apply", "--prune", str(river)])
    assert "Taken away (--prune)" in pruned.output
    assert "  - node R-01-02 西村 retired (no longer in the manifest)" in pruned.output
    in_tenant(session, "river")
    assert hierarchy.get_node_by_code(session, "R-01-02").is_retired


RIVER_DEPARTMENT = RIVER.replace(
    "modules: [fire_safety]\n",
    "  - {username: xf, name: 周振华, role: department_officer, nodes: [R]}\n"
    "  - {username: sec, name: 何文斌, role: security_admin, nodes: [R]}\n"
    "departments:\n"
    "  - {code: R-XF, name: 河西县消防救援大队, node: R, officers: [xf]}\n"
    "modules: [fire_safety]\n",
)


def test_re_applying_keeps_what_the_county_changed_through_the_api(session, runner, river, client):
    river.write_text(RIVER_DEPARTMENT, "utf-8")
    assert runner.invoke(args=["tenants", "apply", str(river)]).exit_code == 0
    tenant = in_tenant(session, "river")
    admin = accounts.get_user_by_username(session, "admin")
    token, _record = accounts.create_token(
        session, None, tenant, admin, scopes=accounts.USER_SCOPES
    )
    security = accounts.get_user_by_username(session, "sec")
    accounts_token, _record = accounts.create_token(
        session, None, tenant, security, scopes=accounts.USER_SCOPES
    )
    session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    for_accounts = {"Authorization": f"Bearer {accounts_token}"}
    api = "/t/river/api/v1"
    # the security admin makes an account and 李红 a supervisor, the county admin adds the new
    # account to the fire brigade
    made = client.post(
        f"{api}/users",
        json={"username": "xf2", "name": "孙消防", "role": "department_officer"},
        headers=for_accounts,
    )
    assert made.status_code == 201, made.get_json()
    in_tenant(session, "river")
    fire = session.scalar(select(Department).where(Department.code == "R-XF"))
    xf = accounts.get_user_by_username(session, "xf")
    put = client.put(
        f"{api}/departments/{fire.id}/officers",
        json={"user_ids": [xf.id, made.get_json()["id"]]},
        headers=headers,
    )
    assert put.status_code == 200, put.get_json()
    w1 = accounts.get_user_by_username(session, "w1")
    patched = client.patch(
        f"{api}/users/{w1.id}", json={"role": "supervisor"}, headers=for_accounts
    )
    assert patched.status_code == 200, patched.get_json()

    again = runner.invoke(args=["tenants", "apply", str(river)])
    assert again.exit_code == 0, again.output
    assert "river: up to date, nothing to change" in again.output
    assert "  = department R-XF officers +xf2 kept: added in the portal" in again.output
    assert (
        "  = user w1 role supervisor kept: changed in the portal (the file still says grid_worker)"
        in again.output
    )
    read = client.get(f"{api}/departments/{fire.id}", headers=headers).get_json()
    assert sorted(o["username"] for o in read["officers"]) == ["xf", "xf2"]
    assert client.get(f"{api}/users/{w1.id}", headers=headers).get_json()["role"] == "supervisor"


def test_dry_run_lists_what_prune_would_take_away_apart_from_the_changes(session, runner, river):
    river.write_text(RIVER_DEPARTMENT, "utf-8")
    assert runner.invoke(args=["tenants", "apply", str(river)]).exit_code == 0
    smaller = RIVER_DEPARTMENT.replace("officers: [xf]", "officers: []").replace("西村", "西庄")
    river.write_text(smaller, "utf-8")
    dry = runner.invoke(args=["tenants", "apply", "--dry-run", str(river)])
    assert dry.exit_code == 0, dry.output
    lines = dry.output.splitlines()
    heading = lines.index(
        "Not in the manifest any more — taken away only with --prune; "
        "nothing was taken away (仅在加 --prune 时移除，本次未移除):"
    )
    assert lines[:heading] == ["~ node R-01-02 name 西村 → 西庄"]
    assert lines[heading + 1] == "  - department R-XF officers -xf"
    assert lines[-1] == (
        "river: 0 to create, 1 to change, 1 not taken away (only --prune takes away) "
        "(dry run: nothing changed)"
    )
    pruning = runner.invoke(args=["tenants", "apply", "--dry-run", "--prune", str(river)])
    assert "Would take away (--prune) (将移除):\n  - department R-XF officers -xf" in (
        pruning.output
    )
    in_tenant(session, "river")
    fire = session.scalar(select(Department).where(Department.code == "R-XF"))
    assert [u.username for u in departments.officers(session, fire)] == ["xf"]
    assert runner.invoke(args=["tenants", "apply", "--prune", str(river)]).exit_code == 0
    in_tenant(session, "river")
    assert departments.officers(session, fire) == []


def test_tenants_list_shows_each_tenant_with_its_size(session, runner, river):
    runner.invoke(args=["tenants", "apply", str(river)])
    result = runner.invoke(args=["tenants", "list"])
    assert result.exit_code == 0
    (row,) = [line for line in result.output.splitlines() if line.startswith("river ")]
    assert row.split()[1:] == ["河西县", "县/乡镇/村", "4", "2", "yes"]


# --- tokens, operators, passwords ------------------------------------------------------------


def test_tokens_create_prints_only_a_token_that_authenticates(session, runner):
    county = build_county(session, "changshan")
    options = ["--scope", "hierarchy:read", "--expires-days", "30", "--description", "夜间同步"]
    result = runner.invoke(args=[*mint_for(county.admin.username), *options])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert "\n" not in token and token.startswith("ggv_changshan_")
    in_tenant(session, "changshan")
    record = accounts.find_token(session, token)
    assert record.user_id == county.admin.id
    assert record.scope == "hierarchy:read"
    assert record.description == "夜间同步"
    assert dt.timedelta(days=29) < record.expires_at - dt.datetime.now(dt.UTC) <= dt.timedelta(30)


def test_tokens_are_listed_and_revoked_from_the_command_line(session, runner):
    county = build_county(session, "changshan")
    session.commit()
    minted = runner.invoke(args=mint_for(county.workers[0].username))
    assert minted.exit_code == 0, minted.output
    in_tenant(session, "changshan")
    record = accounts.find_token(session, minted.stdout.strip())
    assert dt.timedelta(days=89) < record.expires_at - dt.datetime.now(dt.UTC)  # 90 by default
    listed = runner.invoke(
        args=["tokens", "list", "--tenant", "changshan", "--user", county.workers[0].username]
    )
    assert listed.exit_code == 0 and f"{record.id:>6}  active" in listed.output
    assert minted.stdout.strip() not in listed.output
    revoked = runner.invoke(
        args=[
            "tokens", "revoke", "--tenant", "changshan",
            "--user", county.workers[0].username, str(record.id),
        ]
    )  # fmt: skip
    assert revoked.exit_code == 0, revoked.output
    in_tenant(session, "changshan")
    session.expire_all()
    assert accounts.find_token(session, minted.stdout.strip()).revoked_at is not None
    too_long = runner.invoke(args=[*mint_for(county.admin.username), "--expires-days", "400"])
    assert too_long.exit_code == 2  # beyond MAX_TOKEN_DAYS


def test_tokens_create_refuses_an_unknown_scope(session, runner):
    county = build_county(session, "changshan")
    result = runner.invoke(args=[*mint_for(county.admin.username), "--scope", "everything"])
    assert result.exit_code == 1
    assert "everything" in result.output and "ggv_" not in result.output


def test_tokens_create_for_an_unknown_user_fails(session, runner):
    build_county(session, "changshan")
    result = runner.invoke(args=mint_for("nobody"))
    assert result.exit_code == 1
    assert "nobody" in result.output


def test_operator_created_from_stdin_gets_an_operator_token(session, runner):
    created = runner.invoke(
        args=["operators", "create", "ops1", "--name", "运维甲", "--password-stdin"],
        input="Ops-Pass-2026\n",
    )
    assert created.exit_code == 0, created.output
    assert login(session, "ops1", "Ops-Pass-2026", operator=True).name == "运维甲"
    minted = runner.invoke(args=["tokens", "create", "--operator", "ops1"])
    assert minted.exit_code == 0, minted.output
    record = accounts.find_operator_token(session, minted.stdout.strip())
    assert record.operator.username == "ops1"
    assert record.scope == " ".join(accounts.DEFAULT_OPERATOR_SCOPES)  # read-only by default


def test_operator_with_a_weak_password_is_refused(session, runner):
    result = runner.invoke(
        args=["operators", "create", "ops2", "--name", "运维乙", "--password-stdin"],
        input="short\n",
    )
    assert result.exit_code == 1
    assert "密码至少" in result.output


def test_users_set_password_prompts_twice_and_the_new_one_logs_in(session, runner):
    county = build_county(session, "changshan")
    username = county.workers[0].username
    result = runner.invoke(
        args=["users", "set-password", "--tenant", "changshan", username],
        input="New-Pass-2026\nNew-Pass-2026\n",
    )
    assert result.exit_code == 0, result.output
    in_tenant(session, "changshan")
    assert login(session, username, "New-Pass-2026").id == county.workers[0].id


def test_users_create_makes_an_administrator_audited_as_the_console(session, runner, tmp_path):
    build_county(session, "changshan")
    session.commit()
    handover = tmp_path / "auditor.txt"
    result = runner.invoke(
        args=[
            "users", "create", "--tenant", "changshan", "new.audit", "--name", "审计员乙",
            "--role", "audit_admin", "--password-file", handover,
        ]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert handover.stat().st_mode & 0o777 == 0o600
    password = handover.read_text(encoding="utf-8").splitlines()[-1].split("\t")[3]
    assert password not in result.output
    in_tenant(session, "changshan")
    user = login(session, "new.audit", password)
    assert user.role == "audit_admin" and user.must_change_password
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.object_id == str(user.id)).order_by(AuditEvent.id)
    ).all()
    assert [e.action for e in events] == ["user.create", "user.set_password"]
    assert {e.actor_type for e in events} == {"console"}
    assert events[0].actor_name.startswith("服务器命令行 (")


def test_users_set_role_and_deactivate_administrators_from_the_console(session, runner):
    county = build_county(session, "changshan")
    session.commit()
    worker = county.workers[0].username
    promoted = runner.invoke(
        args=["users", "set-role", "--tenant", "changshan", worker, "audit_admin"]
    )
    assert promoted.exit_code == 0, promoted.output
    auditor = county.auditor.username
    assert (
        runner.invoke(args=["users", "deactivate", "--tenant", "changshan", auditor]).exit_code == 0
    )
    in_tenant(session, "changshan")
    session.expire_all()
    assert session.get(User, county.workers[0].id).role == "audit_admin"
    assert not session.get(User, county.auditor.id).is_active
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "user.update").order_by(AuditEvent.id)
    ).all()[-1]
    assert event.actor_type == "console" and event.after["is_active"] is False
    unknown = runner.invoke(args=["users", "unlock", "--tenant", "changshan", "nobody"])
    assert unknown.exit_code == 1 and "no user 'nobody'" in unknown.output


def test_users_reset_2fa_takes_an_administrators_second_factor_away(session, runner):
    county = build_county(session, "changshan")
    with tenant_scope(session, county.tenant.id):
        secret = second_factor.start_enrolment(session, county.auditor)
        second_factor.confirm(session, county.auditor, pyotp.TOTP(secret).now())
    session.commit()
    result = runner.invoke(
        args=["users", "reset-2fa", "--tenant", "changshan", county.auditor.username]
    )
    assert result.exit_code == 0, result.output
    in_tenant(session, "changshan")
    session.expire_all()
    assert session.get(User, county.auditor.id).totp_confirmed_at is None
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "user.second_factor_reset")
    ).one()
    assert event.actor_type == "console"


def test_every_command_group_is_registered(runner):
    result = runner.invoke(args=["--help"])
    listed = set(re.findall(r"^  (\S+)", result.output, re.M))
    assert {"db", "worker", "tenants", "tokens", "operators", "users", "demo"} <= listed


# --- demo ------------------------------------------------------------------------------------


@pytest.fixture
def empty_app(tmp_path: Path):
    """An app on a database of its own that nothing has migrated yet, as on a fresh clone."""
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}",
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SECRET_KEY": "test-secret-key",
        }
    )
    yield app
    app.extensions["gridgov.engine"].dispose()


def test_demo_sets_up_an_empty_database_prints_the_logins_and_is_idempotent(empty_app):
    args = ["demo", "--no-serve", "--tenants-dir", str(TENANTS_DIR)]
    first = empty_app.test_cli_runner().invoke(args=args)
    assert first.exit_code == 0, first.output
    assert "http://127.0.0.1:5000/t/demo/login" in first.output
    assert "http://127.0.0.1:5000/t/demo-banner/login" in first.output
    assert "http://127.0.0.1:5000/api/docs" in first.output
    # A resident's page too: the first grid's notice board, as its QR code opens it.
    assert "http://127.0.0.1:5000/t/demo/public/grids/CS-01-01-01" in first.output
    assert DEMO_PASSWORD in first.output
    for role in Role:
        assert re.search(rf"^  \S+\s+{role.value}\s", first.output, re.M), role
    assert re.search(r"^  wg010101\s+grid_worker\s+\S+\s+CS-01-01-01 ", first.output, re.M)
    # 准入制: the demo's fire brigade applied for the installed module (the tests' example one)
    assert "长山区消防救援大队 (bm.xiaofang) applied for env_patrol: 待审议" in first.output

    with empty_app.app_context():
        session = db_session()
        set_tenant(session, tenancy.get_by_slug(session, "demo").id)
        assert login(session, "wg010101", DEMO_PASSWORD).role == Role.GRID_WORKER
        users = session.scalar(select(func.count()).select_from(User))
        admissions = session.scalar(select(func.count()).select_from(Admission))

    second = empty_app.test_cli_runner().invoke(args=args)
    assert second.exit_code == 0, second.output
    assert "demo.yaml: up to date" in second.output
    assert "demo-banner.yaml: up to date" in second.output
    assert "demo tasks already loaded" in second.output
    with empty_app.app_context():
        session = db_session()
        set_tenant(session, tenancy.get_by_slug(session, "demo").id)
        assert session.scalar(select(func.count()).select_from(User)) == users
        # the example's application, plus the built-in modules installed here (approved)
        assert session.scalar(select(func.count()).select_from(Admission)) == admissions


def test_demo_without_demo_manifests_fails_clearly(empty_app, tmp_path):
    folder = tmp_path / "tenants"
    folder.mkdir()
    (folder / "river.yaml").write_text(RIVER, encoding="utf-8")
    result = empty_app.test_cli_runner().invoke(
        args=["demo", "--no-serve", "--tenants-dir", str(folder)]
    )
    assert result.exit_code == 1
    assert "no demo manifests" in result.output
