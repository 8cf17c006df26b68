"""Tenant manifests: line-numbered refusals, idempotent apply through the services, history."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from gridgov.core.accounts import service as accounts
from gridgov.core.accounts.models import Role, User
from gridgov.core.accounts.scope import scope_of
from gridgov.core.audit.models import AuditEvent
from gridgov.core.db import set_tenant, utcnow
from gridgov.core.departments import service as departments
from gridgov.core.hierarchy import service as hierarchy
from gridgov.core.hierarchy.models import Node
from gridgov.core.onboarding import counties
from gridgov.core.onboarding import manifest as manifest_module
from gridgov.core.onboarding.manifest import (
    MISSING,
    Change,
    ManifestError,
    SetMerge,
    apply_manifest,
    issue_initial_passwords,
    load_manifest,
    merge_set,
    merge_value,
    parse_manifest,
)
from gridgov.core.onboarding.models import AppliedManifest
from gridgov.core.tenancy import service as tenancy
from gridgov.core.tenancy.models import Tenant

TENANTS_DIR = Path(__file__).resolve().parents[3] / "tenants"

SQUARE = (
    "{type: Polygon, coordinates: "
    "[[[111.6, 40.8], [111.61, 40.8], [111.61, 40.81], [111.6, 40.81], [111.6, 40.8]]]}"
)

HILL = f"""\
slug: hill
name: 小山县
levels: [县, 乡镇, 社区, 网格]
nodes:
  - code: H
    name: 小山县
    children:
      - code: H-01
        name: 城关镇
        children:
          - code: H-01-01
            name: 东街社区
            children:
              - code: H-01-01-01
                name: 东街第一网格
                boundary: {SQUARE}
              - code: H-01-01-02
                name: 东街第二网格
      - code: H-02
        name: 河口镇
        children:
          - code: H-02-01
            name: 河口社区
            children:
              - code: H-02-01-01
                name: 河口第一网格
users:
  - username: admin
    name: 王建国
    role: county_admin
    nodes: [H]
  - username: w1
    name: 李红
    role: grid_worker
    nodes: [H-01-01-01]
    phone: "13800000001"
  - username: w2
    name: 张伟
    role: grid_worker
    nodes: [H-01-01-02]
  - username: sup
    name: 赵敏
    role: supervisor
    nodes: [H-01-01-01, H-01-01-02]
modules: [fire_safety]
settings:
  map: {{zoom: 13}}
"""


DEPARTMENTS = """\
  - username: xf
    name: 周振华
    role: department_officer
    nodes: [H]
departments:
  - code: H-XF
    name: 小山县消防救援大队
    node: H
    phone: "0471-3210119"
    officers: [xf]
  - code: H-01-SF
    name: 城关镇司法所
    node: H-01
"""
# HILL with a department officer and two departments (the users list is the last list before
# ``modules``, so the officer is appended to it).
HILL_DEPARTMENTS = HILL.replace(
    "modules: [fire_safety]\n", DEPARTMENTS + "modules: [fire_safety]\n"
)


def line_of(text: str, marker: str, occurrence: int = 1) -> int:
    """The 1-based line of the ``occurrence``-th line containing ``marker``."""
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if marker in line]
    return hits[occurrence - 1]


def apply_text(session, text: str, **kwargs):
    return apply_manifest(session, parse_manifest(text, source="hill.yaml"), **kwargs)


def refusal(text: str) -> ManifestError:
    with pytest.raises(ManifestError) as caught:
        parse_manifest(text, source="bad.yaml")
    return caught.value


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def in_hill(session) -> Tenant:
    tenant = tenancy.get_by_slug(session, "hill")
    set_tenant(session, tenant.id)
    return tenant


# --- applying --------------------------------------------------------------------------------


def test_apply_creates_tenant_nodes_users_and_assignments(session):
    plan = apply_text(session, HILL)
    tenant = in_hill(session)
    assert tenant.name == "小山县"
    assert tenant.level_names == ["县", "乡镇", "社区", "网格"]
    assert tenant.modules == ["fire_safety"]
    assert tenant.settings == {"map": {"zoom": 13}}
    assert count(session, Node) == 8
    grid = hierarchy.get_node_by_code(session, "H-01-01-01")
    assert grid.level == 3 and grid.boundary["type"] == "Polygon"
    assert accounts.responsible_worker(session, grid).username == "w1"
    assert accounts.get_user_by_username(session, "w1").phone == "13800000001"
    sup = accounts.get_user_by_username(session, "sup")
    assert len(sup.assignments) == 2 and not any(a.is_responsible for a in sup.assignments)
    assert "+ node H-01-01-02 东街第二网格 (under H-01-01)" in plan.lines()
    assert [u.username for u in plan.created_users] == ["admin", "w1", "w2", "sup"]


def test_applying_twice_gives_an_empty_plan_and_no_new_audit_events(session):
    apply_text(session, HILL)
    tenant = in_hill(session)
    events = count(session, AuditEvent)
    set_tenant(session, None)
    again = apply_text(session, HILL)
    assert again.is_empty, again.lines()
    assert again.created_users == []
    set_tenant(session, tenant.id)
    assert count(session, AuditEvent) == events


def test_apply_writes_the_audit_log_through_the_services(session):
    apply_text(session, HILL)
    in_hill(session)
    actions = set(session.scalars(select(AuditEvent.action)))
    assert {"tenant.create", "node.create", "user.create", "assignment.create"} <= actions


def test_dry_run_reports_the_plan_and_changes_nothing(session):
    plan = apply_text(session, HILL, dry_run=True)
    assert "+ tenant hill 小山县 (levels 县/乡镇/社区/网格)" in plan.lines()
    assert sum(1 for c in plan.changes if c.kind == "node") == 8
    assert plan.tenant is None and plan.created_users == []
    assert tenancy.get_by_slug(session, "hill") is None
    assert session.scalar(select(func.count()).select_from(Tenant)) == 0


def test_dry_run_of_a_change_leaves_the_old_state(session):
    apply_text(session, HILL)
    set_tenant(session, None)
    plan = apply_text(session, HILL.replace("东街第二网格", "东街新网格"), dry_run=True)
    assert plan.lines() == ["~ node H-01-01-02 name 东街第二网格 → 东街新网格"]
    in_hill(session)
    assert hierarchy.get_node_by_code(session, "H-01-01-02").name == "东街第二网格"


def test_new_users_get_an_initial_password_that_logs_in(session):
    plan = apply_text(session, HILL)
    issued = dict((u.username, pw) for u, pw in issue_initial_passwords(session, plan))
    assert set(issued) == {"admin", "w1", "w2", "sup"}
    assert len(set(issued.values())) == 4  # each one random
    in_hill(session)
    user = accounts.authenticate(
        session, "w1", issued["w1"], max_failures=5, lockout=dt.timedelta(minutes=1)
    )
    assert user.username == "w1"


def test_a_shared_password_is_hashed_once_and_logs_every_account_in(session, monkeypatch):
    # The demo gives its documented password to every account: one argon2 hash, not one each.
    plan = apply_text(session, HILL)
    made = []
    real_hash = manifest_module.hash_password
    monkeypatch.setattr(
        manifest_module, "hash_password", lambda pw: made.append(pw) or real_hash(pw)
    )
    issued = issue_initial_passwords(session, plan, password="Shared-2026-pass")
    assert len(made) == 1 and {pw for _u, pw in issued} == {"Shared-2026-pass"}
    in_hill(session)
    for name in ("admin", "w1", "sup"):
        user = accounts.authenticate(
            session, name, "Shared-2026-pass", max_failures=5, lockout=dt.timedelta(minutes=1)
        )
        assert user.username == name


def test_rename_in_the_manifest_keeps_the_old_name_at_the_old_date(session):
    apply_text(session, HILL)
    before = utcnow()
    set_tenant(session, None)
    plan = apply_text(session, HILL.replace("东街社区", "东街道社区"))
    assert plan.lines() == ["~ node H-01-01 name 东街社区 → 东街道社区"]
    in_hill(session)
    node = hierarchy.get_node_by_code(session, "H-01-01")
    assert node.name == "东街道社区"
    assert hierarchy.version_at(session, node, before).name == "东街社区"


HEKOU_COMMUNITY = """\
          - code: H-02-01
            name: 河口社区
            children:
              - code: H-02-01-01
                name: 河口第一网格
