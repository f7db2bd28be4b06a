"""Post-loan management (贷后管理): risk warnings and their handling, overdue and classification lists,
inspections with visits, notifications sent, and the daily jobs' runs.

Every read is scoped by organisation (an account manager of 榆树 sees nothing of 农安: out-of-scope
items answer 404 or are simply not listed). Changes are narrower: an account manager handles a warning or
works on an inspection only when it is assigned to them or to nobody (403 ``NOT_ASSIGNEE``, field
``assignee_id``); institution admins handle any warning in their scope. The handlers parse and map; the
services (:mod:`chalicelib.postloan.service.queries`, ``.handling``, ``.visits``) decide."""
from __future__ import annotations

from chalicelib.platform.access import Principal
from chalicelib.platform.http.routing import Api, Request
from chalicelib.postloan.api.schemas import (
    AcknowledgeIn,
    AtRiskLoan,
    AtRiskPage,
    ClassificationQuery,
    DismissIn,
    Inspection,
    InspectionPage,
    InspectionQuery,
    JobRunOut,
    LoanClassification,
    NotificationList,
    OverdueQuery,
    PhotoIn,
    PhotoUpload,
    PortfolioSummary,
    ResolveIn,
    SummaryQuery,
    VisitIn,
    WarningList,
    WarningPage,
    WarningQuery,
    WarningSignal,
)

api = Api("postloan", tag="post-loan management")

_HANDLE_ERRORS = ("WARNING_NOT_FOUND", "NOT_ASSIGNEE", "SUBJECT_OF_WARNING", "WARNING_STATE", "VERSION_CONFLICT")


def _p(req: Request) -> Principal:
    """The caller (every post-loan route names a permission, so the route layer has authenticated it)."""
    if req.principal is None:
        raise RuntimeError("a post-loan route was reached without a caller")
    return req.principal


def _user(req: Request, who: str) -> str:
    return _p(req).user_id if who == "me" else who


# ------------------------------------------------------------------------------------------------ warnings
@api.route("/postloan/warnings", "GET", summary="Active risk warnings by organisation, village, account manager "
           "and level", permission="warning:read", query=WarningQuery, response=WarningPage,
           errors=("ORG_NOT_FOUND", "VILLAGE_NOT_FOUND", "INVALID_CURSOR"))
def list_warnings(req: Request) -> WarningPage:
    from chalicelib.postloan.service import queries

    q = req.query
    items, cursor = queries.active_warnings(_p(req), assignee=_user(req, q.assignee) if q.assignee else None,
                                     org_id=q.org_id, village_code=q.village_code, level=q.level, limit=q.limit,
                                     cursor=q.cursor)
    return WarningPage(items=[WarningSignal.model_validate(i) for i in items], cursor=cursor)


@api.route("/postloan/warnings/{signal_id}", "GET", summary="One warning with its evidence and handling",
           permission="warning:read", response=WarningSignal, errors=("WARNING_NOT_FOUND",))
def get_warning(req: Request, signal_id: str) -> WarningSignal:
    from chalicelib.postloan.service import queries

    return WarningSignal.model_validate(queries.warning(_p(req), signal_id))


@api.route("/postloan/warnings/{signal_id}/acknowledge", "POST", summary="Acknowledge a warning (签收)",
           permission="warning:handle", body=AcknowledgeIn, response=WarningSignal, errors=_HANDLE_ERRORS)
def acknowledge_warning(req: Request, signal_id: str) -> WarningSignal:
    from chalicelib.postloan.service import handling

    return WarningSignal.model_validate(handling.acknowledge(_p(req), signal_id, version=req.body.version,
                                                             note=req.body.note))


@api.route("/postloan/warnings/{signal_id}/resolve", "POST", summary="Resolve a warning with what was done (处置)",
           permission="warning:handle", body=ResolveIn, response=WarningSignal, errors=_HANDLE_ERRORS)
def resolve_warning(req: Request, signal_id: str) -> WarningSignal:
    from chalicelib.postloan.service import handling

    return WarningSignal.model_validate(handling.resolve(_p(req), signal_id, version=req.body.version,
                                                         resolution=req.body.resolution))


