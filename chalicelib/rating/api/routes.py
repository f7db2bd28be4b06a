"""Rating management (评级管理) and whole-village credit (整村授信): campaigns, the public notice,
objections, ratings (adjust, approve), credit lines and credit village / township evaluations.

Money and scores are decimal strings in JSON. Farmers see only their own household's rating and
lines; campaigns and evaluations are staff-only. Models: chalicelib.rating.api.models.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from chalicelib.platform.http.routing import Api, Request
from chalicelib.rating.api.models import (
    Adjust,
    Approve,
    Campaign,
    CampaignList,
    CancelCampaign,
    Confirm,
    CreditLine,
    CreditLineList,
    Evaluation,
    EvaluationList,
    NewObjection,
    NoticeLink,
    NoticeQuery,
    Objection,
    ObjectionDecision,
    ObjectionList,
    PageQuery,
    Rating,
    RatingList,
    RatingPage,
    RatingSummary,
    StartCampaign,
)

api = Api("rating", tag="rating management")



# ------------------------------------------------------------------------------------------ helpers

def _campaign_view(item: dict[str, Any], *, with_failures: bool = True, created: bool | None = None) -> Campaign:
    from chalicelib.rating.service import campaign as svc
    from chalicelib.rating.service import queries

    failures = queries.campaign_failures(item["campaign_id"]) if with_failures else []
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
def start_campaign(req: Request) -> tuple[int, Campaign]:
    from chalicelib.rating.service import campaign as svc

    b = req.body
    item, created = svc.start_campaign(req.caller, b.village_code, period=b.period,
                                       challenger=b.challenger.model_dump() if b.challenger else None)
    return (202 if created else 200), _campaign_view(item, created=created)


@api.route("/campaigns/{campaign_id}", "GET", summary="A campaign's progress, notice, evaluation and failures",
           permission="campaign:read", response=Campaign, errors=("CAMPAIGN_NOT_FOUND",))
def get_campaign(req: Request, campaign_id: str) -> Campaign:
    from chalicelib.rating.service import queries

    return _campaign_view(queries.campaign(req.caller, campaign_id))


@api.route("/villages/{village_code}/campaigns", "GET", summary="A village's campaigns", permission="campaign:read",
           response=CampaignList)
def village_campaigns(req: Request, village_code: str) -> CampaignList:
    from chalicelib.rating.service import queries

    return CampaignList(items=[_campaign_view(i, with_failures=False)
                               for i in queries.village_campaigns(req.caller, village_code)])


@api.route("/campaigns/{campaign_id}/notice", "GET", summary="Download link of the public notice list (CSV or PDF)",
           permission="campaign:read", query=NoticeQuery, response=NoticeLink,
           responses={409: "NOTICE_NOT_READY: the notice is not generated yet"},
           errors=("CAMPAIGN_NOT_FOUND", "NOTICE_NOT_READY"))
def campaign_notice(req: Request, campaign_id: str) -> NoticeLink:
    from chalicelib.rating.service import campaign as svc

    return NoticeLink.model_validate(svc.notice_url(req.caller, campaign_id, req.query.format))


@api.route("/campaigns/{campaign_id}/confirm", "POST", summary="The institution confirms the posted list: the "
           "lines are activated (except upheld objections)", permission="campaign:confirm", body=Confirm,
           response=Campaign, errors=("CAMPAIGN_NOT_FOUND", "CAMPAIGN_NOT_AWAITING_CONFIRMATION", "OBJECTIONS_OPEN",
                                      "ADJUSTMENTS_PENDING", "SEPARATION_OF_DUTIES", "CONFIRMATION_WINDOW_CLOSED"))
def confirm_campaign(req: Request, campaign_id: str) -> Campaign:
    from chalicelib.rating.service import campaign as svc

    return _campaign_view(svc.confirm(req.caller, campaign_id, req.body.comment), with_failures=False)


@api.route("/campaigns/{campaign_id}/cancel", "POST", summary="Abandon a campaign that is not confirmed (running, "
           "awaiting confirmation or failed): its proposals are withdrawn, its households and its village freed",
           permission="campaign:cancel", body=CancelCampaign, response=Campaign,
           responses={409: "CAMPAIGN_CONFIRMED: confirmed campaigns are not cancelled; CAMPAIGN_CLOSED: completed or "
                           "expired"},
           errors=("CAMPAIGN_NOT_FOUND", "CAMPAIGN_CONFIRMED", "CAMPAIGN_CLOSED"))
def cancel_campaign(req: Request, campaign_id: str) -> Campaign:
    from chalicelib.rating.service import campaign as svc

    return _campaign_view(svc.cancel(req.caller, campaign_id, req.body.reason))


@api.route("/campaigns/{campaign_id}/objections", "POST", summary="Record an objection to a household on the posted "
           "list", permission="campaign:run", body=NewObjection, response=Objection, status=201,
           errors=("CAMPAIGN_NOT_FOUND", "NOTICE_NOT_POSTED", "NOTICE_PERIOD_OVER", "HOUSEHOLD_NOT_IN_CAMPAIGN"))
def record_objection(req: Request, campaign_id: str) -> Objection:
    from chalicelib.rating.service import rating_review

    b = req.body
    return Objection.model_validate(rating_review.record_objection(
        req.caller, campaign_id, household_id=b.household_id, raised_by=b.raised_by, reason=b.reason))


@api.route("/campaigns/{campaign_id}/objections", "GET", summary="Objections of a campaign",
           permission="campaign:read", response=ObjectionList, errors=("CAMPAIGN_NOT_FOUND",))
def list_objections(req: Request, campaign_id: str) -> ObjectionList:
    from chalicelib.rating.service import queries

    return ObjectionList(items=[Objection.model_validate(o) for o in queries.objections(req.caller, campaign_id)])


@api.route("/campaigns/{campaign_id}/objections/{objection_id}/decision", "POST", summary="Uphold or dismiss an "
           "objection (upheld: the household's rating and line are withdrawn)", permission="campaign:confirm",
           body=ObjectionDecision, response=Objection,
           errors=("CAMPAIGN_NOT_FOUND", "OBJECTION_NOT_FOUND", "OBJECTION_DECIDED", "CAMPAIGN_ACTIVATING",
                   "SEPARATION_OF_DUTIES"))
def decide_objection(req: Request, campaign_id: str, objection_id: str) -> Objection:
    from chalicelib.rating.service import rating_review

    return Objection.model_validate(rating_review.decide_objection(
        req.caller, campaign_id, objection_id, decision=req.body.decision, reason=req.body.reason))


@api.route("/campaigns/{campaign_id}/ratings", "GET", summary="The ratings of a campaign (paged)",
           permission="rating:read", query=PageQuery, response=RatingPage, errors=("INVALID_CURSOR",))
def campaign_ratings(req: Request, campaign_id: str) -> RatingPage:
    from chalicelib.rating.service import queries

    page = queries.campaign_ratings(req.caller, campaign_id, limit=req.query.limit, cursor=req.query.cursor)
    items = [RatingSummary.model_validate({**i, "challenger_score": (i.get("challenger") or {}).get("score")})
             for i in page.items]
    return RatingPage(items=items, cursor=page.cursor)


# ------------------------------------------------------------------------------------------ ratings

@api.route("/ratings/{rating_id}", "GET", summary="One rating with its points, reasons and figures",
           permission="rating:read", response=Rating, errors=("RATING_NOT_FOUND",))
def get_rating(req: Request, rating_id: str) -> Rating:
    from chalicelib.rating.service import queries

    return Rating.model_validate(queries.rating(req.caller, rating_id))


@api.route("/households/{household_id}/rating", "GET", summary="A household's current (newest) rating",
           permission="rating:read", response=Rating, errors=("RATING_NOT_FOUND",))
def household_rating(req: Request, household_id: str) -> Rating:
    from chalicelib.rating.service import queries

    return Rating.model_validate(queries.current_rating(req.caller, household_id))


@api.route("/households/{household_id}/ratings", "GET", summary="A household's ratings, oldest first",
           permission="rating:read", response=RatingList)
def household_ratings(req: Request, household_id: str) -> RatingList:
    from chalicelib.rating.service import queries

    return RatingList(items=[Rating.model_validate(i) for i in queries.rating_history(req.caller, household_id)])


@api.route("/ratings/{rating_id}/adjust", "POST", summary="Adjust a rating by at most one grade, with a reason",
           permission="rating:adjust", body=Adjust, response=Rating,
           errors=("RATING_NOT_FOUND", "RATING_ADJUST_TOO_FAR", "RATING_ADJUST_OUT_OF_RANGE", "RATING_KNOCKED_OUT",
                   "UNKNOWN_GRADE", "RATING_NOT_ADJUSTABLE", "CAMPAIGN_ALREADY_CONFIRMED", "VERSION_CONFLICT",
                   "CREDIT_LINE_STATE_CONFLICT"))
def adjust_rating(req: Request, rating_id: str) -> Rating:
    from chalicelib.rating.service import rating_review

    b = req.body
    return Rating.model_validate(rating_review.adjust(req.caller, rating_id, target_grade=b.target_grade,
                                                      reason=b.reason, expected_version=b.version))


@api.route("/ratings/{rating_id}/approve", "POST", summary="Approve a rating (a different person from the adjuster "
           "and the campaign's account manager)", permission="rating:approve", body=Approve, response=Rating,
           errors=("RATING_NOT_FOUND", "RATING_NOT_APPROVABLE", "SEPARATION_OF_DUTIES", "VERSION_CONFLICT"))
def approve_rating(req: Request, rating_id: str) -> Rating:
    from chalicelib.rating.service import rating_review

    return Rating.model_validate(rating_review.approve(req.caller, rating_id, comment=req.body.comment,
                                                       expected_version=req.body.version))


# ------------------------------------------------------------------------------------------ credit lines

@api.route("/lines/{line_id}", "GET", summary="A credit line (master line with product sub-lines)",
           permission="line:read", response=CreditLine, errors=("CREDIT_LINE_NOT_FOUND",))
def get_line(req: Request, line_id: str) -> CreditLine:
    from chalicelib.rating.service import queries

    return CreditLine.model_validate(queries.line(req.caller, line_id))


@api.route("/households/{household_id}/lines", "GET", summary="A household's credit lines",
           permission="line:read", response=CreditLineList)
def household_lines(req: Request, household_id: str) -> CreditLineList:
    from chalicelib.rating.service import queries

    return CreditLineList(items=[CreditLine.model_validate(i)
                                 for i in queries.household_lines(req.caller, household_id)])


# ------------------------------------------------------------------------------------------ evaluations

@api.route("/villages/{village_code}/evaluations", "GET", summary="Credit village evaluations of a village (history)",
           permission="campaign:read", response=EvaluationList)
def village_evaluations(req: Request, village_code: str) -> EvaluationList:
    from chalicelib.rating.service import queries

    return EvaluationList(items=[Evaluation.model_validate(i)
                                 for i in queries.village_evaluations(req.caller, village_code)])


@api.route("/townships/{township_code}/evaluations", "GET", summary="Credit township evaluations (history)",
           permission="campaign:read", response=EvaluationList)
def township_evaluations(req: Request, township_code: str) -> EvaluationList:
    from chalicelib.rating.service import queries

    return EvaluationList(items=[Evaluation.model_validate(i)
                                 for i in queries.township_evaluations(req.caller, township_code)])
