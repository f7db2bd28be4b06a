"""Business management (业务管理): products, drawdowns, face verification, approval inbox, contracts,
disbursement, loans and repayments."""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.platform.http.routing import Api, NextCursor, PageCursor, Request
from chalicelib.platform.inputs import Code, Id, IsoDate, PositiveMoney, RequestModel, quantity
from chalicelib.platform.text import text

api = Api("loans", tag="business management")

Money = Decimal


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
    name: text(min_length=1, max_length=100) = Field(description="收款人 (supplier) for entrusted payment")
    account_no: str = Field(pattern=r"^[0-9]{8,32}$")
    bank_name: text(min_length=2, max_length=100)


class Guarantee(RequestModel):
    form: Literal["natural_person_guarantee", "joint_guarantee_group"]
    guarantor_name: text(min_length=1, max_length=50)
    guarantor_household_id: Id | None = None


class Collateral(RequestModel):
    certificate_no: text(min_length=4, max_length=64) = Field(description="土地经营权证 number")
    area_mu: quantity(maximum=100000, positive=True, description="亩")
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


def _household_of(req: Request) -> str:
    """The ``household_id`` a listing is for: the query's, else the calling farmer's own household. Raises
    ValidationFailed ``REQUEST_VALIDATION`` (field ``household_id``, ``FIELD_REQUIRED``) for staff without it."""
    from chalicelib.platform.errors import FieldError, ValidationFailed

    household_id = req.query.household_id or req.principal.household_id
    if not household_id:
        raise ValidationFailed("the query is not valid", code="REQUEST_VALIDATION", fields=[FieldError(
            "household_id", "FIELD_REQUIRED", "household_id is required (only a farmer's own household is implied)")])
    return household_id


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
    comment: text(min_length=2, max_length=1000, multiline=True)


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


# ------------------------------------------------------------------------------------------------ routes
@api.route("/products", "GET", summary="Loan products in force (lending terms)", permission="loan:read",
           response=ProductList)
def list_products(req: Request) -> ProductList:
    from chalicelib.loans.service import config

    products, version = config.document(config.PRODUCTS)
    codes = set(products.catalogue)
    return ProductList(version=version, items=[ProductOut.model_validate(p) for p in products.document["products"]
                                               if p["product_code"] in codes])


@api.route("/face-verifications", "POST", summary="Face verification of the borrower (self-service)",
           permission="loan:apply", body=FaceIn, response=FaceOut, status=201, errors=("IMAGE_INVALID",))
def create_face_verification(req: Request) -> FaceOut:
    from chalicelib.loans.service import drawdowns

    return FaceOut.model_validate(drawdowns.verify_face(req.principal, req.body.image))


@api.route("/drawdowns", "POST", summary="Draw on a credit line (用信申请); decided by rules or people",
           permission="loan:apply", body=DrawdownIn, response=DrawdownOut, status=202, idempotent=True,
           errors=("CREDIT_LINE_NOT_FOUND", "PRODUCT_NOT_FOUND", "HOUSEHOLD_NOT_FOUND", "DRAWDOWN_INVALID",
                   "MASTER_LINE_EXCEEDED", "SUB_LINE_EXCEEDED", "LINE_NOT_ACTIVE", "LINE_NOT_VALID_TODAY",
                   "SUB_LINE_MISSING", "TERM_BEYOND_LINE_VALIDITY", "FACE_VERIFICATION_REQUIRED",
                   "FACE_VERIFICATION_INVALID", "CONSENT_REQUIRED", "LPR_TABLE_STALE"))
def create_drawdown(req: Request) -> DrawdownOut:
    from chalicelib.loans.service import drawdowns

    return DrawdownOut.model_validate(drawdowns.request(req.principal, req.body))


@api.route("/drawdowns", "GET", summary="A household's drawdowns, newest first", permission="loan:read",
           query=HouseholdQuery, response=DrawdownPage, errors=("INVALID_CURSOR", "REQUEST_VALIDATION"))
def list_drawdowns(req: Request) -> DrawdownPage:
    from chalicelib.loans.data import drawdowns

    page = drawdowns.list_for_household(req.principal, _household_of(req), limit=req.query.limit,
                                        cursor=req.query.cursor)
    return DrawdownPage(items=[DrawdownOut.model_validate(i) for i in page.items], cursor=page.cursor)


@api.route("/drawdowns/{drawdown_id}", "GET", summary="A drawdown with its decision and every status change",
           permission="loan:read", response=DrawdownOut, errors=("DRAWDOWN_NOT_FOUND",))