@api.route("/postloan/warnings/{signal_id}/dismiss", "POST", summary="Dismiss a warning as not a risk, with a reason",
           permission="warning:handle", body=DismissIn, response=WarningSignal,
           errors=(*_HANDLE_ERRORS, "DISMISS_REASON_REQUIRED"))
def dismiss_warning(req: Request, signal_id: str) -> WarningSignal:
    from chalicelib.postloan.service import handling

    return WarningSignal.model_validate(handling.dismiss(_p(req), signal_id, version=req.body.version,
                                                         reason=req.body.reason))


@api.route("/postloan/loans/{loan_id}/warnings", "GET", summary="A loan's warning history (every status)",
           permission="warning:read", response=WarningList, errors=("LOAN_NOT_FOUND",))
def loan_warnings(req: Request, loan_id: str) -> WarningList:
    from chalicelib.postloan.service import queries

    return WarningList(items=[WarningSignal.model_validate(i) for i in queries.loan_warnings(_p(req), loan_id)])


@api.route("/postloan/households/{household_id}/warnings", "GET", summary="A household's warning history, "
           "its loans' included (every status)", permission="warning:read", response=WarningList,
           errors=("HOUSEHOLD_NOT_FOUND",))
def household_warnings(req: Request, household_id: str) -> WarningList:
    from chalicelib.postloan.service import queries

    items = queries.household_warnings(_p(req), household_id)
    return WarningList(items=[WarningSignal.model_validate(i) for i in items])


# ------------------------------------------------------------------------------------------------ lists
@api.route("/postloan/overdue", "GET", summary="Overdue loans (as of the last classification), worst first",
           permission="warning:read", query=OverdueQuery, response=AtRiskPage,
           errors=("ORG_NOT_FOUND", "VILLAGE_NOT_FOUND", "INVALID_CURSOR"))
def overdue_loans(req: Request) -> AtRiskPage:
    from chalicelib.postloan.service import queries

    q = req.query
    items, cursor = queries.at_risk(_p(req), categories=None, org_id=q.org_id, village_code=q.village_code,
                                    min_dpd=q.min_dpd, limit=q.limit, cursor=q.cursor)
    return AtRiskPage(items=[AtRiskLoan.model_validate(i) for i in items], cursor=cursor)


@api.route("/postloan/classification", "GET", summary="Loans of one five-category class (or all NPL)",
           permission="warning:read", query=ClassificationQuery, response=AtRiskPage,
           errors=("ORG_NOT_FOUND", "VILLAGE_NOT_FOUND", "INVALID_CURSOR"))
def classification_list(req: Request) -> AtRiskPage:
    from chalicelib.postloan.service import queries

    q = req.query
    cats = queries.NPL if q.category == "npl" else [q.category]
    items, cursor = queries.at_risk(_p(req), categories=cats, org_id=q.org_id, village_code=q.village_code,
                                    min_dpd=0, limit=q.limit, cursor=q.cursor)
    return AtRiskPage(items=[AtRiskLoan.model_validate(i) for i in items], cursor=cursor)


@api.route("/postloan/classification/summary", "GET", summary="Portfolio of an organisation or village on the "
           "last warning scan: loans, outstanding, overdue and NPL rates", permission="warning:read",
           query=SummaryQuery, response=PortfolioSummary,
           errors=("ORG_NOT_FOUND", "VILLAGE_NOT_FOUND", "SUMMARY_NOT_FOUND"))
def classification_summary(req: Request) -> PortfolioSummary:
    from chalicelib.postloan.service import queries

    q = req.query
    return PortfolioSummary.model_validate(queries.summary(_p(req), org_id=q.org_id,
                                                           village_code=q.village_code))


@api.route("/postloan/loans/{loan_id}/classification", "GET", summary="A loan's classification, its history "
           "and penalty accruals", permission="warning:read", response=LoanClassification,
           errors=("LOAN_NOT_FOUND",))
