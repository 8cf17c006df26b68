"""Changing the hierarchy from the node page: who may, what is kept when input is wrong, and
that each change really lands (with its history)."""

from __future__ import annotations

from sqlalchemy import select

from gridgov.core.db import db_session, set_tenant
from gridgov.core.hierarchy import service as hierarchy
from gridgov.core.hierarchy.models import Node
from tests.portal.conftest import csrf_token, login, post_form


def node_by_code(app, tenant_id: int, code: str) -> Node | None:
    with app.app_context():
        session = db_session()
        set_tenant(session, tenant_id)
        node = session.scalar(select(Node).where(Node.code == code))
        if node is not None:
            session.expunge(node)
        return node


def node_url(node) -> str:
    return f"/t/changshan/nodes/{node.id}"


def test_admin_adds_a_child_and_sees_it(app, as_admin, county):
    community = county.communities[0]
    response = post_form(
        as_admin,
        node_url(community),
        f"{node_url(community)}/children",
        {"add-code": "CHA-T0C0G9", "add-name": "新建第九网格"},
    )
    assert response.status_code == 302
    page = as_admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "新建第九网格" in page and "已新建" in page
    created = node_by_code(app, county.tenant.id, "CHA-T0C0G9")
    assert created is not None and created.parent_id == community.id


