"""The monthly assessment of grid workers (考核): the county's scheme, the monthly run, the
sheets (each line with the records it counted), review, objections (复核), human inputs
(scores, spot checks, morning meetings, comments on logs), leave (请销假), the lock, payouts
and rankings. Who sees a sheet: the worker their own, reviewers those in their scope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Response
from flask.views import MethodView

from gridgov.api import access
from gridgov.api.access import current_caller
from gridgov.api.assessment_schemas import (
    AdjustInSchema,
    AdjustmentSchema,
    AnswerInSchema,
    EvidenceArgsSchema,
    EvidenceSchema,
    LeaveDecisionSchema,
    LeaveInSchema,
    LeaveSchema,
    LogCommentInSchema,
    LogCommentSchema,
    MeetingInSchema,
    MeetingSchema,
    ObjectionInSchema,
    ObjectionSchema,
    PaidInSchema,
    PayoutPeriodSchema,
    RankingArgsSchema,
    RankingSchema,
    RuleInfoSchema,
    RunInSchema,
    RunSchema,
    SchemeArgsSchema,
    SchemeInSchema,
    SchemeVersionSchema,
    ScoreInSchema,
    ScoreSchema,
    SheetArgsSchema,
    SheetSchema,
    SheetSummarySchema,
    SpotCheckInSchema,
    SpotCheckSchema,
    TrendArgsSchema,
    TrendPointSchema,
    WorkerMonthArgsSchema,
    WorkerMonthSchema,
)
from gridgov.api.blueprint import ApiBlueprint, page_of
from gridgov.core.accounts.models import User
from gridgov.core.assessment import analysis, evidence, leave, records, review, sheets
from gridgov.core.assessment import run as runs
from gridgov.core.assessment import scheme as schemes
from gridgov.core.assessment.models import AssessmentRun, AssessmentScheme, AssessmentSheet
from gridgov.core.db import db_session
from gridgov.core.errors import NotFound
from gridgov.core.files import runs as file_runs
from gridgov.core.i18n import _
from gridgov.web import current_tenant, download_headers

blp = ApiBlueprint(
    "assessment",
    __name__,
    url_prefix="/t/<slug>/api/v1/assessment",
    description="网格员月度考核：考核方案、计算、考核表与依据、复核、请销假、晨会、抽查、锁定与兑现",
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _commit(value: Any) -> Any:
    db_session().commit()
    return value


# --- the scheme ------------------------------------------------------------------------------


@blp.route("/rules")
class Rules(MethodView):
    @blp.requires("assessment:read")
    @blp.response(200, RuleInfoSchema(many=True))
    def get(self) -> list[Any]:
        """Every rule a scheme line may name: the core's and the installed modules'"""
        return list(runs.catalogue().values())


@blp.route("/scheme")
class Scheme(MethodView):
    @blp.requires("assessment:read")
    @blp.arguments(SchemeArgsSchema, location="query")
    @blp.response(200, SchemeVersionSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """The scheme in force in a month (number null: the default, the county set none)"""
        session = db_session()
        version = schemes.version_for(session, args["month"])
        if version is not None:
            return version
        default = sheets.scheme_in_force(session, args["month"])
        return {"number": None, "source": "default", "note": "", "definition": default.as_dict()}

    @blp.requires("assessment:write")
    @blp.alt_response(409, response="CONFLICT")
    @blp.arguments(SchemeInSchema)
    @blp.response(201, SchemeVersionSchema)
    def post(self, data: dict[str, Any]) -> AssessmentScheme:
        """Set a new version of the scheme, in force from first_month (county administrators)"""
        session, caller = db_session(), current_caller()
        parsed = schemes.parse_scheme(data["scheme"], runs.catalogue())
        version = schemes.set_scheme(
            session,
            caller.user,
            parsed,
            first_month=data["first_month"],
            source="api",
            note=data["note"],
        )
        return _commit(version)


@blp.route("/scheme/versions")
class SchemeVersions(MethodView):
    @blp.requires("assessment:read")
    @blp.response(200, SchemeVersionSchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters: Any) -> list[Any]:
        """Every version of the county's scheme, newest first"""
        return page_of(schemes.versions(db_session()), pagination_parameters)


