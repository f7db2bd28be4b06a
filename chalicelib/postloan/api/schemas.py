"""The request and response models of the post-loan routes (:mod:`chalicelib.postloan.api.routes`)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from chalicelib.platform.geo import GeoPoint
from chalicelib.platform.http.routing import NextCursor, PageCursor
from chalicelib.platform.inputs import Id, IsoDate, ObjectKey, RequestModel, VillageCode, parsed_by
from chalicelib.platform.text import text

if TYPE_CHECKING:  # what the type checker sees of the text fields below (text() builds an Annotated str)
    Note = str
    Handling = str
    Findings = str
else:
    Note = text(max_length=500, multiline=True)
    Handling = text(min_length=2, max_length=1000, multiline=True)
    Findings = text(min_length=2, max_length=4000, multiline=True)

Level = Literal["yellow", "orange", "red"]
CategoryName = Literal["pass", "special_mention", "substandard", "doubtful", "loss"]


class _Out(BaseModel):
    model_config = ConfigDict(extra="ignore")


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
    note: Note | None = None


class ResolveIn(RequestModel):
    version: int = Field(ge=1)
    resolution: Handling = Field(description="what was done (处置措施)")


class DismissIn(RequestModel):
    version: int = Field(ge=1)
    reason: Handling = Field(description="why the signal is not a risk")


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
    findings: Findings = Field(description="检查情况")
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
    kind: Literal["first", "periodic"] = Field(  # type: ignore[pydantic-alias]  # the item's name or the API's
        validation_alias=AliasChoices("inspection_type", "kind"),
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