"""
# 河口社区 moved from 河口镇 (H-02) to 城关镇 (H-01), its grid with it
MOVED = HILL.replace("        children:\n" + HEKOU_COMMUNITY, "").replace(
    "                name: 东街第二网格\n", "                name: 东街第二网格\n" + HEKOU_COMMUNITY
)
assert MOVED.count("H-02-01") == 2 and MOVED != HILL


def test_move_in_the_manifest_moves_the_subtree_and_keeps_history(session):
    apply_text(session, HILL)
    in_hill(session)
    old_parent = hierarchy.get_node_by_code(session, "H-02")
    before = utcnow()
    set_tenant(session, None)
    plan = apply_text(session, MOVED)
    assert plan.lines() == ["~ node H-02-01 moved H-02 → H-01"]
    in_hill(session)
    community = hierarchy.get_node_by_code(session, "H-02-01")
    town = hierarchy.get_node_by_code(session, "H-01")
    grid = hierarchy.get_node_by_code(session, "H-02-01-01")
    assert grid.path.startswith(town.path)
    assert hierarchy.version_at(session, community, before).parent_id == old_parent.id


def test_nodes_missing_from_the_manifest_are_kept_and_reported(session):
    apply_text(session, HILL)
    set_tenant(session, None)
    without = HILL.replace(
        """              - code: H-01-01-02
                name: 东街第二网格