def loan_classification(req: Request, loan_id: str) -> LoanClassification:
    from chalicelib.postloan.service import queries

    return LoanClassification.model_validate(queries.loan_classification(_p(req), loan_id))


# ------------------------------------------------------------------------------------------------ inspections
@api.route("/postloan/inspections", "GET", summary="An account manager's inspection tasks (soonest due first)",
           permission="warning:read", query=InspectionQuery, response=InspectionPage, errors=("INVALID_CURSOR",))
def list_inspections(req: Request) -> InspectionPage:
    from chalicelib.postloan.service import queries

    q = req.query
    items, cursor = queries.inspections_of(_p(req), _user(req, q.assignee), status=q.status,
                                           due_before=q.due_before, limit=q.limit, cursor=q.cursor)
    return InspectionPage(items=[Inspection.model_validate(i) for i in items], cursor=cursor)


@api.route("/postloan/inspections/{task_id}", "GET", summary="One inspection task (with its visit when done)",
           permission="warning:read", response=Inspection, errors=("INSPECTION_NOT_FOUND",))
def get_inspection(req: Request, task_id: str) -> Inspection:
    from chalicelib.postloan.service import queries

    return Inspection.model_validate(queries.inspection(_p(req), task_id))


@api.route("/postloan/inspections/{task_id}/photos", "POST", summary="Upload URL for one inspection photo",
           permission="inspection:write", body=PhotoIn, response=PhotoUpload, status=201,
           errors=("INSPECTION_NOT_FOUND", "NOT_ASSIGNEE", "INSPECTION_NOT_OPEN"))
def inspection_photo(req: Request, task_id: str) -> PhotoUpload:
    from chalicelib.postloan.service import visits

    return PhotoUpload.model_validate(visits.photo_upload(_p(req), task_id, req.body.content_type))


@api.route("/postloan/inspections/{task_id}/visit", "POST", summary="Record the inspection visit: GPS, photos, "
           "findings, loan purpose confirmed", permission="inspection:write", body=VisitIn, response=Inspection,
           errors=("INSPECTION_NOT_FOUND", "NOT_ASSIGNEE", "INSPECTION_NOT_OPEN", "VERSION_CONFLICT",
                   "PHOTO_NOT_OF_TASK", "PHOTO_DUPLICATE", "PHOTO_NOT_FOUND", "GPS_OUT_OF_AREA",
                   "VISITED_AT_INVALID", "VISITED_AT_IN_FUTURE"))
def record_visit(req: Request, task_id: str) -> Inspection:
    from chalicelib.postloan.service import visits

    b = req.body
    stored = visits.record_visit(_p(req), task_id, version=b.version, gps=b.gps.stored(), photos=b.photos,
                                 findings=b.findings, purpose_confirmed=b.purpose_confirmed,
                                 risk_observed=b.risk_observed, visited_at=b.visited_at)
    return Inspection.model_validate(stored)


# ------------------------------------------------------------------------------------------------ notifications
@api.route("/postloan/households/{household_id}/notifications", "GET", summary="Reminders and notices sent to a "
           "household (newest first)", permission="warning:read", response=NotificationList,
           errors=("HOUSEHOLD_NOT_FOUND",))
def household_notifications(req: Request, household_id: str) -> NotificationList:
    from chalicelib.postloan.service import queries

    return NotificationList.model_validate({"items": queries.household_notifications(_p(req), household_id)})


@api.route("/postloan/jobs/{job}/runs/{business_date}", "GET", summary="A daily post-loan job's run on a business "
           "date: status, checkpoint, counters (province-wide figures: province-level staff only; a caller "
           "whose scope is not the whole province gets 404 JOB_RUN_NOT_FOUND, as for any out-of-scope read)",
           permission="report:read", response=JobRunOut,
           errors=("JOB_NOT_FOUND", "JOB_RUN_NOT_FOUND", "BUSINESS_DATE_INVALID"))
def job_run(req: Request, job: str, business_date: str) -> JobRunOut:
    from chalicelib.postloan.service import queries

    return JobRunOut.model_validate(queries.job_run(_p(req), job, business_date))
