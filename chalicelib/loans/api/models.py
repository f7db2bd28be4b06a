"""Request and answer models of the loans API (business management): products, drawdowns, face verification,
approval tasks, contracts, reconciliation, loans and repayments. The routes are in
:mod:`chalicelib.loans.api.routes`."""
from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.platform.http.routing import NextCursor, PageCursor
from chalicelib.platform.inputs import Code, Id, IsoDate, PositiveMoney, RequestModel, quantity
from chalicelib.platform.text import text

Money = Decimal

if TYPE_CHECKING:  # checkers see the plain type; at run time each is the text rule with its limits (platform.text)
    PayeeName: TypeAlias = str
    BankName: TypeAlias = str
    GuarantorName: TypeAlias = str
    CertificateNo: TypeAlias = str
    Comment: TypeAlias = str
    Evidence: TypeAlias = str
    Reference: TypeAlias = str
    AreaMu: TypeAlias = Decimal
else:
    PayeeName = text(min_length=1, max_length=100)
    BankName = text(min_length=2, max_length=100)
    GuarantorName = text(min_length=1, max_length=50)
    CertificateNo = text(min_length=4, max_length=64)
    Comment = text(min_length=2, max_length=1000, multiline=True)
    Evidence = text(min_length=4, max_length=1000, multiline=True)
    Reference = text(min_length=2, max_length=128)
    AreaMu = quantity(maximum=100000, positive=True, description="亩")


class _Out(BaseModel):
    model_config = ConfigDict(extra="ignore")


# ------------------------------------------------------------------------------------------------ models
class ProductOut(_Out):
    product_code: str
    name: str
    kind: str = Field(description="credit | guaranteed | land_mortgage")
    purposes: list[str]
    amount: dict[str, Money]
    term_months: dict[str, int]
    pricing: dict[str, Any]
    repayment_methods: list[str]
    interest_periods: list[str]
    day_count: str
    entrusted_payment_threshold: Money
    penalty_rate_uplift: Money
    grace_days: int
    age_limits: dict[str, int]
    prepayment: dict[str, Any]
    repayment_allocation_order: list[str]
    revolving: bool


class ProductList(_Out):
    version: int = Field(description="version of the products parameter in force")
    items: list[ProductOut]


class Payee(RequestModel):
    name: PayeeName = Field(description="收款人 (supplier) for entrusted payment")
    account_no: str = Field(pattern=r"^[0-9]{8,32}$")
    bank_name: BankName


class Guarantee(RequestModel):
    form: Literal["natural_person_guarantee", "joint_guarantee_group"]
    guarantor_name: GuarantorName
    guarantor_household_id: Id | None = None


class Collateral(RequestModel):
    certificate_no: CertificateNo = Field(description="土地经营权证 number")
    area_mu: AreaMu
    appraised_value: PositiveMoney


class DrawdownIn(RequestModel):
    line_id: Id
    product_code: Id
    amount: PositiveMoney
    term_months: int = Field(ge=1, le=360)
    repayment_method: Code = Field(description="one of the product's repayment_methods")
    interest_period: Literal["monthly", "quarterly"] | None = Field(default=None, description="default monthly")
    purpose: Code = Field(description="one of the product's purposes, e.g. planting")
    first_due_date: IsoDate | None = Field(default=None, description="a fixed repayment day: the first period is "
                                        "broken (interest by actual days); within two periods of the drawdown")
    payment_mode: Literal["self", "entrusted"] = "self"
    payee: Payee | None = None
    guarantee: Guarantee | None = None
    collateral: Collateral | None = None
    face_verification_id: Id | None = Field(default=None, description="required for self-service (farmer) drawdowns")
    consent: bool = Field(description="the borrower accepts the contract terms and its e-signature")
    disburse_immediately: bool = Field(default=True, description="false: disburse later with POST .../disburse")


class HistoryEntry(_Out):
    status: str
    at: str
    actor_id: str | None = None
    note: str | None = None


class DrawdownOut(_Out):
    drawdown_id: str
    household_id: str
    line_id: str
    product_code: str
    amount: Money
    term_months: int
    repayment_method: str
    interest_period: str | None = None
    purpose: str
    payment_mode: str
    channel: str
    status: str
    requested_on: str
    pricing: dict[str, Any] | None = None
    preview: dict[str, Any] | None = None
    decision: dict[str, Any] | None = None
    parameter_versions: dict[str, int] | None = None
    investigated_by: str | None = None
    reviewed_by: str | None = None
    approved_by: str | None = None
    loan_id: str | None = None
    failure: dict[str, Any] | None = None
    disbursed_on: str | None = None
    reconciliation: dict[str, Any] | None = Field(
        default=None, description="manual reconciliation: the open or last proposal, or how the case was settled "
                                  "(basis core | proposal, the core's answer, who settled it)")
    history: list[HistoryEntry] | None = None
    version: int


class DrawdownPage(_Out):
    items: list[DrawdownOut]
    cursor: NextCursor = None


_HOUSEHOLD_DEFAULT = "the household; a farmer may omit it (their own household), staff must name it"


class HouseholdQuery(RequestModel):
    household_id: Id | None = Field(default=None, description=_HOUSEHOLD_DEFAULT)
    limit: int = Field(default=50, ge=1, le=200)
    cursor: PageCursor = None