def get_drawdown(req: Request, drawdown_id: str) -> DrawdownOut:
    from chalicelib.loans.service import drawdowns

    return DrawdownOut.model_validate(drawdowns.view(req.principal, drawdown_id))


@api.route("/drawdowns/{drawdown_id}/disburse", "POST", summary="Disburse a signed drawdown (exactly once)",
           permission="loan:apply", response=DrawdownOut, status=202, idempotent=True,
           errors=("DRAWDOWN_NOT_FOUND", "DRAWDOWN_STATUS"))
def disburse_drawdown(req: Request, drawdown_id: str) -> DrawdownOut:
    from chalicelib.loans.service import disbursement

    return DrawdownOut.model_validate(disbursement.start(drawdown_id, req.principal.user_id, req.principal))


class EvidenceIn(RequestModel):
    checked: text(min_length=4, max_length=1000, multiline=True) = Field(
        description="what was checked and what it showed, e.g. the core system's journal of the disbursing account "
                    "for the day, the payee bank's confirmation")
    reference: text(min_length=2, max_length=128) = Field(
        description="reference of the document that shows it (journal or statement number, confirmation number, "
                    "ticket)")


class ReconciliationIn(RequestModel):
    posted: bool = Field(description="what you found: true, the transfer was posted (the loan opens); false, it "
                                     "was not (the line is released)")
    core_ref: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._/:-]{1,64}$",
                                 description="the core system's reference of the posting: required when posted, "
                                             "absent otherwise")
    comment: text(min_length=2, max_length=1000, multiline=True)
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


_CORE_409 = ("RECONCILIATION_CONTRADICTS_CORE: the answer contradicts the core system's (details.core and "
             "details.answer show both; nothing changed); CORE_AMOUNT_MISMATCH: the core posted another amount than "
             "the drawdown's; DRAWDOWN_STATUS: not PENDING_RECONCILIATION; VERSION_CONFLICT: changed concurrently; "
             "IDEMPOTENCY_IN_PROGRESS")


@api.route("/drawdowns/{drawdown_id}/reconciliation", "POST", summary="Reconcile a disbursement whose core-banking "
           "result was unknown: checked against the core system, or proposed for a second person when the core "
           "cannot say", permission="loan:approve", body=ReconciliationIn, response=ReconciliationOut,
           idempotent=True, responses={
               200: "settled from the core system's answer, which agreed with yours (outcome booked or released)",
               202: "the core system cannot say: your answer is stored as a proposal with its evidence (outcome "
                    "proposed); a second person decides it at .../reconciliation/{proposal_id}/decision",
               404: "DRAWDOWN_NOT_FOUND (or out of your scope)",
               409: _CORE_409 + "; RECONCILIATION_PROPOSAL_OPEN: another proposal waits for a decision",
               422: "REQUEST_VALIDATION; CORE_REF_REQUIRED / CORE_REF_UNEXPECTED; EVIDENCE_REQUIRED (the core cannot "
                    "say); IDEMPOTENCY_KEY_REUSED"},
           errors=("DRAWDOWN_NOT_FOUND", "DRAWDOWN_STATUS", "RECONCILIATION_CONTRADICTS_CORE", "CORE_AMOUNT_MISMATCH",
                   "CORE_REF_REQUIRED", "CORE_REF_UNEXPECTED", "EVIDENCE_REQUIRED", "RECONCILIATION_PROPOSAL_OPEN",
                   "VERSION_CONFLICT"))
def reconcile_drawdown(req: Request, drawdown_id: str) -> tuple[int, ReconciliationOut]:
    from chalicelib.loans.service import reconciliation

    b = req.body
    result = reconciliation.settle(req.principal, drawdown_id, posted=b.posted, core_ref=b.core_ref, comment=b.comment,
                                   evidence=b.evidence.model_dump() if b.evidence else None)
    return (202 if result["outcome"] == "proposed" else 200), ReconciliationOut.model_validate(result)


@api.route("/drawdowns/{drawdown_id}/reconciliation/{proposal_id}/decision", "POST",
           summary="Approve or reject a reconciliation proposal (a second person: maker-checker)",
           permission="loan:approve", body=DecisionIn, response=ReconciliationOut, idempotent=True, responses={
               200: "approve: settled (outcome booked or released; by the core system's answer if it has one now, "
                    "else by the proposal); reject: the proposal is rejected and the case waits for a new one",
               403: "PERMISSION_DENIED; SEPARATION_OF_DUTIES: the proposer cannot decide their own proposal",
               404: "DRAWDOWN_NOT_FOUND, RECONCILIATION_PROPOSAL_NOT_FOUND (or out of your scope)",
               409: _CORE_409 + "; RECONCILIATION_PROPOSAL_NOT_OPEN: decided already (also the loser of two "
                                 "concurrent decisions)"},
           errors=("DRAWDOWN_NOT_FOUND", "RECONCILIATION_PROPOSAL_NOT_FOUND", "SEPARATION_OF_DUTIES",
                   "RECONCILIATION_PROPOSAL_NOT_OPEN", "DRAWDOWN_STATUS", "RECONCILIATION_CONTRADICTS_CORE",
                   "CORE_AMOUNT_MISMATCH", "VERSION_CONFLICT"))
