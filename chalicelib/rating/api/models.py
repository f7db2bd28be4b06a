"""Request and response models of the rating API (chalicelib.rating.api.routes): campaigns, the public notice,
objections, ratings, credit lines and evaluations. Money and scores are decimal strings in JSON."""
from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.platform.http.routing import NextCursor, PageCursor
from chalicelib.platform.inputs import Id, RequestModel, VillageCode
from chalicelib.platform.text import text

if TYPE_CHECKING:  # mypy sees the str these types validate; pydantic gets the text rule (chalicelib.platform.text)
    Comment500: TypeAlias = str
    Comment1000: TypeAlias = str
    Reason1000: TypeAlias = str
    Reason4: TypeAlias = str
    RaisedBy: TypeAlias = str
    CancelReason: TypeAlias = str
else:
    Comment500 = text(max_length=500, multiline=True)
    Comment1000 = text(max_length=1000, multiline=True)
    Reason1000 = text(min_length=2, max_length=1000, multiline=True)
    Reason4 = text(min_length=4, max_length=1000, multiline=True)
    RaisedBy = text(min_length=1, max_length=100)
    CancelReason = text(min_length=2, max_length=500, multiline=True,
                        description="why the campaign is abandoned (kept in the audit trail)")

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
    comment: Comment500 | None = None


class CancelCampaign(RequestModel):
    reason: CancelReason


class NewObjection(RequestModel):
    household_id: Id
    raised_by: RaisedBy = Field(description="who objected (e.g. 村民 name or 村委会)")
    reason: Reason1000


class ObjectionDecision(RequestModel):
    decision: Literal["uphold", "dismiss"]
    reason: Reason1000


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
    reason: Reason4
    version: int | None = Field(default=None, description="the rating's version you saw (optimistic locking)")


class Approve(RequestModel):
    comment: Comment1000 | None = None
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