class FaceIn(RequestModel):
    image: str = Field(min_length=4, max_length=2_000_000, pattern=r"^[A-Za-z0-9+/]+={0,2}$",
                       description="live photo, base64 (RFC 4648 standard alphabet, one line)")


class FaceOut(_Out):
    face_verification_id: str = Field(description="pass it as the drawdown's face_verification_id")
    passed: bool
    score: str
    expires_at: str


class TaskOut(_Out):
    task_id: str
    drawdown_id: str
    stage: str = Field(description="investigation | review | approval")
    status: str
    amount: Money
    product_code: str
    borrower_household_id: str
    scope_path: str
    escalations: int
    opened_at: str | None = None
    deadline: str | None = None
    decided_by: str | None = None
    outcome: str | None = None
    comment: str | None = None


class TaskList(_Out):
    items: list[TaskOut]


class DecisionIn(RequestModel):
    outcome: Literal["approve", "reject"]
    comment: Comment


class Signature(_Out):
    signer_role: str
    signer_id: str
    algorithm: str
    key_id: str
    signature: str
    signed_at: str
    valid: bool | None = None


class ContractOut(_Out):
    contract_no: str
    template_id: str | None = None
    template_version: int
    sha256: str
    size: int
    signatures: list[Signature]
    signed_at: str
    document_intact: bool | None = None
    download_url: str


class InstallmentOut(_Out):
    number: int
    period_start: str
    due_date: str
    principal: Money
    interest: Money
    payment: Money
    paid_principal: Money
    paid_interest: Money
    paid_penalty: Money
    penalty_accrued: Money
    status: str
    schedule_version: int


class RepaymentOut(_Out):
    repayment_id: str
    at: str
    value_date: str
    kind: str
    amount: Money
    applied: dict[str, Money]
    outstanding_after: Money
    line_restored: dict[str, Money] | None = None
    loan_status: str | None = None


class LoanOut(_Out):
    loan_id: str
    drawdown_id: str
    household_id: str
    line_id: str
    product_code: str
    status: str
    principal: Money
    outstanding_principal: Money
    annual_rate: Money
    method: str
    repayment_method: str
    day_count: str
    start_date: str
    maturity_date: str
    next_due_date: str | None = None
    closed_on: str | None = None
    schedule_version: int
    allocation_order: list[str]
    prepayment_mode: str
    installments: list[InstallmentOut] | None = None
    repayments: list[RepaymentOut] | None = None
    quote: dict[str, Any] | None = None


class LoanList(_Out):
    items: list[LoanOut]


class RepaymentIn(RequestModel):
    kind: Literal["due", "prepay_partial", "prepay_full"] = Field(
        description="due: pay what is due (amount ≤ due); prepay_partial: prepay principal_amount (plus the "
                    "interest accrued to today); prepay_full: pay off the loan (amount = the quote's payoff)")
    amount: PositiveMoney | None = None
    principal_amount: PositiveMoney | None = None


class EvidenceIn(RequestModel):
    checked: Evidence = Field(
        description="what was checked and what it showed, e.g. the core system's journal of the disbursing account "
                    "for the day, the payee bank's confirmation")
    reference: Reference = Field(
        description="reference of the document that shows it (journal or statement number, confirmation number, "
                    "ticket)")


class ReconciliationIn(RequestModel):
    posted: bool = Field(description="what you found: true, the transfer was posted (the loan opens); false, it "
                                     "was not (the line is released)")
    core_ref: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._/:-]{1,64}$",
                                 description="the core system's reference of the posting: required when posted, "
                                             "absent otherwise")
    comment: Comment
    evidence: EvidenceIn | None = Field(default=None, description="required when the core system cannot say "
                                                                  "(the answer then becomes a proposal)")


class CoreTransferOut(_Out):
    status: Literal["posted", "not_posted", "unknown"] = Field(description="the core system's answer to the status "
                                                                           "query of the transfer")
    core_ref: str | None = None
    amount: Money | None = Field(default=None, description="amount posted, CNY")
    checked_at: str | None = None


class ReconciliationProposalOut(_Out):
    proposal_id: str
    drawdown_id: str
    status: Literal["open", "approved", "rejected", "superseded"]
    posted: bool
    core_ref: str | None = None
    comment: str
    evidence: dict[str, str]
    core: CoreTransferOut = Field(description="the core system's answer when it was proposed")
    proposed_by: str
    proposed_at: str
    decided_by: str | None = None
    decided_at: str | None = None
    decision_comment: str | None = None


class ReconciliationOut(_Out):
    outcome: Literal["booked", "released", "proposed", "rejected"] = Field(
        description="booked: the loan account is open; released: the amount is back on the line; proposed: waiting "
                    "for a second person; rejected: the proposal is rejected, the case waits for a new one")
    drawdown: DrawdownOut
    core: CoreTransferOut | None = Field(default=None, description="the core system's answer now (absent for a "
                                                                   "rejection, which asks nothing)")
    proposal: ReconciliationProposalOut | None = None


class LoanQuery(RequestModel):
    household_id: Id | None = Field(default=None, description=_HOUSEHOLD_DEFAULT)