def decide_reconciliation(req: Request, drawdown_id: str, proposal_id: str) -> ReconciliationOut:
    from chalicelib.loans.service import reconciliation

    return ReconciliationOut.model_validate(reconciliation.decide(
        req.principal, drawdown_id, proposal_id, outcome=req.body.outcome, comment=req.body.comment))


@api.route("/drawdowns/{drawdown_id}/contract", "GET", summary="The signed contract: hash, signatures verified, "
           "download link", permission="loan:read", response=ContractOut,
           errors=("DRAWDOWN_NOT_FOUND", "CONTRACT_NOT_FOUND"))
def get_contract(req: Request, drawdown_id: str) -> ContractOut:
    from chalicelib.loans.service import contracts

    return ContractOut.model_validate(contracts.view(req.principal, drawdown_id))


@api.route("/tasks", "GET", summary="My tasks: approval steps I may decide now", permission="task:decide",
           response=TaskList)
def my_tasks(req: Request) -> TaskList:
    from chalicelib.loans.service import approval

    return TaskList(items=[TaskOut.model_validate(approval.task_view(t)) for t in approval.my_tasks(req.principal)])


@api.route("/tasks/{task_id}", "GET", summary="One approval task", permission="task:decide", response=TaskOut,
           errors=("TASK_NOT_FOUND",))
def get_task(req: Request, task_id: str) -> TaskOut:
    from chalicelib.loans.service import approval

    return TaskOut.model_validate(approval.task_view(approval.get_task(req.principal, task_id)))


@api.route("/tasks/{task_id}/decision", "POST", summary="Decide an approval step, with a comment",
           permission="task:decide", body=DecisionIn, response=TaskOut,
           errors=("TASK_NOT_FOUND", "TASK_NOT_OPEN", "AUTHORITY_EXCEEDED", "SEPARATION_OF_DUTIES",
                   "PERMISSION_DENIED", "VERSION_CONFLICT"))
def decide_task(req: Request, task_id: str) -> TaskOut:
    from chalicelib.loans.service import approval

    task = approval.decide(req.principal, task_id, req.body.outcome, req.body.comment)
    return TaskOut.model_validate(approval.task_view(task))


class LoanQuery(RequestModel):
    household_id: Id | None = Field(default=None, description=_HOUSEHOLD_DEFAULT)


@api.route("/loans", "GET", summary="A household's loans", permission="loan:read", query=LoanQuery,
           response=LoanList, errors=("REQUEST_VALIDATION",))
def list_loans(req: Request) -> LoanList:
    from chalicelib.loans.data import loans

    return LoanList(items=[LoanOut.model_validate(i) for i in loans.list_for_household(req.principal,
                                                                                       _household_of(req))])


@api.route("/loans/{loan_id}", "GET", summary="A loan with its schedule, repayments and today's quote",
           permission="loan:read", response=LoanOut, errors=("LOAN_NOT_FOUND",))
def get_loan(req: Request, loan_id: str) -> LoanOut:
    from chalicelib.loans.service import repayments

    return LoanOut.model_validate(repayments.loan_view(req.principal, loan_id))


@api.route("/loans/{loan_id}/repayments", "POST", summary="Repay: what is due, or early (partial or full)",
           permission="loan:apply", body=RepaymentIn, response=RepaymentOut, status=201, idempotent=True,
           errors=("LOAN_NOT_FOUND", "LOAN_CLOSED", "NOTHING_DUE", "REPAYMENT_EXCEEDS_DUE",
                   "PAYOFF_AMOUNT_MISMATCH", "DUES_OUTSTANDING", "PREPAYMENT_EXCEEDS_BALANCE", "AMOUNT_INVALID",
                   "LOAN_BUSY"))
def create_repayment(req: Request, loan_id: str) -> RepaymentOut:
    from chalicelib.loans.service import repayments

    b = req.body
    return RepaymentOut.model_validate(repayments.repay(req.principal, loan_id, kind=b.kind, amount=b.amount,
                                                        principal_amount=b.principal_amount))