# --- runs ------------------------------------------------------------------------------------


@blp.route("/runs")
class Runs(MethodView):
    @blp.requires("assessment:write")
    @blp.alt_response(409, response="CONFLICT")
    @blp.arguments(RunInSchema)
    @blp.response(202, RunSchema)
    def post(self, data: dict[str, Any]) -> AssessmentRun:
        """Score every grid worker of the county for a month, in the background

        Follow it with GET /assessment/runs/{run_id}; then read the month's sheets.
        """
        caller = current_caller()
        return runs.start_run(db_session(), caller.user, data["month"])


@blp.route("/runs/<int:run_id>")
class RunById(MethodView):
    @blp.requires("assessment:read")
    @blp.response(200, RunSchema)
    def get(self, run_id: int) -> AssessmentRun:
        """A run: its status, progress while it runs, the sheets written once done"""
        caller = current_caller()
        return file_runs.visible_run(
            db_session(),
            AssessmentRun,
            caller.user,
            run_id,
            everyone=caller.user.role in runs.RUNNER_ROLES,
        )


# --- sheets ----------------------------------------------------------------------------------


@dataclass
class SheetView:
    """A sheet with its scheme's number, adjustments and objections."""

    sheet: AssessmentSheet
    scheme_number: int
    adjustments: list[Any]
    objections: list[Any]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sheet, name)


def _sheet(sheet_id: int) -> AssessmentSheet:
    caller = current_caller()
    return sheets.get_sheet(db_session(), caller.user, caller.scope, sheet_id)


def _view(sheet: AssessmentSheet) -> SheetView:
    session = db_session()
    version = session.get(AssessmentScheme, sheet.scheme_id)
    return SheetView(
        sheet,
        version.number if version else 0,
        review.adjustments_of(session, sheet),
        review.objections_of(session, sheet),
    )


@blp.route("/sheets")
class Sheets(MethodView):
    @blp.requires("assessment:read")
    @blp.arguments(SheetArgsSchema, location="query")
    @blp.response(200, SheetSummarySchema(many=True))
    @blp.paginate()
    def get(self, args: dict[str, Any], pagination_parameters: Any) -> list[Any]:
        """The month's sheets the caller may read: a grid worker their own, reviewers those of
        the workers in their scope"""
        session, caller = db_session(), current_caller()
        node = (
            access.visible_node(session, caller, args["node_id"]) if args.get("node_id") else None
        )
        query = sheets.list_sheets(session, caller.user, caller.scope, args["month"], node=node)
        return page_of(query, pagination_parameters)


@blp.route("/sheets/<int:sheet_id>")
class SheetById(MethodView):
    @blp.requires("assessment:read")
    @blp.response(200, SheetSchema)
    def get(self, sheet_id: int) -> SheetView:
        """One sheet: every line with its rule, figures and points, adjustments, objections"""
        return _view(_sheet(sheet_id))


def _href(record: evidence.Record) -> str | None:
    base = f"/t/{current_tenant().slug}/api/v1"
    paths = {
        "task": f"/tasks/{record.id}",
        "household": f"/households/{record.id}",
        "person": f"/people/{record.id}",
        "dwelling": f"/dwellings/{record.id}",
        "site": f"/sites/{record.id}",
        "building": f"/buildings/{record.id}",
        "compound": f"/compounds/{record.id}",
        "rental": f"/rentals/{record.id}",
    }
    if record.kind == "visit" and record.household_id is not None:
        return f"{base}/households/{record.household_id}/visits"
    return base + paths[record.kind] if record.kind in paths else None


