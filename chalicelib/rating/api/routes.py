"""Rating management (评级管理) and whole-village credit (整村授信): campaigns, the public notice,
objections, ratings (adjust, approve), credit lines and credit village / township evaluations.

Money and scores are decimal strings in JSON. Farmers see only their own household's rating and
lines; campaigns and evaluations are staff-only.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.platform.http.routing import Api, NextCursor, PageCursor, Request
from chalicelib.platform.inputs import Id, RequestModel, VillageCode
from chalicelib.platform.text import text

api = Api("rating", tag="rating management")

GRADE_PATTERN = r"^(AAA|AA|A|NONE)$"


class _Out(BaseModel):
    model_config = ConfigDict(extra="ignore")


# ------------------------------------------------------------------------------------------ models

class ChallengerRef(RequestModel):
    model_id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._-]+$")
    version: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9:._-]+$")


class StartCampaign(RequestModel):
    village_code: VillageCode
    period: str | None = Field(default=None, pattern=r"^\d{4}(-[0-9A-Za-z]{1,8})?$",
                               description="campaign period; default the business year. Same village + period = "
                                           "same campaign (idempotent)")
    challenger: ChallengerRef | None = Field(default=None, description="statistical challenger points table "
                                             "(household features only); default from the village_campaign parameter")


class Failure(_Out):
    household_id: str
    code: str
    message: str | None = None


class NoticeInfo(_Out):
    notice_from: str | None = None
    notice_until: str | None = None
    rows: int | None = None
    revision: int | None = None


class Campaign(_Out):
    campaign_id: str
    village_code: str
    village_name: str | None = None
    township_code: str | None = None
    township_name: str | None = None
    county_name: str | None = None
    unit_type: str | None = Field(default=None, description="villagers_committee (村民委员会) | residents_committee "
                                  "(居委会) | villagers_committee_like | residents_committee_like, from the division code")
    period: str
    status: str = Field(description="running | awaiting_confirmation | activating | completed | expired | failed | "
                                    "cancelled; a village has at most one campaign that is not completed, expired, "
                                    "failed or cancelled")
    attempt: int = 1
    started_by: str | None = None
    started_at: str | None = None
    total: int = Field(default=0, description="households to rate (filed and not draft)")
    rated: int = 0
    failed: int = 0
    skipped: int = Field(default=0, description="draft household files, not rated")
    progress: Decimal = Field(default=Decimal(0), description="(rated + failed) / total")
    lines_proposed: int = 0
    limit_total: Decimal = Decimal(0)
    by_grade: dict[str, int] = {}
    notice: NoticeInfo | None = None
    evaluation: dict[str, Any] | None = None
    confirmed_by: str | None = None
    confirmed_at: str | None = None
    activated: int | None = None
    withdrawn: int | None = None
    active_limit_total: Decimal | None = None
    lines_valid_from: str | None = None
    execution_status: str | None = None
    error: dict[str, Any] | None = None
    failures: list[Failure] = []
    challenger: dict[str, Any] | None = None
    parameter_versions: dict[str, int] | None = None
    version: int
    created: bool | None = Field(default=None, description="on start: false when the campaign existed already")


class CampaignList(_Out):
    items: list[Campaign]


class NoticeQuery(RequestModel):
    format: Literal["csv", "pdf"] = "pdf"


class NoticeLink(_Out):
    campaign_id: str
    format: str
    url: str = Field(description="presigned S3 GET URL")
    expires_in: int
    revision: int
    notice_from: str | None = None
    notice_until: str | None = None


class Confirm(RequestModel):
    comment: text(max_length=500, multiline=True) | None = None


class CancelCampaign(RequestModel):
    reason: text(min_length=2, max_length=500, multiline=True,
                 description="why the campaign is abandoned (kept in the audit trail)")


class NewObjection(RequestModel):
    household_id: Id
    raised_by: text(min_length=1, max_length=100) = Field(description="who objected (e.g. 村民 name or 村委会)")
    reason: text(min_length=2, max_length=1000, multiline=True)


class ObjectionDecision(RequestModel):
    decision: Literal["uphold", "dismiss"]
    reason: text(min_length=2, max_length=1000, multiline=True)


class Objection(_Out):
    objection_id: str
    campaign_id: str
    household_id: str
    rating_id: str | None = None
    status: str = Field(description="open | upheld | dismissed")
    raised_by: str
    reason: str
    recorded_by: str
    recorded_at: str
    decided_by: str | None = None
    decided_at: str | None = None
    decision_reason: str | None = None


class ObjectionList(_Out):
    items: list[Objection]


class IndicatorPoints(_Out):
    indicator_id: str
    points: Decimal
    max_points: Decimal
    bin: str
    value_used: Any = None
    raw_value: Any = None
    reason_code: str | None = None


class Rating(_Out):
    rating_id: str
    household_id: str
    village_code: str | None = None
    campaign_id: str
    status: str = Field(description="auto | adjusted | approved | effective | expired | withdrawn")
    scorecard_id: str | None = None
    scorecard_version: str | None = None
    parameter_versions: dict[str, int] = {}
    score: Decimal
    grade: str
    auto_grade: str | None = Field(default=None, description="the grade the scorecard gave (before adjustment)")
    grade_by_score: str | None = None
    knocked_out: list[str] = []
    ledger_overdue_loans: list[str] = Field(default=[], description="the household's loans at this institution "
                                            "past due on the rating date (they make it currently overdue)")
    reasons: list[str] = []
    points: list[IndicatorPoints] = []
    figures: dict[str, Any] = {}
    village_averages: dict[str, Any] = {}
    is_credit_household: bool | None = None
    proposed_limit: Decimal | None = None
    line_id: str | None = None
    existing_line_id: str | None = Field(default=None, description="the household's line from another campaign "
                                         "(proposed or active: it owns the household's one line slot): no second "
                                         "line is proposed")
    ineligible_reason: str | None = None
    binding_constraint: str | None = None
    challenger: dict[str, Any] | None = None
    head_name: str | None = None
    head_id_masked: str | None = None
    rated_on: str | None = None
    valid_from: str | None = None
    valid_to: str | None = None
    adjusted_by: str | None = None
    adjustment_reason: str | None = None
    adjustments: list[dict[str, Any]] = []
    approved_by: str | None = None
    approved_at: str | None = None
    approval_basis: str | None = None
    withdrawn_reason: str | None = None
    expired_reason: str | None = None
    version: int


class RatingSummary(_Out):
    rating_id: str
    household_id: str
    status: str
    score: Decimal
    grade: str
    auto_grade: str | None = None
    knocked_out: list[str] = []
    reasons: list[str] = []
    is_credit_household: bool | None = None
    proposed_limit: Decimal | None = None
    line_id: str | None = None
    head_name: str | None = None
    challenger_score: Decimal | None = None
    version: int


class RatingPage(_Out):
    items: list[RatingSummary]
    cursor: NextCursor = None


class RatingList(_Out):
    items: list[Rating]


class PageQuery(RequestModel):
    limit: int = Field(default=100, ge=1, le=500)
    cursor: PageCursor = None


class Adjust(RequestModel):
    target_grade: str = Field(pattern=GRADE_PATTERN, description="at most one grade from the automatic grade")
    reason: text(min_length=4, max_length=1000, multiline=True)
    version: int | None = Field(default=None, description="the rating's version you saw (optimistic locking)")


class Approve(RequestModel):
    comment: text(max_length=1000, multiline=True) | None = None
    version: int | None = None


class SubLine(_Out):
    product_code: str
    limit: Decimal
    available: Decimal


class CreditLine(_Out):
    line_id: str
    household_id: str
    village_code: str | None = None
    campaign_id: str | None = None
    rating_id: str | None = None
    status: str = Field(description="proposed | active | frozen | expired | withdrawn")
    grade: str | None = None
    limit: Decimal
    available: Decimal
    currency: str = "CNY"
    revolving: bool = True
    valid_from: str | None = None
    valid_to: str | None = None
    binding_constraint: str | None = None
    sub_lines: list[SubLine] = []
    withdrawn_reason: str | None = None
    frozen_reason: str | None = None
    version: int


class CreditLineList(_Out):
    items: list[CreditLine]


class Evaluation(_Out):
    village_code: str | None = None
    village_name: str | None = None
    township_code: str | None = None
    township_name: str | None = None
    campaign_id: str
    evaluated_at: str
    facts: dict[str, Any] | None = None
    credit_household_ratio: Decimal | None = None
    borrowers_without_arrears_ratio: Decimal | None = None
    npl_ratio: Decimal | None = None
    is_credit_village: bool | None = None
    village_count: int | None = None
    credit_village_count: int | None = None
    credit_village_ratio: Decimal | None = None
    is_credit_township: bool | None = None
    failed: list[str] = []
    evaluation_version: str | None = None


class EvaluationList(_Out):
    items: list[Evaluation]


# ------------------------------------------------------------------------------------------ helpers

def _campaign_view(item: dict[str, Any], *, with_failures: bool = True, created: bool | None = None) -> Campaign:
    from chalicelib.rating.data import campaigns as repo
    from chalicelib.rating.service import campaign as svc

    failures = repo.failures(item["campaign_id"]) if with_failures else []
    total = int(item.get("total") or 0)
    done = int(item.get("rated") or 0) + len(failures)
    view = {**item, "failed": len(failures), "failures": failures[:200],
            "progress": (Decimal(done) / Decimal(total)).quantize(Decimal("0.0001")) if total else Decimal(0),
            "by_grade": {g: int(item.get(f"grade_{g}") or 0) for g in svc.GRADES},
            "notice": {"notice_from": item.get("notice_from"), "notice_until": item.get("notice_until"),
                       "rows": item.get("notice_rows"), "revision": item.get("notice_revision")}
            if item.get("notice_keys") else None,
            "execution_status": svc.execution_status(item) if with_failures else None, "created": created}
    view.pop("task_token", None)
    return Campaign.model_validate(view)


# ------------------------------------------------------------------------------------------ campaigns

@api.route("/campaigns", "POST", summary="Start the whole-village credit campaign of a village (idempotent per "
           "village and period; one open campaign per village)", permission="campaign:run", body=StartCampaign,
           response=Campaign, status=202,
           responses={200: "the campaign of this village and period exists already: returned as it is"},
           errors=("VILLAGE_NOT_FOUND", "VILLAGE_IS_RESIDENTS_COMMITTEE", "CAMPAIGN_RUNNING", "CHALLENGER_NOT_FOUND",
                   "CHALLENGER_FEATURES_UNAVAILABLE"))
def start_campaign(req: Request):
    from chalicelib.rating.service import campaign as svc

    b = req.body
    item, created = svc.start_campaign(req.principal, b.village_code, period=b.period,
                                       challenger=b.challenger.model_dump() if b.challenger else None)
    return (202 if created else 200), _campaign_view(item, created=created)


@api.route("/campaigns/{campaign_id}", "GET", summary="A campaign's progress, notice, evaluation and failures",
           permission="campaign:read", response=Campaign, errors=("CAMPAIGN_NOT_FOUND",))
def get_campaign(req: Request, campaign_id: str) -> Campaign:
    from chalicelib.rating.data import campaigns as repo

    return _campaign_view(repo.get(req.principal, campaign_id))


@api.route("/villages/{village_code}/campaigns", "GET", summary="A village's campaigns", permission="campaign:read",
           response=CampaignList)
def village_campaigns(req: Request, village_code: str) -> CampaignList:
    from chalicelib.rating.data import campaigns as repo

    return CampaignList(items=[_campaign_view(i, with_failures=False) for i in repo.for_village(req.principal,
                                                                                                village_code)])


@api.route("/campaigns/{campaign_id}/notice", "GET", summary="Download link of the public notice list (CSV or PDF)",
           permission="campaign:read", query=NoticeQuery, response=NoticeLink,
           responses={409: "NOTICE_NOT_READY: the notice is not generated yet"},
           errors=("CAMPAIGN_NOT_FOUND", "NOTICE_NOT_READY"))
def campaign_notice(req: Request, campaign_id: str) -> NoticeLink:
    from chalicelib.rating.service import campaign as svc

    return NoticeLink.model_validate(svc.notice_url(req.principal, campaign_id, req.query.format))


@api.route("/campaigns/{campaign_id}/confirm", "POST", summary="The institution confirms the posted list: the "
           "lines are activated (except upheld objections)", permission="campaign:confirm", body=Confirm,
           response=Campaign, errors=("CAMPAIGN_NOT_FOUND", "CAMPAIGN_NOT_AWAITING_CONFIRMATION", "OBJECTIONS_OPEN",
                                      "ADJUSTMENTS_PENDING", "SEPARATION_OF_DUTIES", "CONFIRMATION_WINDOW_CLOSED"))
def confirm_campaign(req: Request, campaign_id: str) -> Campaign:
    from chalicelib.rating.service import campaign as svc

    return _campaign_view(svc.confirm(req.principal, campaign_id, req.body.comment), with_failures=False)


@api.route("/campaigns/{campaign_id}/cancel", "POST", summary="Abandon a campaign that is not confirmed (running, "
           "awaiting confirmation or failed): its proposals are withdrawn, its households and its village freed",
           permission="campaign:cancel", body=CancelCampaign, response=Campaign,
           responses={409: "CAMPAIGN_CONFIRMED: confirmed campaigns are not cancelled; CAMPAIGN_CLOSED: completed or "
                           "expired"},
           errors=("CAMPAIGN_NOT_FOUND", "CAMPAIGN_CONFIRMED", "CAMPAIGN_CLOSED"))
def cancel_campaign(req: Request, campaign_id: str) -> Campaign:
    from chalicelib.rating.service import campaign as svc

    return _campaign_view(svc.cancel(req.principal, campaign_id, req.body.reason))


@api.route("/campaigns/{campaign_id}/objections", "POST", summary="Record an objection to a household on the posted "
           "list", permission="campaign:run", body=NewObjection, response=Objection, status=201,
           errors=("CAMPAIGN_NOT_FOUND", "NOTICE_NOT_POSTED", "NOTICE_PERIOD_OVER", "HOUSEHOLD_NOT_IN_CAMPAIGN"))
def record_objection(req: Request, campaign_id: str) -> Objection:
    from chalicelib.rating.service import rating_review

    b = req.body
    return Objection.model_validate(rating_review.record_objection(
        req.principal, campaign_id, household_id=b.household_id, raised_by=b.raised_by, reason=b.reason))


@api.route("/campaigns/{campaign_id}/objections", "GET", summary="Objections of a campaign",
           permission="campaign:read", response=ObjectionList, errors=("CAMPAIGN_NOT_FOUND",))
def list_objections(req: Request, campaign_id: str) -> ObjectionList:
    from chalicelib.rating.data import campaigns as repo

    repo.get(req.principal, campaign_id)
    return ObjectionList(items=[Objection.model_validate(o) for o in repo.objections(campaign_id)])


@api.route("/campaigns/{campaign_id}/objections/{objection_id}/decision", "POST", summary="Uphold or dismiss an "
           "objection (upheld: the household's rating and line are withdrawn)", permission="campaign:confirm",
           body=ObjectionDecision, response=Objection,
           errors=("CAMPAIGN_NOT_FOUND", "OBJECTION_NOT_FOUND", "OBJECTION_DECIDED", "CAMPAIGN_ACTIVATING",
                   "SEPARATION_OF_DUTIES"))
def decide_objection(req: Request, campaign_id: str, objection_id: str) -> Objection:
    from chalicelib.rating.service import rating_review

    return Objection.model_validate(rating_review.decide_objection(
        req.principal, campaign_id, objection_id, decision=req.body.decision, reason=req.body.reason))


@api.route("/campaigns/{campaign_id}/ratings", "GET", summary="The ratings of a campaign (paged)",
           permission="rating:read", query=PageQuery, response=RatingPage, errors=("INVALID_CURSOR",))
def campaign_ratings(req: Request, campaign_id: str) -> RatingPage:
    from chalicelib.rating.data import ratings as repo

    page = repo.page_for_campaign(req.principal, campaign_id, limit=req.query.limit, cursor=req.query.cursor)
    items = [RatingSummary.model_validate({**i, "challenger_score": (i.get("challenger") or {}).get("score")})
             for i in page.items]
    return RatingPage(items=items, cursor=page.cursor)


# ------------------------------------------------------------------------------------------ ratings

@api.route("/ratings/{rating_id}", "GET", summary="One rating with its points, reasons and figures",
           permission="rating:read", response=Rating, errors=("RATING_NOT_FOUND",))
def get_rating(req: Request, rating_id: str) -> Rating:
    from chalicelib.rating.data import ratings as repo

    return Rating.model_validate(repo.get(req.principal, rating_id))


@api.route("/households/{household_id}/rating", "GET", summary="A household's current (newest) rating",
           permission="rating:read", response=Rating, errors=("RATING_NOT_FOUND",))
def household_rating(req: Request, household_id: str) -> Rating:
    from chalicelib.rating.data import ratings as repo

    return Rating.model_validate(repo.current_for_household(req.principal, household_id))


@api.route("/households/{household_id}/ratings", "GET", summary="A household's ratings, oldest first",
           permission="rating:read", response=RatingList)
def household_ratings(req: Request, household_id: str) -> RatingList:
    from chalicelib.rating.data import ratings as repo

    return RatingList(items=[Rating.model_validate(i) for i in repo.history_for_household(req.principal,
                                                                                          household_id)])


@api.route("/ratings/{rating_id}/adjust", "POST", summary="Adjust a rating by at most one grade, with a reason",
           permission="rating:adjust", body=Adjust, response=Rating,
           errors=("RATING_NOT_FOUND", "RATING_ADJUST_TOO_FAR", "RATING_ADJUST_OUT_OF_RANGE", "RATING_KNOCKED_OUT",
                   "UNKNOWN_GRADE", "RATING_NOT_ADJUSTABLE", "CAMPAIGN_ALREADY_CONFIRMED", "VERSION_CONFLICT",
                   "CREDIT_LINE_STATE_CONFLICT"))
def adjust_rating(req: Request, rating_id: str) -> Rating:
    from chalicelib.rating.service import rating_review

    b = req.body
    return Rating.model_validate(rating_review.adjust(req.principal, rating_id, target_grade=b.target_grade,
                                                      reason=b.reason, expected_version=b.version))


@api.route("/ratings/{rating_id}/approve", "POST", summary="Approve a rating (a different person from the adjuster "
           "and the campaign's account manager)", permission="rating:approve", body=Approve, response=Rating,
           errors=("RATING_NOT_FOUND", "RATING_NOT_APPROVABLE", "SEPARATION_OF_DUTIES", "VERSION_CONFLICT"))
def approve_rating(req: Request, rating_id: str) -> Rating:
    from chalicelib.rating.service import rating_review

    return Rating.model_validate(rating_review.approve(req.principal, rating_id, comment=req.body.comment,
                                                       expected_version=req.body.version))


# ------------------------------------------------------------------------------------------ credit lines

@api.route("/lines/{line_id}", "GET", summary="A credit line (master line with product sub-lines)",
           permission="line:read", response=CreditLine, errors=("CREDIT_LINE_NOT_FOUND",))
def get_line(req: Request, line_id: str) -> CreditLine:
    from chalicelib.rating.data import credit_lines as repo

    return CreditLine.model_validate(repo.get(req.principal, line_id))


@api.route("/households/{household_id}/lines", "GET", summary="A household's credit lines",
           permission="line:read", response=CreditLineList)
def household_lines(req: Request, household_id: str) -> CreditLineList:
    from chalicelib.rating.data import credit_lines as repo

    return CreditLineList(items=[CreditLine.model_validate(i) for i in repo.for_household(req.principal,
                                                                                          household_id)])


# ------------------------------------------------------------------------------------------ evaluations

@api.route("/villages/{village_code}/evaluations", "GET", summary="Credit village evaluations of a village (history)",
           permission="campaign:read", response=EvaluationList)
def village_evaluations(req: Request, village_code: str) -> EvaluationList:
    from chalicelib.rating.data import campaigns as repo

    return EvaluationList(items=[Evaluation.model_validate(i) for i in repo.village_evaluations(req.principal,
                                                                                                village_code)])


@api.route("/townships/{township_code}/evaluations", "GET", summary="Credit township evaluations (history)",
           permission="campaign:read", response=EvaluationList)
def township_evaluations(req: Request, township_code: str) -> EvaluationList:
    from chalicelib.rating.data import campaigns as repo

    return EvaluationList(items=[Evaluation.model_validate(i) for i in repo.township_evaluations(req.principal,
                                                                                                 township_code)])
