"""Task lists to .xlsx in the background: the red- or yellow-card list of a county can hold
tens of thousands of tasks, so a job writes it with progress and the reader downloads the file
when it is done. (The dashboard's figures are a few hundred rows: ``dashboard.to_xlsx``
answers them at once.)"""

from __future__ import annotations

import io
import logging
from typing import Any

from openpyxl import Workbook
from sqlalchemy import false, func, select
from sqlalchemy.orm import Session

from gridgov.core.accounts.models import User
from gridgov.core.accounts.scope import Scope, scope_of
from gridgov.core.audit import service as audit
from gridgov.core.db import utcnow
from gridgov.core.errors import DomainError, NotFound
from gridgov.core.files import runs
from gridgov.core.files import service as files
from gridgov.core.files.models import FileKind, RunStatus
from gridgov.core.hierarchy.models import Node
from gridgov.core.i18n import _
from gridgov.core.jobs import job, report_progress
from gridgov.core.registry.spreadsheet import safe_cell
from gridgov.core.tasks import dashboard as dashboards
from gridgov.core.tasks import reading
from gridgov.core.tasks.models import Card, Task, TaskExport
from gridgov.core.tenancy.county_time import CountyClock
from gridgov.core.tenancy.service import clock_of

log = logging.getLogger(__name__)

EXPORT_PURPOSE = "task_export"
CARD_LISTS = {Card.RED.value: _("红牌事件"), Card.YELLOW.value: _("黄牌事件")}
BATCH = 1000


def start_export(session: Session, actor: User, scope: Scope, node: Node, card: str) -> TaskExport:
    """Start writing the ``card`` list of ``node``'s subtree (a node of the actor's scope):
    recorded, committed, then queued (``runs.launch``); a refused one leaves nothing."""
    if not scope.contains(node):
        raise NotFound(_("没有这个节点"), field="node_id")
    if card not in CARD_LISTS:
        raise DomainError(_("只能导出红牌或黄牌事件清单"), field="card")
    export = TaskExport(node_id=node.id, card=card, created_by_id=actor.id)
    session.add(export)
    session.flush()
    audit.record(
        session,
        actor,
        "task.export",
        "task_export",
        export.id,
        after={"node_id": node.id, "card": card},
    )
    return runs.launch(session, export, export_tasks)


def write_export(session: Session, export_id: int) -> dict[str, Any]:
    """Write the export's list to a stored .xlsx, reporting progress every thousand tasks;
    a failure is recorded on the export (the reader sees it) rather than lost in a log."""
    export = session.get(TaskExport, export_id)
    if export is None:
        raise NotFound(_("没有这次导出"))
    export.status = RunStatus.RUNNING.value
    session.commit()  # the reader sees it running
    try:
        data, rows = _workbook(session, export)
        node = session.get(Node, export.node_id)
        assert node is not None
        author = session.get(User, export.created_by_id) if export.created_by_id else None
        stored = files.store_file(
            session,
            author,
            name=f"{CARD_LISTS[export.card]}-{node.code}-{export.id}.xlsx",
            data=data,
            kinds={FileKind.SPREADSHEET},
            purpose=EXPORT_PURPOSE,
        )
    except Exception:
        log.exception("task export %s failed", export_id)
        session.rollback()
        export.status, export.finished_at = RunStatus.FAILED.value, utcnow()
        return {"status": export.status}
    export.file_id, export.rows = stored.id, rows
    export.status, export.finished_at = RunStatus.DONE.value, utcnow()
    return {"status": export.status, "rows": rows}


@job
def export_tasks(session: Session, export_id: int) -> dict[str, Any]:
    """The background job writing one export (see ``write_export``)."""
    return write_export(session, export_id)


HEADERS = (
    _("查询码"),
    _("标题"),
    _("类别"),
    _("处置类型"),
    _("状态"),
    _("登记网格"),
    _("当前办理层级"),
    _("本环节时限"),
    _("亮牌时间"),
    _("督办"),
)


def _workbook(session: Session, export: TaskExport) -> tuple[bytes, int]:
    node = session.get(Node, export.node_id)
    assert node is not None
    # The list of who asked for it, as they would read it on the dashboard.
    author = session.get(User, export.created_by_id) if export.created_by_id else None
    readable = (
        reading.visible_filter(session, author, scope_of(session, author)) if author else false()
    )
    query = dashboards.overdue_tasks(node, readable, card=export.card)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    # write_only: rows go to the file as they come, a large list never sits in memory whole.
    book = Workbook(write_only=True)
    sheet = book.create_sheet(str(CARD_LISTS[export.card]))
    sheet.append([str(header) for header in HEADERS])
    names: dict[int, str] = {}
    labels = dashboards.state_labels(reading.registry())
    clock = clock_of(session)
    done = 0
    for batch in session.scalars(query.execution_options(yield_per=BATCH)).partitions():
        _learn_names(session, names, batch)
        for task in batch:
            sheet.append([safe_cell(v) for v in _row(task, names, labels, clock)])
        done += len(batch)
        report_progress(done, total)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), done


def _learn_names(session: Session, names: dict[int, str], batch: list[Task]) -> None:
    missing = {t.node_id for t in batch} | {t.current_node_id for t in batch}
    missing -= names.keys()
    if missing:
        names.update(session.execute(select(Node.id, Node.name).where(Node.id.in_(missing))).all())


def _row(
    task: Task, names: dict[int, str], labels: dict[str, str], clock: CountyClock
) -> list[Any]:
    return [
        task.code,
        task.title,
        task.category,
        str(dashboards.TRACKS.get(task.track, task.track)),
        labels.get(task.state, task.state),
        names.get(task.node_id, ""),
        names.get(task.current_node_id, ""),
        clock.naive_local(task.due_at),
        clock.naive_local(task.card_at),
        str(_("是")) if task.is_supervised else "",
    ]