@blp.route("/sheets/<int:sheet_id>/evidence")
class SheetEvidence(MethodView):
    @blp.requires("assessment:read")
    @blp.arguments(EvidenceArgsSchema, location="query")
    @blp.response(200, EvidenceSchema(many=True))
    def get(self, args: dict[str, Any], sheet_id: int) -> list[dict[str, Any]]:
        """The records one line of the sheet counted (tasks, patrols, logs, visits, meetings,
        spot checks, scores), each with the API path of the record where there is one"""
        found = evidence.records_of(db_session(), _sheet(sheet_id), args["line"])
        return [
            {
                "kind": r.kind,
                "id": r.id,
                "at": r.at.isoformat() if r.at is not None else None,
                "summary": r.summary,
                "href": _href(r),
            }
            for r in found
        ]


@blp.route("/sheets/<int:sheet_id>/adjustments")
class SheetAdjustments(MethodView):
    @blp.requires("assessment:write")
    @blp.alt_response(409, response="CONFLICT")
    @blp.arguments(AdjustInSchema)
    @blp.response(201, AdjustmentSchema)
    def post(self, data: dict[str, Any], sheet_id: int) -> Any:
        """Adjust a line with a reason (reviewers; after the lock: the county, as a correction)"""
        session, caller = db_session(), current_caller()
        adjustment = review.adjust(
            session,
            caller.user,
            caller.scope,
            _sheet(sheet_id),
            data["line"],
            data["points"],
            data["reason"],
        )
        return _commit(adjustment)


@blp.route("/sheets/<int:sheet_id>/objections")
class SheetObjections(MethodView):
    @blp.requires("assessment:write")
    @blp.alt_response(409, response="CONFLICT")
    @blp.arguments(ObjectionInSchema)
    @blp.response(201, ObjectionSchema)
    def post(self, data: dict[str, Any], sheet_id: int) -> Any:
        """Raise an objection (复核) on a line of one's own sheet"""
        session, caller = db_session(), current_caller()
        objection = review.raise_objection(
            session, caller.user, _sheet(sheet_id), data["line"], data["text"]
        )
        return _commit(objection)


@blp.route("/objections/<int:objection_id>/answer")
class ObjectionAnswer(MethodView):
    @blp.requires("assessment:write")
    @blp.alt_response(409, response="CONFLICT")
    @blp.arguments(AnswerInSchema)
    @blp.response(200, ObjectionSchema)
    def post(self, data: dict[str, Any], objection_id: int) -> Any:
        """Answer an objection; with points the line is changed to them"""
        session, caller = db_session(), current_caller()
        objection = review.get_objection(session, caller.user, caller.scope, objection_id)
        answered = review.answer_objection(
            session, caller.user, caller.scope, objection, data["answer"], points=data["points"]
        )
        return _commit(answered)


# --- human inputs ----------------------------------------------------------------------------


def _worker(user_id: int) -> User:
    session = db_session()
    worker = session.get(User, user_id)
    if worker is None or worker.tenant_id != current_tenant().id:
        raise NotFound(_("没有这个网格员"), field="user_id")
    return worker