def test_a_duplicate_code_is_marked_next_to_the_field_and_typed_values_stay(app, as_admin, county):
    community = county.communities[0]
    taken = county.grids[5].code
    response = post_form(
        as_admin,
        node_url(community),
        f"{node_url(community)}/children",
        {"add-code": taken, "add-name": "我打的名字"},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f"编码 {taken} 已被使用" in page
    assert 'id="add-code-error"' in page
    assert 'value="我打的名字"' in page and f'value="{taken}"' in page
    assert '<details class="card action" open>' in page  # the form stays open


def test_an_empty_name_is_refused_with_the_form_kept(as_admin, county):
    community = county.communities[0]
    response = post_form(
        as_admin,
        node_url(community),
        f"{node_url(community)}/children",
        {"add-code": "CHA-NEW", "add-name": ""},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="add-name-error"' in page and 'value="CHA-NEW"' in page


def test_no_child_can_be_added_below_a_grid(as_admin, county):
    grid = county.grids[0]
    page = as_admin.get(node_url(grid)).get_data(as_text=True)
    assert "新增下级" not in page
    token = csrf_token(page)
    response = as_admin.post(
        f"{node_url(grid)}/children",
        data={"csrf_token": token, "add-code": "X1", "add-name": "下面"},
    )
    assert response.status_code == 403


def test_rename_keeps_the_old_name_in_the_history(app, as_admin, county):
    grid = county.grids[0]
    response = post_form(
        as_admin,
        node_url(grid),
        f"{node_url(grid)}/rename",
        {"rename-code": grid.code, "rename-name": "幸福里网格"},
    )
    assert response.status_code == 302
    page = as_admin.get(node_url(grid)).get_data(as_text=True)
    assert "<h1>幸福里网格</h1>" in page
    assert grid.name in page and "更名" in page  # the old version is listed


def test_move_by_the_new_parents_code(app, as_admin, county):
    grid = county.grids[0]
    target = county.communities[3]
    response = post_form(
        as_admin, node_url(grid), f"{node_url(grid)}/move", {"move-parent_code": target.code}
    )
    assert response.status_code == 302
    assert node_by_code(app, county.tenant.id, grid.code).parent_id == target.id


def test_move_to_a_wrong_level_is_marked_on_the_parent_field(as_admin, county):
    grid = county.grids[0]
    response = post_form(
        as_admin,
        node_url(grid),
        f"{node_url(grid)}/move",
        {"move-parent_code": county.townships[1].code},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="move-parent_code-error"' in page and "新的上级必须比本节点高一级" in page
    assert f'value="{county.townships[1].code}"' in page


def test_retire_needs_confirmation_then_refuses_a_node_with_children(app, as_admin, county):
    community = county.communities[0]
    unconfirmed = post_form(as_admin, node_url(community), f"{node_url(community)}/retire", {})
    assert unconfirmed.status_code == 422
    assert "请勾选确认" in unconfirmed.get_data(as_text=True)
    busy = post_form(
        as_admin, node_url(community), f"{node_url(community)}/retire", {"retire-confirm": "y"}
    )
    assert busy.status_code == 422
    assert "该节点下还有下级节点" in busy.get_data(as_text=True)
    grid = county.grids[0]
    done = post_form(as_admin, node_url(grid), f"{node_url(grid)}/retire", {"retire-confirm": "y"})
    assert done.status_code == 302
    page = as_admin.get(node_url(grid)).get_data(as_text=True)
    assert "已撤销" in page
    assert node_by_code(app, county.tenant.id, grid.code).retired_at is not None


def test_split_a_grid_in_two_and_follow_the_successors(app, as_admin, county):
    grid = county.grids[0]
    response = post_form(
        as_admin,
        node_url(grid),
        f"{node_url(grid)}/split",
        {
            "split-parts-0-code": "CHA-T0C0G0-A",
            "split-parts-0-name": "东片",
            "split-parts-1-code": "CHA-T0C0G0-B",
            "split-parts-1-name": "西片",
        },
    )
    assert response.status_code == 302
    old = as_admin.get(node_url(grid)).get_data(as_text=True)
    assert "现由以下节点接替" in old and "东片" in old and "西片" in old
    east = node_by_code(app, county.tenant.id, "CHA-T0C0G0-A")
    assert east.parent_id == county.communities[0].id
    east_page = as_admin.get(node_url(east)).get_data(as_text=True)
    assert "由以下节点调整而来" in east_page and grid.code in east_page


def test_split_with_a_half_filled_row_marks_that_row(as_admin, county):
    grid = county.grids[0]
    response = post_form(
        as_admin,
        node_url(grid),
        f"{node_url(grid)}/split",
        {
            "split-parts-0-code": "CHA-X-A",
            "split-parts-0-name": "东片",
            "split-parts-1-code": "CHA-X-B",
            "split-parts-1-name": "",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="split-parts-1-name-error"' in page
    assert 'value="CHA-X-B"' in page and 'value="东片"' in page


def test_split_of_a_community_must_hand_out_every_grid(as_admin, county):
    community = county.communities[0]
    response = post_form(
        as_admin,
        node_url(community),
        f"{node_url(community)}/split",
        {
            "split-parts-0-code": "C-A",
            "split-parts-0-name": "甲",
            "split-parts-0-children": county.grids[0].code,
            "split-parts-1-code": "C-B",
            "split-parts-1-name": "乙",
        },
    )
    assert response.status_code == 422
    assert f"还有下级节点没有分配：{county.grids[1].code}" in response.get_data(as_text=True)


def test_merge_two_grids(app, as_admin, county):
    first, second = county.grids[0], county.grids[1]
    response = post_form(
        as_admin,
        node_url(first),
        f"{node_url(first)}/merge",
        {"merge-node_ids": str(second.id), "merge-code": "CHA-MERGED", "merge-name": "合并网格"},
    )
    assert response.status_code == 302
    merged = node_by_code(app, county.tenant.id, "CHA-MERGED")
    assert merged is not None
    assert node_by_code(app, county.tenant.id, first.code).retired_at is not None
    assert node_by_code(app, county.tenant.id, second.code).retired_at is not None


def test_merge_without_a_sibling_chosen_is_refused(as_admin, county):
    first = county.grids[0]
    response = post_form(
        as_admin,
        node_url(first),
        f"{node_url(first)}/merge",
        {"merge-code": "CHA-M", "merge-name": "合并"},
    )
    assert response.status_code == 422
    assert 'id="merge-node_ids-error"' in response.get_data(as_text=True)


def test_a_node_of_another_branch_cannot_be_slipped_into_a_merge(app, as_admin, county):
    first, far = county.grids[0], county.grids[7]
    response = post_form(
        as_admin,
        node_url(first),
        f"{node_url(first)}/merge",
        {"merge-node_ids": str(far.id), "merge-code": "CHA-M", "merge-name": "合并"},
    )
    assert response.status_code == 422
    assert node_by_code(app, county.tenant.id, "CHA-M") is None


def test_township_staff_change_their_subtree_but_not_their_township_or_others(app, client, county):
    login(client, "changshan", county.township_staff.username)
    own = county.townships[0]
    page = client.get(node_url(own)).get_data(as_text=True)
    assert "新增下级" in page and "更名或修改编码" not in page
    community = county.communities[0]
    ok = post_form(
        client,
        node_url(community),
        f"{node_url(community)}/rename",
        {"rename-code": community.code, "rename-name": "改名社区"},
    )
    assert ok.status_code == 302
    token = csrf_token(page)
    assert (
        client.post(
            f"{node_url(own)}/rename",
            data={"csrf_token": token, "rename-code": own.code, "rename-name": "x"},
        ).status_code
        == 403
    )
    elsewhere = county.communities[2]
    assert (
        client.post(
            f"{node_url(elsewhere)}/rename",
            data={"csrf_token": token, "rename-code": elsewhere.code, "rename-name": "x"},
        ).status_code
        == 404
    )
    # nor may they move a grid of theirs out to another township's community
    moved = post_form(
        client,
        node_url(county.grids[0]),
        f"{node_url(county.grids[0])}/move",
        {"move-parent_code": elsewhere.code},
    )
    assert moved.status_code == 422
    assert node_by_code(app, county.tenant.id, county.grids[0].code).parent_id == community.id


def test_a_grid_worker_sees_no_forms_and_cannot_post_changes(app, client, county):
    login(client, "changshan", county.workers[0].username)
    own = county.grids[0]
    page = client.get(node_url(own)).get_data(as_text=True)
    assert 'class="actions"' not in page and 'action="/t/changshan/nodes/' not in page
    token = csrf_token(page)
    for action, data in (
        ("rename", {"rename-code": own.code, "rename-name": "x"}),
        ("retire", {"retire-confirm": "y"}),
    ):
        assert (
            client.post(f"{node_url(own)}/{action}", data={"csrf_token": token, **data}).status_code
            == 403
        )
        other = county.grids[1]
        assert (
            client.post(
                f"{node_url(other)}/{action}", data={"csrf_token": token, **data}
            ).status_code
            == 404
        )
    assert node_by_code(app, county.tenant.id, own.code).name == own.name


def test_changes_need_the_csrf_token(as_admin, county):
    grid = county.grids[0]
    response = as_admin.post(
        f"{node_url(grid)}/rename", data={"rename-code": grid.code, "rename-name": "无令牌"}
    )
    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True)


def test_admin_adds_a_top_level_node_from_the_tree(app, as_admin, county):
    response = post_form(
        as_admin,
        "/t/changshan/hierarchy",
        "/t/changshan/hierarchy/roots",
        {"root-code": "CHA2", "root-name": "新区"},
    )
    assert response.status_code == 302
    with app.app_context():
        session = db_session()
        set_tenant(session, county.tenant.id)
        assert [n.code for n in hierarchy.roots(session)] == ["CHA", "CHA2"]
