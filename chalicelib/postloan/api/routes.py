"""Post-loan management (贷后管理): risk warnings and their handling, overdue and classification lists,
inspections with visits, notifications sent, and the daily jobs' runs.

Every read is scoped by organisation (an account manager of 榆树 sees nothing of 农安: out-of-scope
items answer 404 or are simply not listed). Changes are narrower: an account manager handles a warning or
works on an inspection only when it is assigned to them or to nobody (403 ``NOT_ASSIGNEE``, field
``assignee_id``); institution admins handle any warning in their scope."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from chalicelib.platform.geo import GeoPoint
from chalicelib.platform.http.routing import Api, NextCursor, PageCursor, Request
from chalicelib.platform.inputs import Id, IsoDate, ObjectKey, RequestModel, VillageCode, parsed_by
from chalicelib.platform.text import text

api = Api("postloan", tag="post-loan management")

Level = Literal["yellow", "orange", "red"]
CategoryName = Literal["pass", "special_mention", "substandard", "doubtful", "loss"]


class _Out(BaseModel):
    model_config = ConfigDict(extra="ignore")


# ------------------------------------------------------------------------------------------------ models
class LevelChange(_Out):
    level: Level
    on: date


class WarningSignal(_Out):
    signal_id: str
    rule_id: str = Field(description="e.g. OVERDUE, JUDICIAL, VILLAGE_OVERDUE_RATE")
    rule_set: str
    rule_version: int | None = Field(default=None, description="version of the warning_rules parameter used")
    level: Level = Field(description="yellow | orange | red (黄 / 橙 / 红)")
    reason: str
    subject_type: Literal["loan", "household", "village", "account_manager"]
    subject_id: str
    loan_id: str | None = None
    household_id: str | None = None
    village_code: str | None = None
    assignee_id: str | None = Field(default=None, description="the responsible account manager (user id)")
    org_path: str
    status: Literal["open", "acknowledged", "resolved", "dismissed"]
    raised_on: date = Field(description="business date the signal was raised")
    raised_at: str
    last_fired_on: date | None = None
    cleared_on: date | None = Field(default=None, description="the condition no longer held on this date")
    evidence: dict[str, Any] = Field(default_factory=dict, description="the facts the rules saw")
    levels: list[LevelChange] = Field(default_factory=list)
    acknowledged_by: str | None = None
    acknowledged_at: str | None = None
    acknowledge_note: str | None = None
    closed_by: str | None = None
    closed_at: str | None = None
    resolution: str | None = None
    dismiss_reason: str | None = None
    version: int


class WarningPage(_Out):
    items: list[WarningSignal]
    cursor: NextCursor = None


class WarningList(_Out):
    items: list[WarningSignal]


class WarningQuery(RequestModel):
    org_id: Id | None = Field(default=None, description="default: the caller's organisation")
    village_code: VillageCode | None = None
    level: Level | None = None
    assignee: Id | None = Field(default=None, description="`me` or a user id: that account manager's queue "
                                                          "(red first)")
    limit: int = Field(default=50, ge=1, le=200)
    cursor: PageCursor = None


class AcknowledgeIn(RequestModel):
    version: int = Field(ge=1)
    note: text(max_length=500, multiline=True) | None = None


class ResolveIn(RequestModel):
    version: int = Field(ge=1)
    resolution: text(min_length=2, max_length=1000, multiline=True) = Field(description="what was done (处置措施)")


class DismissIn(RequestModel):
    version: int = Field(ge=1)
    reason: text(min_length=2, max_length=1000, multiline=True) = Field(description="why the signal is not a risk")


class AtRiskLoan(_Out):
    loan_id: str
    household_id: str
    org_path: str
    village_code: str | None = None
    account_manager_id: str | None = None
    category: CategoryName
    category_since: date | None = None
    dpd: int = Field(description="days past due on classified_on")
    classified_on: date | None = None
    oldest_unpaid_due_date: date | None = None
    outstanding_principal: Decimal | None = None
    overdue_principal: Decimal | None = None
    overdue_interest: Decimal | None = None
    penalty_accrued_total: Decimal | None = None
    penalty_accrued_through: date | None = None
    purpose_confirmed: bool | None = None


class AtRiskPage(_Out):
    items: list[AtRiskLoan]
    cursor: NextCursor = None


class OverdueQuery(RequestModel):
    org_id: Id | None = None
    village_code: VillageCode | None = None
    min_dpd: int = Field(default=1, ge=1, le=100000)
    limit: int = Field(default=50, ge=1, le=200)
    cursor: PageCursor = None


class ClassificationQuery(RequestModel):
    category: Literal["special_mention", "substandard", "doubtful", "loss", "npl"] = Field(
        description="one category, or npl (substandard + doubtful + loss)")
    org_id: Id | None = None
    village_code: VillageCode | None = None
    limit: int = Field(default=50, ge=1, le=200)
    cursor: PageCursor = None


class SummaryQuery(RequestModel):
    org_id: Id | None = Field(default=None, description="default: the caller's organisation")
    village_code: VillageCode | None = None


class PortfolioSummary(_Out):
    scope: str
    business_date: date
    loan_count: int
    outstanding: Decimal
    overdue_count: int
    overdue_outstanding: Decimal
    npl_outstanding: Decimal
    overdue_rate: Decimal
    npl_rate: Decimal


class ClassificationChange(_Out):
    business_date: date
    from_: CategoryName = Field(alias="from")
    to: CategoryName
    dpd: int
    rule_version: int | None = None
    reason: str | None = None

    model_config = ConfigDict(extra="ignore", populate_by_name=True, serialize_by_alias=True)


class PenaltyAccrual(_Out):
    business_date: date
    days: int
    amount: Decimal
    cumulative: Decimal | None = None


class LoanClassification(_Out):
    loan_id: str
    category: CategoryName
    dpd: int
    classified_on: date | None = None
    history: list[ClassificationChange]
    penalties: list[PenaltyAccrual]


class VisitIn(RequestModel):
    version: int = Field(ge=1)
    gps: GeoPoint = Field(description="where the visit took place (inside China)")
    photos: list[ObjectKey] = Field(min_length=1, max_length=20, description="keys returned by POST .../photos, "
                                                                              "uploaded")
    findings: text(min_length=2, max_length=4000, multiline=True) = Field(description="检查情况")
    purpose_confirmed: bool = Field(description="the loan is used for its stated purpose (贷款用途已核实)")
    risk_observed: bool = False
    visited_at: Annotated[str, parsed_by("chalicelib.postloan.domain.postloan.visit_time")] | None = Field(
        default=None, max_length=40, description="ISO 8601 date and time of the visit with a UTC offset "
        "(2025-02-14T09:30:00+08:00), not in the future; stored in UTC; default: when recorded (VISITED_AT_INVALID, "
        "VISITED_AT_IN_FUTURE)")


class Visit(_Out):
    visited_at: str
    recorded_at: str | None = None
    gps: GeoPoint
    photos: list[str]
    findings: str
    purpose_confirmed: bool
    risk_observed: bool = False


class Inspection(_Out):
    task_id: str
    loan_id: str
    household_id: str
    org_path: str
    village_code: str | None = None
    assignee_id: str | None = None
    kind: Literal["first", "periodic"] = Field(validation_alias=AliasChoices("inspection_type", "kind"),
                                               description="first inspection after disbursement, or periodic")
    category: str | None = None
    due_on: date
    status: Literal["open", "done", "cancelled"]
    created_on: date
    completed_on: date | None = None
    completed_by: str | None = None
    cancel_reason: str | None = None
    visit: Visit | None = None
    next_task_id: str | None = None
    version: int


class InspectionPage(_Out):
    items: list[Inspection]
    cursor: NextCursor = None


class InspectionQuery(RequestModel):
    assignee: Id = Field(default="me", description="`me` or an account manager's user id")
    status: Literal["open", "closed"] = "open"
    due_before: IsoDate | None = Field(default=None, description="open tasks due on or before this date")
    limit: int = Field(default=50, ge=1, le=200)
    cursor: PageCursor = None


class PhotoIn(RequestModel):
    content_type: Literal["image/jpeg", "image/png", "image/heic"] = "image/jpeg"


class PhotoUpload(_Out):
    key: str
    upload_url: str
    content_type: str
    expires_in: int


class Notification(_Out):
    notification_id: str
    template: str
    channel: Literal["sms", "push"]
    recipient_type: str
    recipient_id: str
    reference: str
    business_date: date
    text: str
    status: Literal["pending", "sent", "failed"]
    sent_at: str | None = None


class NotificationList(_Out):
    items: list[Notification]


class JobRunOut(_Out):
    job: str
    business_date: date
    status: str
    attempts: int | None = None
    started_at: str | None = None
    updated_at: str | None = None
    completed_at: str | None = None
    last_error: str | None = None
    checkpoint: dict[str, Any] = Field(default_factory=dict)
    result: dict[str, Any] | None = None


# ------------------------------------------------------------------------------------------------ warnings
def _user(req: Request, who: str) -> str:
    return req.principal.user_id if who == "me" else who


@api.route("/postloan/warnings", "GET", summary="Active risk warnings by organisation, village, account manager "
           "and level", permission="warning:read", query=WarningQuery, response=WarningPage,
           errors=("ORG_NOT_FOUND", "VILLAGE_NOT_FOUND", "INVALID_CURSOR"))
def list_warnings(req: Request) -> WarningPage:
    from chalicelib.postloan.data import postloan
    from chalicelib.postloan.data import warnings as repo

    q = req.query
    if q.assignee:
        items, cursor = repo.list_assigned(req.principal, _user(req, q.assignee), level=q.level, limit=q.limit,
                                           cursor=q.cursor)
    else:
        insts, path, village = postloan._scope_of(req.principal, q.org_id, q.village_code)
        items, cursor = repo.list_active(req.principal, org_path=path, institution_ids=insts, village_code=village,
                                         level=q.level, limit=q.limit, cursor=q.cursor)
    return WarningPage(items=[WarningSignal.model_validate(i) for i in items], cursor=cursor)


@api.route("/postloan/warnings/{signal_id}", "GET", summary="One warning with its evidence and handling",
           permission="warning:read", response=WarningSignal, errors=("WARNING_NOT_FOUND",))
def get_warning(req: Request, signal_id: str) -> WarningSignal:
    from chalicelib.postloan.data import warnings as repo

    return WarningSignal.model_validate(repo.get(req.principal, signal_id))


@api.route("/postloan/warnings/{signal_id}/acknowledge", "POST", summary="Acknowledge a warning (签收)",
           permission="warning:handle", body=AcknowledgeIn, response=WarningSignal,
           errors=("WARNING_NOT_FOUND", "NOT_ASSIGNEE", "SUBJECT_OF_WARNING", "WARNING_STATE", "VERSION_CONFLICT"))
def acknowledge_warning(req: Request, signal_id: str) -> WarningSignal:
    from chalicelib.postloan.data import warnings as repo

    return WarningSignal.model_validate(repo.acknowledge(req.principal, signal_id, version=req.body.version,
                                                   note=req.body.note))


@api.route("/postloan/warnings/{signal_id}/resolve", "POST", summary="Resolve a warning with what was done (处置)",
           permission="warning:handle", body=ResolveIn, response=WarningSignal,
           errors=("WARNING_NOT_FOUND", "NOT_ASSIGNEE", "SUBJECT_OF_WARNING", "WARNING_STATE", "VERSION_CONFLICT"))
def resolve_warning(req: Request, signal_id: str) -> WarningSignal:
    from chalicelib.platform.clock import business_date
    from chalicelib.postloan.data import warnings as repo
    from chalicelib.postloan.service.postloan import policy

    return WarningSignal.model_validate(repo.resolve(req.principal, signal_id, version=req.body.version,
                                               resolution=req.body.resolution,
                                               reraise_after_days=policy(business_date()).reraise_after_days))


@api.route("/postloan/warnings/{signal_id}/dismiss", "POST", summary="Dismiss a warning as not a risk, with a reason",
           permission="warning:handle", body=DismissIn, response=WarningSignal,
           errors=("WARNING_NOT_FOUND", "NOT_ASSIGNEE", "SUBJECT_OF_WARNING", "WARNING_STATE", "VERSION_CONFLICT",
                   "DISMISS_REASON_REQUIRED"))
def dismiss_warning(req: Request, signal_id: str) -> WarningSignal:
    from chalicelib.platform.clock import business_date
    from chalicelib.postloan.data import warnings as repo
    from chalicelib.postloan.service.postloan import policy

    return WarningSignal.model_validate(repo.dismiss(req.principal, signal_id, version=req.body.version,
                                               reason=req.body.reason,
                                               reraise_after_days=policy(business_date()).reraise_after_days))


@api.route("/postloan/loans/{loan_id}/warnings", "GET", summary="A loan's warning history (every status)",
           permission="warning:read", response=WarningList, errors=("LOAN_NOT_FOUND",))
def loan_warnings(req: Request, loan_id: str) -> WarningList:
    from chalicelib.postloan.data import postloan
    from chalicelib.postloan.data import warnings as repo

    loan = postloan.loan_scope_item(req.principal, loan_id)
    items = repo.history(req.principal, f"HH#{loan['household_id']}#WARNING", loan_id=loan_id)
    return WarningList(items=[WarningSignal.model_validate(i) for i in items])


@api.route("/postloan/households/{household_id}/warnings", "GET", summary="A household's warning history, "
           "its loans' included (every status)", permission="warning:read", response=WarningList,
           errors=("HOUSEHOLD_NOT_FOUND",))
def household_warnings(req: Request, household_id: str) -> WarningList:
    from chalicelib.postloan.data import warnings as repo

    items = repo.for_household(req.principal, household_id)
    return WarningList(items=[WarningSignal.model_validate(i) for i in items])


# ------------------------------------------------------------------------------------------------ lists
@api.route("/postloan/overdue", "GET", summary="Overdue loans (as of the last classification), worst first",
           permission="warning:read", query=OverdueQuery, response=AtRiskPage,
           errors=("ORG_NOT_FOUND", "VILLAGE_NOT_FOUND", "INVALID_CURSOR"))
def overdue_loans(req: Request) -> AtRiskPage:
    from chalicelib.postloan.data import postloan

    q = req.query
    items, cursor = postloan.list_at_risk(req.principal, categories=postloan.CATEGORIES, org_id=q.org_id,
                                          village_code=q.village_code, min_dpd=q.min_dpd, limit=q.limit,
                                          cursor=q.cursor)
    return AtRiskPage(items=[AtRiskLoan.model_validate(i) for i in items], cursor=cursor)


@api.route("/postloan/classification", "GET", summary="Loans of one five-category class (or all NPL)",
           permission="warning:read", query=ClassificationQuery, response=AtRiskPage,
           errors=("ORG_NOT_FOUND", "VILLAGE_NOT_FOUND", "INVALID_CURSOR"))
def classification_list(req: Request) -> AtRiskPage:
    from chalicelib.postloan.data import postloan

    q = req.query
    cats = ["substandard", "doubtful", "loss"] if q.category == "npl" else [q.category]
    items, cursor = postloan.list_at_risk(req.principal, categories=cats, org_id=q.org_id,
                                          village_code=q.village_code, min_dpd=0, limit=q.limit, cursor=q.cursor)
    return AtRiskPage(items=[AtRiskLoan.model_validate(i) for i in items], cursor=cursor)


@api.route("/postloan/classification/summary", "GET", summary="Portfolio of an organisation or village on the "
           "last warning scan: loans, outstanding, overdue and NPL rates", permission="warning:read",
           query=SummaryQuery, response=PortfolioSummary,
           errors=("ORG_NOT_FOUND", "VILLAGE_NOT_FOUND", "SUMMARY_NOT_FOUND"))
def classification_summary(req: Request) -> PortfolioSummary:
    from chalicelib.admin import public as orgs
    from chalicelib.platform.errors import NotFound
    from chalicelib.postloan.data import postloan

    q = req.query
    if q.village_code:
        orgs.get_village(req.principal, q.village_code)
        scope = f"VILLAGE#{q.village_code}"
    else:
        org_id = q.org_id or req.principal.org_id
        org = orgs.get_org(org_id)
        if org is None or not req.principal.can_see(org_path=org["org_path"]):
            raise NotFound("organisation not found", code="ORG_NOT_FOUND", field="org_id")
        scope = f"ORG#{org_id}"
    snap = postloan.latest_snapshot(scope)
    if snap is None:
        raise NotFound("no warning scan has covered this scope yet", code="SUMMARY_NOT_FOUND")
    return PortfolioSummary.model_validate(snap)


@api.route("/postloan/loans/{loan_id}/classification", "GET", summary="A loan's classification, its history "
           "and penalty accruals", permission="warning:read", response=LoanClassification,
           errors=("LOAN_NOT_FOUND",))
def loan_classification(req: Request, loan_id: str) -> LoanClassification:
    from chalicelib.postloan.data import postloan

    postloan.loan_scope_item(req.principal, loan_id)
    state = postloan.get_state(loan_id) or {}
    return LoanClassification(
        loan_id=loan_id, category=state.get("category", "pass"), dpd=int(state.get("dpd") or 0),
        classified_on=state.get("classified_on"),
        history=[ClassificationChange.model_validate(h) for h in postloan.history(loan_id)],
        penalties=[PenaltyAccrual.model_validate(p) for p in postloan.penalties(loan_id)])


# ------------------------------------------------------------------------------------------------ inspections
@api.route("/postloan/inspections", "GET", summary="An account manager's inspection tasks (soonest due first)",
           permission="warning:read", query=InspectionQuery, response=InspectionPage, errors=("INVALID_CURSOR",))
def list_inspections(req: Request) -> InspectionPage:
    from chalicelib.postloan.data import inspections

    q = req.query
    items, cursor = inspections.list_assigned(req.principal, _user(req, q.assignee), status=q.status,
                                              due_before=q.due_before, limit=q.limit, cursor=q.cursor)
    return InspectionPage(items=[Inspection.model_validate(i) for i in items], cursor=cursor)


@api.route("/postloan/inspections/{task_id}", "GET", summary="One inspection task (with its visit when done)",
           permission="warning:read", response=Inspection, errors=("INSPECTION_NOT_FOUND",))
def get_inspection(req: Request, task_id: str) -> Inspection:
    from chalicelib.postloan.data import inspections

    return Inspection.model_validate(inspections.get(req.principal, task_id))


@api.route("/postloan/inspections/{task_id}/photos", "POST", summary="Upload URL for one inspection photo",
           permission="inspection:write", body=PhotoIn, response=PhotoUpload, status=201,
           errors=("INSPECTION_NOT_FOUND", "NOT_ASSIGNEE", "INSPECTION_NOT_OPEN"))
def inspection_photo(req: Request, task_id: str) -> PhotoUpload:
    from chalicelib.postloan.service import postloan

    return PhotoUpload.model_validate(postloan.photo_upload(req.principal, task_id, req.body.content_type))


@api.route("/postloan/inspections/{task_id}/visit", "POST", summary="Record the inspection visit: GPS, photos, "
           "findings, loan purpose confirmed", permission="inspection:write", body=VisitIn, response=Inspection,
           errors=("INSPECTION_NOT_FOUND", "NOT_ASSIGNEE", "INSPECTION_NOT_OPEN", "VERSION_CONFLICT",
                   "PHOTO_NOT_OF_TASK", "PHOTO_DUPLICATE", "PHOTO_NOT_FOUND", "GPS_OUT_OF_AREA",
                   "VISITED_AT_INVALID", "VISITED_AT_IN_FUTURE"))
def record_visit(req: Request, task_id: str) -> Inspection:
    from chalicelib.platform.errors import ValidationFailed
    from chalicelib.postloan.service import postloan

    b = req.body
    if not (Decimal("3.8") <= b.gps.lat <= Decimal("53.6") and Decimal("73.5") <= b.gps.lon <= Decimal("135.1")):
        raise ValidationFailed("the GPS point is outside China", code="GPS_OUT_OF_AREA", field="gps")
    stored = postloan.record_visit(req.principal, task_id, version=b.version, gps=b.gps.stored(),
                                   photos=b.photos, findings=b.findings, purpose_confirmed=b.purpose_confirmed,
                                   risk_observed=b.risk_observed, visited_at=b.visited_at)
    return Inspection.model_validate(stored)


# ------------------------------------------------------------------------------------------------ notifications
@api.route("/postloan/households/{household_id}/notifications", "GET", summary="Reminders and notices sent to a "
           "household (newest first)", permission="warning:read", response=NotificationList,
           errors=("HOUSEHOLD_NOT_FOUND",))
def household_notifications(req: Request, household_id: str) -> NotificationList:
    from chalicelib.postloan.data import notifications

    items = notifications.for_recipient(req.principal, "household", household_id)
    return NotificationList(items=[Notification.model_validate(i) for i in items])


@api.route("/postloan/jobs/{job}/runs/{business_date}", "GET", summary="A daily post-loan job's run on a business "
           "date: status, checkpoint, counters (province-wide figures: province-level staff only; a caller "
           "whose scope is not the whole province gets 404 JOB_RUN_NOT_FOUND, as for any out-of-scope read)",
           permission="report:read", response=JobRunOut,
           errors=("JOB_NOT_FOUND", "JOB_RUN_NOT_FOUND", "BUSINESS_DATE_INVALID"))
def job_run(req: Request, job: str, business_date: str) -> JobRunOut:
    from chalicelib.admin import public as admin
    from chalicelib.platform.errors import NotFound
    from chalicelib.postloan.service.postloan import JOBS

    if job not in JOBS:
        raise NotFound(f"no job {job}", code="JOB_NOT_FOUND", field="job")
    return JobRunOut.model_validate(admin.visible_run(req.principal, job, business_date))