""",
        "",
    ).replace("[H-01-01-01, H-01-01-02]", "[H-01-01-01]")
    w2_user = "  - username: w2\n    name: 张伟\n    role: grid_worker\n    nodes: [H-01-01-02]\n"
    without = without.replace(w2_user, "")
    plan = apply_text(session, without)
    assert plan.lines() == [
        "- user sup nodes -H-01-01-02",
        "- user w2 张伟 (grid_worker) deactivated (no longer in the manifest), leaves H-01-01-02",
        "- node H-01-01-02 东街第二网格 retired (no longer in the manifest)",
    ]
    assert plan.changes == [] and plan.is_empty is False
    in_hill(session)
    grid = hierarchy.get_node_by_code(session, "H-01-01-02")
    assert not grid.is_retired
    assert accounts.responsible_worker(session, grid).username == "w2"
    assert len(accounts.get_user_by_username(session, "sup").assignments) == 2
    # and with --prune the grid is retired (kept for the records), its worker deactivated
    set_tenant(session, None)
    plan = apply_text(session, without, prune=True)
    assert plan.lines()[-1] == "- node H-01-01-02 东街第二网格 retired (no longer in the manifest)"
    in_hill(session)
    session.refresh(grid)
    assert grid.is_retired
    assert accounts.responsible_worker(session, grid) is None
    w2 = accounts.get_user_by_username(session, "w2")
    assert not w2.is_active and w2.assignments == []
    set_tenant(session, None)
    assert apply_text(session, without).is_empty


def test_prune_retires_a_whole_absent_branch_deepest_first(session):
    apply_text(session, HILL)
    set_tenant(session, None)
    plan = apply_text(
        session,
        MOVED.replace("          - code: H-02-01\n", "          - code: H-03-01\n"),
        prune=True,
    )
    assert plan.lines() == [
        "+ node H-03-01 河口社区 (under H-01)",
        "~ node H-02-01-01 moved H-02-01 → H-03-01",
        "- node H-02-01 河口社区 retired (no longer in the manifest)",
    ]


def test_grid_workers_swap_grids_in_one_apply_with_prune(session):
    apply_text(session, HILL)
    swapped = HILL.replace("nodes: [H-01-01-01]\n    phone", "nodes: [X]\n    phone")
    swapped = swapped.replace("nodes: [H-01-01-02]", "nodes: [H-01-01-01]")
    swapped = swapped.replace("nodes: [X]", "nodes: [H-01-01-02]")
    set_tenant(session, None)
    # Taking a grid from a worker is a removal: without --prune the apply says so and stops.
    with pytest.raises(ManifestError) as caught:
        apply_text(session, swapped)
    assert "只有加 --prune 才执行" in caught.value.lines()[0]
    apply_text(session, swapped, prune=True)
    in_hill(session)
    first = hierarchy.get_node_by_code(session, "H-01-01-01")
    second = hierarchy.get_node_by_code(session, "H-01-01-02")
    assert accounts.responsible_worker(session, first).username == "w2"
    assert accounts.responsible_worker(session, second).username == "w1"


def test_role_name_and_phone_changes_apply_and_left_out_phone_is_kept(session):
    apply_text(session, HILL)
    changed = HILL.replace(
        "name: 赵敏\n    role: supervisor\n    nodes: [H-01-01-01, H-01-01-02]",
        "name: 赵敏敏\n    role: station_staff\n    nodes: [H-01-01]",
    ).replace('    phone: "13800000001"\n', "")
    set_tenant(session, None)
    plan = apply_text(session, changed)
    assert plan.lines() == [
        "~ user sup name 赵敏 → 赵敏敏",
        "~ user sup role supervisor → station_staff",
        "~ user sup nodes +H-01-01",
        "- user sup nodes -H-01-01-01 -H-01-01-02",
    ]
    in_hill(session)
    assert accounts.get_user_by_username(session, "w1").phone == "13800000001"
    set_tenant(session, None)
    plan = apply_text(
        session, changed.replace("nodes: [H-01-01-01]", "nodes: [H-01-01-01]\n    phone: null")
    )
    # and what the first apply did not take away (no --prune) is still listed to take away
    assert plan.lines() == [
        "~ user w1 phone 138******** → -",
        "- user sup nodes -H-01-01-01 -H-01-01-02",
    ]


def test_boundary_left_out_is_kept_and_null_clears_it(session):
    apply_text(session, HILL)
    set_tenant(session, None)
    assert apply_text(session, HILL.replace(f"boundary: {SQUARE}", "")).is_empty
    plan = apply_text(session, HILL.replace(f"boundary: {SQUARE}", "boundary: null"))
    assert plan.lines() == ["~ node H-01-01-01 boundary polygon → none"]


def test_settings_left_out_are_kept(session):
    apply_text(session, HILL)
    set_tenant(session, None)
    assert apply_text(session, HILL.replace("settings:\n  map: {zoom: 13}\n", "")).is_empty


def test_error_found_halfway_through_applying_changes_nothing(session):
    apply_text(session, HILL)
    in_hill(session)
    nodes, events = count(session, Node), count(session, AuditEvent)
    # w1 stays on the grid (users the file leaves out are kept), so giving the grid to a new
    # worker can only fail when the services assign it — after the new node was created.
    text = HILL.replace(
        "  - username: w1\n    name: 李红\n    role: grid_worker\n    nodes: [H-01-01-01]\n"
        '    phone: "13800000001"\n',
        "  - username: newcomer\n    name: 钱进\n    role: grid_worker\n    nodes: [H-01-01-01]\n",
    ).replace(
        "                name: 河口第一网格\n",
        "                name: 河口第一网格\n              - code: H-02-01-02\n"
        "                name: 河口第二网格\n",
    )
    set_tenant(session, None)
    with pytest.raises(ManifestError) as caught:
        apply_text(session, text)
    expected = line_of(text, "newcomer") + 3
    assert caught.value.lines() == [
        f"hill.yaml:{expected}: users[1].nodes[0]: 网格 东街第一网格 已有网格员 李红（一格一员）"
        "：清单不再把它列在 李红 名下，但去掉分配属于移除，只有加 --prune 才执行"
    ]
    in_hill(session)
    assert count(session, Node) == nodes
    assert count(session, AuditEvent) == events
    assert hierarchy.get_node_by_code(session, "H-02-01-02") is None
    assert accounts.get_user_by_username(session, "newcomer") is None


def test_dry_run_finds_what_only_the_services_check(session):
    apply_text(session, HILL)
    # Three levels where four are already built: only update_tenant can tell.
    text = (
        "slug: hill\nname: 小山县\nlevels: [县, 乡镇, 网格]\nnodes:\n  - {code: H, name: 小山县}\n"
    )
    set_tenant(session, None)
    with pytest.raises(ManifestError) as caught:
        apply_text(session, text, dry_run=True)
    (problem,) = caught.value.problems
    assert (problem.line, problem.path) == (3, "levels")
    assert "不能改变层级数" in problem.message


def test_a_node_retired_in_the_portal_stays_retired_on_re_apply(session):
    apply_text(session, HILL)
    in_hill(session)
    grid = hierarchy.get_node_by_code(session, "H-02-01-01")
    hierarchy.retire_node(session, None, grid)
    set_tenant(session, None)
    plan = apply_text(session, HILL)
    assert plan.is_empty, plan.lines()
    assert plan.kept == [
        Change(
            "=",
            "node",
            "H-02-01-01",
            "河口第一网格: retired in the portal, kept retired (take it out of the file)",
        )
    ]
    in_hill(session)
    assert hierarchy.get_node_by_code(session, "H-02-01-01").is_retired


def test_reusing_the_code_of_a_retired_node_is_refused(session):
    apply_text(session, HILL)
    in_hill(session)
    extra = hierarchy.create_node(
        session,
        tenancy.get_by_slug(session, "hill"),
        None,
        parent=hierarchy.get_node_by_code(session, "H-02-01"),
        code="H-02-01-09",
        name="旧网格",
    )
    hierarchy.retire_node(session, None, extra)
    text = HILL.replace(
        "                name: 河口第一网格\n",
        "                name: 河口第一网格\n              - code: H-02-01-09\n"
        "                name: 新网格\n",
    )
    set_tenant(session, None)
    with pytest.raises(ManifestError) as caught:
        apply_text(session, text)
    (problem,) = caught.value.problems
    assert problem.line == line_of(text, "code: H-02-01-09")
    assert "已撤销" in problem.message


def test_departments_are_created_with_their_officers_and_a_second_apply_changes_nothing(session):
    plan = apply_text(session, HILL_DEPARTMENTS)
    assert "+ department H-XF 小山县消防救援大队 (serves H)" in plan.lines()
    assert "~ department H-XF officers +xf" in plan.lines()
    in_hill(session)
    fire = departments.get_department_by_code(session, "H-XF")
    assert (fire.phone, [u.username for u in departments.officers(session, fire)]) == (
        "0471-3210119",
        ["xf"],
    )
    assert departments.get_department_by_code(session, "H-01-SF").node.code == "H-01"
    assert apply_text(session, HILL_DEPARTMENTS).is_empty


def test_department_changes_in_the_manifest_apply_and_unlisted_ones_are_kept(session):
    apply_text(session, HILL_DEPARTMENTS)
    changed = HILL_DEPARTMENTS.replace(
        "name: 城关镇司法所\n    node: H-01", "name: 城关司法所\n    node: H-02"
    )
    changed = changed.replace("    officers: [xf]\n", "")
    changed = changed.replace("  - code: H-XF\n    name: 小山县消防救援大队\n    node: H\n", "")
    changed = changed.replace('    phone: "0471-3210119"\n', "", 1)
    plan = apply_text(session, changed)
    assert "~ department H-01-SF name 城关镇司法所 → 城关司法所" in plan.lines()
    assert "~ department H-01-SF node H-01 → H-02" in plan.lines()
    assert "- department H-XF 小山县消防救援大队 deactivated (no longer in the manifest)" in (
        plan.lines()
    )
    in_hill(session)
    assert departments.get_department_by_code(session, "H-XF").is_active


# --- who owns what: the county's own changes survive a re-apply ------------------------------


def portal_admin(session) -> User:
    """The county admin the file made, acting in the portal (or through the API)."""
    return accounts.get_user_by_username(session, "admin")


def test_re_apply_keeps_an_officer_added_to_a_department_in_the_portal(session):
    apply_text(session, HILL_DEPARTMENTS)
    in_hill(session)
    me = portal_admin(session)
    newcomer = accounts.create_user(
        session, me, username="xf2", name="孙消防", role="department_officer"
    )
    fire = departments.get_department_by_code(session, "H-XF")
    departments.add_officer(session, me, fire, newcomer)
    set_tenant(session, None)
    plan = apply_text(session, HILL_DEPARTMENTS)
    assert plan.is_empty, plan.lines()
    assert "= department H-XF officers +xf2 kept: added in the portal" in plan.lines()
    assert (
        "= user xf2 孙消防 (department_officer): not in the manifest (added in the portal), kept"
        in (plan.lines())
    )
    in_hill(session)
    assert {u.username for u in departments.officers(session, fire)} == {"xf", "xf2"}
    # and --prune takes away only what the file put there: the portal's officer stays
    set_tenant(session, None)
    assert apply_text(session, HILL_DEPARTMENTS, prune=True).is_empty
    in_hill(session)
    assert {u.username for u in departments.officers(session, fire)} == {"xf", "xf2"}
    assert accounts.get_user_by_username(session, "xf2").is_active


def test_re_apply_keeps_a_role_name_and_phone_changed_in_the_portal(session):
    apply_text(session, HILL)
    in_hill(session)
    w2 = accounts.get_user_by_username(session, "w2")
    accounts.update_user(session, portal_admin(session), w2, role="supervisor", name="张伟民")
    w1 = accounts.get_user_by_username(session, "w1")
    accounts.update_user(session, portal_admin(session), w1, phone="13900000009")
    set_tenant(session, None)
    plan = apply_text(session, HILL)
    assert plan.is_empty, plan.lines()
    assert plan.kept == [
        Change(
            "=",
            "user",
            "w1",
            "phone 139******** kept: changed in the portal (the file still says 138********)",
        ),
        Change(
            "=", "user", "w2", "name 张伟民 kept: changed in the portal (the file still says 张伟)"
        ),
        Change(
            "=",
            "user",
            "w2",
            "role supervisor kept: changed in the portal (the file still says grid_worker)",
        ),
    ]
    in_hill(session)
    w2 = accounts.get_user_by_username(session, "w2")
    assert (w2.role, w2.name) == ("supervisor", "张伟民")
    assert accounts.get_user_by_username(session, "w1").phone == "13900000009"


def test_a_change_in_the_file_wins_over_the_portal_and_says_so(session):
    apply_text(session, HILL)
    in_hill(session)
    w2 = accounts.get_user_by_username(session, "w2")
    accounts.update_user(session, portal_admin(session), w2, name="张伟民")
    set_tenant(session, None)
    plan = apply_text(session, HILL.replace("name: 张伟\n", "name: 张大伟\n"))
    assert plan.lines() == ["~ user w2 name 张伟民 → 张大伟 (over a change made in the portal)"]
    in_hill(session)
    assert accounts.get_user_by_username(session, "w2").name == "张大伟"


def test_re_apply_keeps_node_assignments_changed_in_the_portal(session):
    apply_text(session, HILL)
    tenant = in_hill(session)
    me, sup = portal_admin(session), accounts.get_user_by_username(session, "sup")
    accounts.unassign(session, me, sup, hierarchy.get_node_by_code(session, "H-01-01-02"))
    accounts.assign(session, me, tenant, sup, hierarchy.get_node_by_code(session, "H-02-01-01"))
    set_tenant(session, None)
    plan = apply_text(session, HILL)
    assert plan.is_empty, plan.lines()
    assert plan.lines() == [
        "= user sup nodes +H-02-01-01 kept: added in the portal",
        "= user sup nodes -H-01-01-02 kept off: removed in the portal",
    ]
    in_hill(session)
    sup = accounts.get_user_by_username(session, "sup")
    assert {hierarchy.get_node(session, a.node_id).code for a in sup.assignments} == {
        "H-01-01-01",
        "H-02-01-01",
    }


def test_an_officer_removed_in_the_portal_is_not_added_back(session):
    apply_text(session, HILL_DEPARTMENTS)
    in_hill(session)
    fire = departments.get_department_by_code(session, "H-XF")
    xf = accounts.get_user_by_username(session, "xf")
    departments.remove_officer(session, portal_admin(session), fire, xf)
    set_tenant(session, None)
    plan = apply_text(session, HILL_DEPARTMENTS)
    assert plan.lines() == ["= department H-XF officers -xf kept off: removed in the portal"]
    in_hill(session)
    assert departments.officers(session, fire) == []


def test_nodes_and_users_added_in_the_portal_are_kept_even_with_prune(session):
    apply_text(session, HILL)
    tenant = in_hill(session)
    me = portal_admin(session)
    town = hierarchy.get_node_by_code(session, "H-02")
    hierarchy.create_node(session, tenant, me, parent=town, code="H-02-02", name="新社区")
    accounts.create_user(session, me, username="v9", name="志愿者九", role="volunteer")
    set_tenant(session, None)
    plan = apply_text(session, HILL, prune=True)
    assert plan.is_empty, plan.lines()
    assert plan.lines() == [
        "= user v9 志愿者九 (volunteer): not in the manifest (added in the portal), kept",
        "= node H-02-02 新社区: not in the manifest (added in the portal), kept",
    ]
    in_hill(session)
    assert not hierarchy.get_node_by_code(session, "H-02-02").is_retired
    assert accounts.get_user_by_username(session, "v9").is_active


def test_accounts_and_departments_deactivated_in_the_portal_stay_deactivated(session):
    apply_text(session, HILL_DEPARTMENTS)
    in_hill(session)
    me = portal_admin(session)
    accounts.update_user(session, me, accounts.get_user_by_username(session, "w2"), is_active=False)
    fire = departments.get_department_by_code(session, "H-XF")
    departments.update_department(session, me, fire, is_active=False)
    set_tenant(session, None)
    plan = apply_text(session, HILL_DEPARTMENTS)
    assert plan.is_empty
    assert "= user w2 张伟: deactivated in the portal, kept deactivated" in plan.lines()
    assert (
        "= department H-XF 小山县消防救援大队: deactivated in the portal, kept deactivated"
        in plan.lines()
    )
    in_hill(session)
    assert not accounts.get_user_by_username(session, "w2").is_active
    assert not departments.get_department_by_code(session, "H-XF").is_active


def test_re_apply_keeps_settings_edited_through_the_api(session):
    apply_text(session, HILL)
    tenant = in_hill(session)
    counties.update_tenant(
        session, None, tenant, settings={"map": {"zoom": 15}, "escalate_red_cards": True}
    )
    set_tenant(session, None)
    plan = apply_text(session, HILL)
    assert plan.is_empty, plan.lines()
    assert plan.lines() == [
        "= tenant hill settings.map.zoom 15 kept: changed in the portal (the file still says 13)",
        "= tenant hill settings.escalate_red_cards kept: set in the portal or API",
    ]
    # the file changing a key it owns still wins for that key alone
    set_tenant(session, None)
    plan = apply_text(session, HILL.replace("map: {zoom: 13}", "map: {zoom: 12}"))
    assert "~ tenant hill settings.map.zoom 15 → 12 (over a change made in the portal)" in (
        plan.lines()
    )
    assert tenancy.get_by_slug(session, "hill").settings == {
        "map": {"zoom": 12},
        "escalate_red_cards": True,
    }


@pytest.mark.parametrize(
    ("wanted", "last", "current", "verdict"),
    [
        ("a", "a", "a", "same"),
        ("b", "a", "a", "file"),  # the file changed, the portal did not
        ("a", "a", "b", "portal"),  # the portal changed, the file did not
        ("c", "a", "b", "override"),  # both changed: the file's apply is the later decision
        ("b", "a", "b", "same"),  # both made the same change
        ("b", MISSING, "a", "file"),  # the file says it for the first time
    ],
)
def test_who_decides_a_field_both_can_change(wanted, last, current, verdict):
    assert merge_value(wanted, last, current) == verdict


def test_list_members_are_merged_one_by_one():
    merged = merge_set(
        wanted=["a", "b", "new"], last=["a", "b", "gone"], current=["a", "gone", "p"]
    )
    assert merged == SetMerge(add=["new"], take=["gone"], kept_added=["p"], kept_removed=["b"])


# What the file no longer lists: officer xf of H-XF, department H-01-SF, grid worker w2 and
# grid H-01-01-02 (sup keeps only H-01-01-01), the map setting and the fire_safety module.
SHRUNK = (
    HILL_DEPARTMENTS.replace("    officers: [xf]\n", "")
    .replace("  - code: H-01-SF\n    name: 城关镇司法所\n    node: H-01\n", "")
    .replace("              - code: H-01-01-02\n                name: 东街第二网格\n", "")
    .replace(
        "  - username: w2\n    name: 张伟\n    role: grid_worker\n    nodes: [H-01-01-02]\n", ""
    )
    .replace("[H-01-01-01, H-01-01-02]", "[H-01-01-01]")
    .replace("settings:\n  map: {zoom: 13}\n", "settings: {}\n")
    .replace("modules: [fire_safety]", "modules: []")
)
TAKEN_AWAY = [
    "- tenant hill modules -fire_safety",
    "- tenant hill settings.map removed (no longer in the manifest)",
    "- user sup nodes -H-01-01-02",
    "- user w2 张伟 (grid_worker) deactivated (no longer in the manifest), leaves H-01-01-02",
    "- department H-XF officers -xf",
    "- department H-01-SF 城关镇司法所 deactivated (no longer in the manifest)",
    "- node H-01-01-02 东街第二网格 retired (no longer in the manifest)",
]


def test_without_prune_nothing_is_taken_away_and_the_plan_lists_what_would_be(session):
    apply_text(session, HILL_DEPARTMENTS)
    assert SHRUNK.count("H-01-01-02") == 0
    set_tenant(session, None)
    for dry_run in (True, False):
        plan = apply_text(session, SHRUNK, dry_run=dry_run)
        assert plan.changes == []
        assert [str(c) for c in plan.removals] == TAKEN_AWAY
        assert "7 not taken away (only --prune takes away)" in plan.summary()
        set_tenant(session, None)
    tenant = in_hill(session)
    assert tenant.modules == ["fire_safety"] and tenant.settings == {"map": {"zoom": 13}}
    assert not hierarchy.get_node_by_code(session, "H-01-01-02").is_retired
    assert accounts.get_user_by_username(session, "w2").is_active
    fire = departments.get_department_by_code(session, "H-XF")
    assert [u.username for u in departments.officers(session, fire)] == ["xf"]
    assert departments.get_department_by_code(session, "H-01-SF").is_active


def test_prune_takes_away_what_the_file_no_longer_lists(session):
    apply_text(session, HILL_DEPARTMENTS)
    set_tenant(session, None)
    apply_text(session, SHRUNK)  # not taken away: it stays the file's to take
    set_tenant(session, None)
    dry = apply_text(session, SHRUNK, dry_run=True, prune=True)
    assert [str(c) for c in dry.removals] == TAKEN_AWAY
    set_tenant(session, None)
    plan = apply_text(session, SHRUNK, prune=True)
    assert [str(c) for c in plan.removals] == TAKEN_AWAY
    tenant = in_hill(session)
    assert tenant.modules == [] and tenant.settings == {}
    grid = hierarchy.get_node_by_code(session, "H-01-01-02")
    assert grid.is_retired  # retired, not deleted: what was filed under it keeps its grid
    w2 = accounts.get_user_by_username(session, "w2")
    assert not w2.is_active and w2.assignments == []  # deactivated, not deleted
    fire = departments.get_department_by_code(session, "H-XF")
    assert departments.officers(session, fire) == []
    assert not departments.get_department_by_code(session, "H-01-SF").is_active
    set_tenant(session, None)
    assert apply_text(session, SHRUNK, prune=True).is_empty


def test_prune_refuses_to_retire_a_grid_with_open_tasks(session):
    from gridgov.core.tasks import reporting

    apply_text(session, HILL)
    in_hill(session)
    grid = hierarchy.get_node_by_code(session, "H-01-01-02")
    worker = accounts.get_user_by_username(session, "w2")
    reporting.report_task(
        session,
        worker,
        scope_of(session, worker),
        grid,
        reporting.Report(category="民生事项", title="路灯不亮"),
    )
    without = (
        HILL.replace("              - code: H-01-01-02\n                name: 东街第二网格\n", "")
        .replace("[H-01-01-01, H-01-01-02]", "[H-01-01-01]")
        .replace("nodes: [H-01-01-02]", "nodes: []")
    )
    set_tenant(session, None)
    plan = apply_text(session, without, dry_run=True)
    assert (
        "- node H-01-01-02 东街第二网格 retired (no longer in the manifest); "
        "--prune would refuse: 1 件未办结的事件" in plan.lines()
    )
    set_tenant(session, None)
    with pytest.raises(ManifestError) as caught:
        apply_text(session, without, prune=True)
    assert caught.value.lines() == [
        "hill.yaml: nodes: 节点 H-01-01-02（东街第二网格）不能撤销：还有 1 件未办结的事件，"
        "撤销后它们就没有节点可归。请先在门户里处理（办结或转走事件、迁走记录，或把它合并到相邻节点），"
        "或把它写回清单"
    ]
    in_hill(session)
    assert not hierarchy.get_node_by_code(session, "H-01-01-02").is_retired
    assert len(accounts.get_user_by_username(session, "sup").assignments) == 2


def test_each_apply_that_changes_something_is_one_event_in_the_audit_log(session):
    apply_text(session, HILL)
    set_tenant(session, None)
    apply_text(session, HILL)  # nothing to change: no event
    apply_text(session, HILL.replace("东街社区", "东街道社区"), dry_run=True)  # a dry run: none
    apply_text(session, HILL.replace("东街社区", "东街道社区"))
    in_hill(session)
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "manifest.apply").order_by(AuditEvent.id)
    ).all()
    assert len(events) == 2
    first, second = (event.after for event in events)
    assert first["file"] == "hill.yaml" and first["created"] == 13 and first["prune"] is False
    assert second["lines"] == ["~ node H-01-01 name 东街社区 → 东街道社区"]
    assert second["sha256"] == parse_manifest(HILL.replace("东街社区", "东街道社区")).digest
    assert "13800000001" not in str(first)  # phones only masked, as everywhere in the log


def test_a_county_applied_before_manifests_were_recorded_treats_the_database_as_the_file(
    session,
):
    apply_text(session, HILL_DEPARTMENTS)
    in_hill(session)
    session.execute(delete(AppliedManifest))
    me = portal_admin(session)
    newcomer = accounts.create_user(
        session, me, username="xf2", name="孙消防", role="department_officer"
    )
    departments.add_officer(
        session, me, departments.get_department_by_code(session, "H-XF"), newcomer
    )
    set_tenant(session, None)
    # With no record, the members the file lists are the file's; an officer it lacks was
    # added in the portal and stays, even with --prune; the account itself is the portal's.
    plan = apply_text(session, HILL_DEPARTMENTS)
    assert set(plan.lines()) == {
        "= department H-XF officers +xf2 kept: added in the portal",
        "= user xf2 孙消防 (department_officer): not in the manifest (added in the portal), kept",
    }
    assert not plan.removals
    in_hill(session)
    assert session.scalar(select(func.count()).select_from(AppliedManifest)) == 1
    set_tenant(session, None)
    apply_text(session, HILL_DEPARTMENTS, prune=True)
    in_hill(session)
    officers = departments.officers(session, departments.get_department_by_code(session, "H-XF"))
    assert "xf2" in [u.username for u in officers]


# --- refusing bad files ----------------------------------------------------------------------

BAD_FILES = {
    "unknown top-level key": (HILL + "owner: 综治办\n", "owner: 综治办", "owner", "未知的键"),
    "unknown key in a node": (
        HILL.replace("name: 河口社区\n", "name: 河口社区\n            households: 300\n"),
        "households: 300",
        "nodes[0].children[1].children[0].households",
        "未知的键",
    ),
    "unknown key in a user": (
        HILL.replace("name: 张伟\n", "name: 张伟\n    password: Secret-123\n"),
        "password: Secret-123",
        "users[2].password",
        "未知的键",
    ),
    "unknown key in a department": (
        HILL_DEPARTMENTS.replace("    node: H-01\n", "    node: H-01\n    prune: true\n"),
        "prune: true",
        "departments[1].prune",
        "未知的键",
    ),
    "unknown role": (
        HILL.replace(
            "role: grid_worker\n    nodes: [H-01-01-02]",
            "role: gridworker\n    nodes: [H-01-01-02]",
        ),
        "role: gridworker",
        "users[2].role",
        "未知角色 'gridworker'",
    ),
    "duplicate node code": (
        HILL.replace("code: H-02-01-01", "code: H-01-01-02"),
        ("code: H-01-01-02", 2),  # the second use is blamed
        "nodes[0].children[1].children[0].children[0].code",
        "编码 H-01-01-02 重复",
    ),
    "unknown node code in users": (
        HILL.replace("nodes: [H-01-01-01, H-01-01-02]", "nodes: [H-01-01-01, H-09]"),
        "nodes: [H-01-01-01, H-09]",
        "users[3].nodes[1]",
        "没有编码为 H-09 的节点",
    ),
    "two grid workers on one grid": (
        HILL.replace("nodes: [H-01-01-02]", "nodes: [H-01-01-01]"),
        ("nodes: [H-01-01-01]", 2),
        "users[2].nodes[0]",
        "一格一员",
    ),
    "grid worker on a community": (
        HILL.replace("nodes: [H-01-01-02]", "nodes: [H-01-01]"),
        "nodes: [H-01-01]",
        "users[2].nodes[0]",
        "只能分配到最低一级",
    ),
    "node deeper than the levels": (
        HILL.replace(
            "                name: 河口第一网格\n",
            "                name: 河口第一网格\n                children:\n"
            "                  - code: H-02-01-01-01\n                    name: 责任区\n",
        ),
        "code: H-02-01-01-01",
        "nodes[0].children[1].children[0].children[0].children[0]",
        "只有 4 级",
    ),
    "too many levels": (
        HILL.replace(
            "levels: [县, 乡镇, 社区, 网格]", "levels: [市, 县, 乡镇, 社区, 网格, 责任区]"
        ),
        "levels:",
        "levels",
        "层级数须在 2 到 5 之间",
    ),
    "bad boundary": (
        HILL.replace(
            f"boundary: {SQUARE}",
            "boundary: {type: Polygon, coordinates: [[[111.6, 40.8], [111.61, 40.81], "
            "[111.61, 40.8], [111.6, 40.81], [111.6, 40.8]]]}",
        ),
        "boundary:",
        "nodes[0].children[0].children[0].children[0].boundary",
        "边界多边形无效",
    ),
    "boundary of the wrong type": (
        HILL.replace(f"boundary: {SQUARE}", "boundary: {type: Point, coordinates: [111.6, 40.8]}"),
        "boundary:",
        "nodes[0].children[0].children[0].children[0].boundary",
        "Polygon 或 MultiPolygon",
    ),
    "yaml syntax error": (
        HILL.replace("modules: [fire_safety]", "modules: [fire_safety"),
        "settings:",
        "",
        "YAML 语法错误",
    ),
    "duplicate key": (
        HILL.replace(
            "name: 东街第二网格\n", "name: 东街第二网格\n                name: 又一个名字\n"
        ),
        "name: 又一个名字",
        "",
        "YAML 语法错误",
    ),
    "unquoted numeric code": (
        HILL.replace("code: H-02-01-01", "code: 0201"),
        "code: 0201",
        "nodes[0].children[1].children[0].children[0].code",
        "请加引号",
    ),
    "missing name": (
        HILL.replace("    name: 张伟\n", ""),
        "username: w2",
        "users[2].name",
        "缺少必填项",
    ),
    "bad phone": (
        HILL.replace('phone: "13800000001"', 'phone: "1380000"'),
        'phone: "1380000"',
        "users[1].phone",
        "电话号码格式不对",
    ),
    "duplicate username": (
        HILL.replace("username: w2", "username: w1"),
        ("username: w1", 2),
        "users[2].username",
        "用户名 w1 重复",
    ),
    "bad slug": (HILL.replace("slug: hill", "slug: Hill County"), "slug:", "slug", "标识须"),
    "department on an unknown node": (
        HILL_DEPARTMENTS.replace("node: H-01\n", "node: H-09\n"),
        "node: H-09",
        "departments[1].node",
        "没有编码为 H-09 的节点",
    ),
    "department officer who is not a department officer": (
        HILL_DEPARTMENTS.replace("officers: [xf]", "officers: [w1]"),
        "officers: [w1]",
        "departments[0].officers[0]",
        "不是部门人员",
    ),
    "department officer not in the manifest": (
        HILL_DEPARTMENTS.replace("officers: [xf]", "officers: [nobody]"),
        "officers: [nobody]",
        "departments[0].officers[0]",
        "没有用户 nobody",
    ),
    "duplicate department code": (
        HILL_DEPARTMENTS.replace("code: H-01-SF", "code: H-XF"),
        ("code: H-XF", 2),
        "departments[1].code",
        "部门编码 H-XF 重复",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES), ids=lambda c: c.replace(" ", "-"))
def test_bad_file_is_refused_with_line_and_reason(case):
    text, marker, path, reason = BAD_FILES[case]
    error = refusal(text)
    marker, nth = marker if isinstance(marker, tuple) else (marker, 1)
    expected = line_of(text, marker, nth)
    matching = [p for p in error.problems if p.path == path and reason in p.message]
    assert matching, error.lines()
    assert matching[0].line == expected, error.lines()
    assert error.lines()[0].startswith("bad.yaml:")


def test_every_problem_of_a_file_is_reported_at_once():
    text = (
        HILL.replace("role: county_admin", "role: boss")
        .replace("nodes: [H-01-01-02]", "nodes: [H-99]")
        .replace("name: 张伟\n", "name: 张伟\n    office: 综治办\n")
    )
    error = refusal(text)
    assert [p.path for p in error.problems] == [
        "users[0].role",
        "users[2].office",
        "users[2].nodes[0]",
    ]
    assert error.lines()[0] == (
        f"bad.yaml:{line_of(text, 'role: boss')}: users[0].role: "
        "未知角色 'boss'（可用：county_admin, township_staff, station_staff, supervisor, "
        "grid_worker, volunteer, department_officer, security_admin, audit_admin）"
    )


def test_a_refused_file_changes_nothing_in_the_database(session, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD_FILES["unknown role"][0], encoding="utf-8")
    with pytest.raises(ManifestError):
        apply_manifest(session, load_manifest(bad))
    assert session.scalar(select(func.count()).select_from(Tenant)) == 0


def test_top_level_must_be_a_mapping():
    error = refusal("- slug: hill\n")
    assert error.lines() == ["bad.yaml:1: 清单的顶层应为映射（键: 值）"]


# --- the shipped manifests -------------------------------------------------------------------


SHIPPED = sorted(TENANTS_DIR.glob("*.yaml"))


def test_the_repository_ships_manifests():
    assert {p.name for p in SHIPPED} >= {"demo.yaml", "demo-banner.yaml"}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_manifest_validates_and_applies_idempotently(session, path):
    manifest = load_manifest(path)
    plan = apply_manifest(session, manifest)
    assert plan.created_users
    set_tenant(session, None)
    assert apply_manifest(session, manifest).is_empty


def test_demo_county_is_of_real_size_with_every_role(session):
    manifest = load_manifest(TENANTS_DIR / "demo.yaml")
    apply_manifest(session, manifest)
    tenant = tenancy.get_by_slug(session, manifest.slug)
    set_tenant(session, tenant.id)
    assert len(tenant.level_names) == 4
    levels = dict(session.execute(select(Node.level, func.count()).group_by(Node.level)).all())
    assert levels[0] == 1 and levels[1] >= 2 and levels[2] >= 6 and levels[3] >= 40
    grids = session.scalars(select(Node).where(Node.level == tenant.grid_level)).all()
    vacant = [g.code for g in grids if accounts.responsible_worker(session, g) is None]
    assert vacant == []
    assert sum(1 for g in grids if g.boundary) >= len(grids) // 2
    roles = set(session.scalars(select(User.role)))
    assert roles == {r.value for r in Role}
    supervisors = session.scalars(select(User).where(User.role == Role.SUPERVISOR)).all()
    assert all(2 <= len(s.assignments) <= 3 for s in supervisors)
    phones = [p for p in session.scalars(select(User.phone)) if p]
    assert all(accounts.PHONE_RE.match(p) for p in phones) and len(set(phones)) == len(phones)