@blp.route("/scores")
class Scores(MethodView):
    @blp.requires("assessment:write")
    @blp.alt_response(409, response="CONFLICT")
    @blp.arguments(ScoreInSchema)
    @blp.response(201, ScoreSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Enter a score on a manual line (the roles the scheme names for it)"""
        session, caller = db_session(), current_caller()
        score = sheets.record_score(
            session,
            caller.user,
            caller.scope,
            _worker(data["user_id"]),
            data["month"],
            data["line"],
            data["points"],
            scorer=data["scorer"],
            note=data["note"],
        )
        return _commit(score)


@blp.route("/spot-checks")
class SpotChecks(MethodView):
    @blp.requires("assessment:write")
    @blp.arguments(SpotCheckInSchema)
    @blp.response(201, SpotCheckSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Record a spot check (抽查): a resident's answers about their grid worker"""
        session, caller = db_session(), current_caller()
        return _commit(records.record_spot_check(session, caller.user, caller.scope, **data))


@blp.route("/meetings")
class Meetings(MethodView):
    @blp.requires("assessment:write")
    @blp.alt_response(409, response="CONFLICT")
    @blp.arguments(MeetingInSchema)
    @blp.response(201, MeetingSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Record a station's morning meeting (晨会) and who attended (again: replaces it)"""
        session, caller = db_session(), current_caller()
        node = access.visible_node(session, caller, data["node_id"])
        meeting = records.record_meeting(
            session,
            caller.user,
            caller.scope,
            node,
            data["day"],
            set(data["present"]),
            note=data["note"],
        )
        return _commit(meeting)


@blp.route("/logs/<int:log_id>/comments")
class LogComments(MethodView):
    @blp.requires("assessment:write")
    @blp.arguments(LogCommentInSchema)
    @blp.response(201, LogCommentSchema)
    def post(self, data: dict[str, Any], log_id: int) -> Any:
        """Comment on a worker's daily log (the station read it)"""
        session, caller = db_session(), current_caller()
        return _commit(
            records.comment_log(session, caller.user, caller.scope, log_id, data["text"])
        )


@blp.route("/workers/<int:user_id>/month")
class WorkerMonth(MethodView):
    @blp.requires("assessment:read")
    @blp.arguments(WorkerMonthArgsSchema, location="query")
    @blp.response(200, WorkerMonthSchema)
    def get(self, args: dict[str, Any], user_id: int) -> Any:
        """One worker's days of a month: patrols, logs and comments, meetings, leave, reports"""
        session, caller = db_session(), current_caller()
        period = runs.month_period(session, args["month"])
        return records.worker_month(session, caller.user, caller.scope, user_id, period)


@blp.route("/workers/<int:user_id>/trend")
class WorkerTrend(MethodView):
    @blp.requires("assessment:read")
    @blp.arguments(TrendArgsSchema, location="query")
    @blp.response(200, TrendPointSchema(many=True))
    def get(self, args: dict[str, Any], user_id: int) -> Any:
        """One worker's totals month by month"""
        caller = current_caller()
        return analysis.trend(
            db_session(),
            caller.user,
            caller.scope,
            user_id,
            args["first_month"],
            args["last_month"],
        )


# --- leave -----------------------------------------------------------------------------------


@blp.route("/leave")
class Leave(MethodView):
    @blp.requires("assessment:read")
    @blp.response(200, LeaveSchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters: Any) -> list[Any]:
        """Leave requests: a grid worker's own, the station's and above their workers'"""
        session, caller = db_session(), current_caller()
        return page_of(leave.list_leave(session, caller.user, caller.scope), pagination_parameters)

    @blp.requires("assessment:write")
    @blp.alt_response(409, response="CONFLICT")
    @blp.arguments(LeaveInSchema)
    @blp.response(201, LeaveSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Ask for leave (请假)"""
        session, caller = db_session(), current_caller()
        request = leave.request_leave(
            session, caller.user, data["first_day"], data["last_day"], data["reason"]
        )
        return _commit(request)


def _leave(leave_id: int) -> Any:
    caller = current_caller()
    return leave.visible_leave(db_session(), caller.user, caller.scope, leave_id)


@blp.route("/leave/<int:leave_id>/decision")
class LeaveDecision(MethodView):
    @blp.requires("assessment:write")
    @blp.alt_response(409, response="CONFLICT")
    @blp.arguments(LeaveDecisionSchema)
    @blp.response(200, LeaveSchema)
    def post(self, data: dict[str, Any], leave_id: int) -> Any:
        """Approve or refuse a leave request (the station, township or county)"""
        session, caller = db_session(), current_caller()
        decided = leave.decide(
            session,
            caller.user,
            caller.scope,
            _leave(leave_id),
            approve=data["approve"],
            note=data["note"],
        )
        return _commit(decided)


@blp.route("/leave/<int:leave_id>/report-back")
class LeaveReportBack(MethodView):
    @blp.requires("assessment:write")
    @blp.alt_response(409, response="CONFLICT")
    @blp.response(200, LeaveSchema)
    def post(self, leave_id: int) -> Any:
        """Report back from leave (销假)"""
        return _commit(leave.report_back(db_session(), current_caller().user, _leave(leave_id)))


@blp.route("/leave/<int:leave_id>/cancel")
class LeaveCancel(MethodView):
    @blp.requires("assessment:write")
    @blp.alt_response(409, response="CONFLICT")
    @blp.response(200, LeaveSchema)
    def post(self, leave_id: int) -> Any:
        """Withdraw a leave request not decided yet (or approved and not begun)"""
        return _commit(leave.cancel(db_session(), current_caller().user, _leave(leave_id)))


# --- lock, payouts, rankings, exports --------------------------------------------------------


def _period_view(period: Any) -> dict[str, Any]:
    overdue = {p.id for p in review.overdue_payouts(db_session())}
    return {
        **{
            c: getattr(period, c)
            for c in ("period", "at", "by_name", "due_on", "payout_state", "paid_on", "amount")
        },
        "is_overdue": period.id in overdue,
    }


@blp.route("/months/<month>/lock")
class MonthLock(MethodView):
    @blp.requires("assessment:write")
    @blp.alt_response(409, response="CONFLICT")
    @blp.response(200, PayoutPeriodSchema)
    def post(self, month: str) -> dict[str, Any]:
        """Confirm and lock a month (county administrators): its sheets never change again"""
        session, caller = db_session(), current_caller()
        lock = review.lock_month(session, caller.user, schemes.check_month(month))
        session.commit()
        return _period_view(lock)


@blp.route("/months/<month>/export")
class MonthExport(MethodView):
    @blp.requires("assessment:read")
    @blp.response(200, schema=None)
    def get(self, month: str) -> Response:
        """The month's sheets the caller may read as .xlsx"""
        caller = current_caller()
        data = analysis.month_workbook(
            db_session(), caller.user, caller.scope, schemes.check_month(month)
        )
        return Response(data, mimetype=XLSX, headers=download_headers(f"assessment-{month}.xlsx"))


@blp.route("/payouts")
class Payouts(MethodView):
    @blp.requires("assessment:read")
    @blp.response(200, PayoutPeriodSchema(many=True))
    def get(self) -> list[dict[str, Any]]:
        """The payout periods (待兑现 / 已兑现), newest first, with those overdue marked"""
        return [_period_view(p) for p in db_session().scalars(review.payouts(db_session()))]


@blp.route("/payouts/<period>/paid")
class PayoutPaid(MethodView):
    @blp.requires("assessment:write")
    @blp.alt_response(409, response="CONFLICT")
    @blp.arguments(PaidInSchema)
    @blp.response(200, PayoutPeriodSchema)
    def post(self, data: dict[str, Any], period: str) -> dict[str, Any]:
        """Record that finance paid the period's floating pay (已兑现)"""
        session, caller = db_session(), current_caller()
        payout = review.mark_paid(session, caller.user, period, data["paid_on"])
        session.commit()
        return _period_view(payout)


@blp.route("/payouts/<period>/export")
class PayoutExport(MethodView):
    @blp.requires("assessment:read")
    @blp.response(200, schema=None)
    def get(self, period: str) -> Response:
        """The finance export of a payout period (.xlsx: worker, total, band, floating amount)"""
        caller = current_caller()
        if review.payout_of(db_session(), period) is None:
            raise NotFound(_("没有这个兑现期"), field="period")
        data = analysis.payout_workbook(db_session(), caller.user, caller.scope, period)
        return Response(data, mimetype=XLSX, headers=download_headers(f"payout-{period}.xlsx"))


@blp.route("/rankings")
class Rankings(MethodView):
    @blp.requires("assessment:read")
    @blp.arguments(RankingArgsSchema, location="query")
    @blp.response(200, RankingSchema)
    def get(self, args: dict[str, Any]) -> analysis.Ranking:
        """The month's sheets ranked, grouped by the nodes of a level, and their distribution"""
        session, caller = db_session(), current_caller()
        node = (
            access.visible_node(session, caller, args["node_id"]) if args.get("node_id") else None
        )
        return analysis.ranking(
            session, caller.user, caller.scope, args["month"], level=args["level"], node=node
        )
