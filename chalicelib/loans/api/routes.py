"""Business management (业务管理): products, drawdowns, face verification, approval inbox, contracts,
disbursement, loans and repayments. Request and answer models: :mod:`chalicelib.loans.api.models`."""
from __future__ import annotations

from chalicelib.loans.api.models import (
    ContractOut,
    DecisionIn,
    DrawdownIn,
    DrawdownOut,
    DrawdownPage,
    FaceIn,
    FaceOut,
    HouseholdQuery,
    LoanList,
    LoanOut,
    LoanQuery,
    ProductList,
    ProductOut,
    ReconciliationIn,
    ReconciliationOut,
    RepaymentIn,
    RepaymentOut,
    TaskList,
    TaskOut,
)
from chalicelib.platform.http.routing import Api, Request

api = Api("loans", tag="business management")

_CORE_409 = ("RECONCILIATION_CONTRADICTS_CORE: the answer contradicts the core system's (details.core and "
             "details.answer show both; nothing changed); CORE_AMOUNT_MISMATCH: the core posted another amount than "
             "the drawdown's; DRAWDOWN_STATUS: not PENDING_RECONCILIATION; VERSION_CONFLICT: changed concurrently; "
             "IDEMPOTENCY_IN_PROGRESS")



def _household_of(req: Request) -> str:
    """The ``household_id`` a listing is for: the query's, else the calling farmer's own household. Raises
    ValidationFailed ``REQUEST_VALIDATION`` (field ``household_id``, ``FIELD_REQUIRED``) for staff without it."""
    from chalicelib.platform.errors import FieldError, ValidationFailed

    household_id = req.query.household_id or req.caller.household_id
    if not household_id:
        raise ValidationFailed("the query is not valid", code="REQUEST_VALIDATION", fields=[FieldError(
            "household_id", "FIELD_REQUIRED", "household_id is required (only a farmer's own household is implied)")])
    return household_id


# ------------------------------------------------------------------------------------------------ routes
@api.route("/products", "GET", summary="Loan products in force (lending terms)", permission="loan:read",
           response=ProductList)
def list_products(req: Request) -> ProductList:
    from chalicelib.loans.service import config

    products, version = config.document(config.PRODUCTS)
    codes = set(products.catalogue)
    # version None: nothing stored yet, the shipped default is in force (the document's contract keeps an integer:
    # 0 stands for the shipped default, which no stored version has)
    return ProductList(version=version or 0, items=[ProductOut.model_validate(p) for p in products.document["products"]
                                               if p["product_code"] in codes])


@api.route("/face-verifications", "POST", summary="Face verification of the borrower (self-service)",
           permission="loan:apply", body=FaceIn, response=FaceOut, status=201, errors=("IMAGE_INVALID",))
def create_face_verification(req: Request) -> FaceOut:
    from chalicelib.loans.service import drawdowns

    return FaceOut.model_validate(drawdowns.verify_face(req.caller, req.body.image))


@api.route("/drawdowns", "POST", summary="Draw on a credit line (用信申请); decided by rules or people",
           permission="loan:apply", body=DrawdownIn, response=DrawdownOut, status=202, idempotent=True,
           errors=("CREDIT_LINE_NOT_FOUND", "PRODUCT_NOT_FOUND", "HOUSEHOLD_NOT_FOUND", "DRAWDOWN_INVALID",
                   "MASTER_LINE_EXCEEDED", "SUB_LINE_EXCEEDED", "LINE_NOT_ACTIVE", "LINE_NOT_VALID_TODAY",
                   "SUB_LINE_MISSING", "TERM_BEYOND_LINE_VALIDITY", "FACE_VERIFICATION_REQUIRED",
                   "FACE_VERIFICATION_INVALID", "CONSENT_REQUIRED", "LPR_TABLE_STALE"))
def create_drawdown(req: Request) -> DrawdownOut:
    from chalicelib.loans.service import drawdowns

    return DrawdownOut.model_validate(drawdowns.request(req.caller, req.body))


@api.route("/drawdowns", "GET", summary="A household's drawdowns, newest first", permission="loan:read",
           query=HouseholdQuery, response=DrawdownPage, errors=("INVALID_CURSOR", "REQUEST_VALIDATION"))
def list_drawdowns(req: Request) -> DrawdownPage:
    from chalicelib.loans.service import drawdowns

    page = drawdowns.for_household(req.caller, _household_of(req), limit=req.query.limit, cursor=req.query.cursor)
    return DrawdownPage(items=[DrawdownOut.model_validate(i) for i in page.items], cursor=page.cursor)


@api.route("/drawdowns/{drawdown_id}", "GET", summary="A drawdown with its decision and every status change",
           permission="loan:read", response=DrawdownOut, errors=("DRAWDOWN_NOT_FOUND",))
def get_drawdown(req: Request, drawdown_id: str) -> DrawdownOut:
    from chalicelib.loans.service import drawdowns

    return DrawdownOut.model_validate(drawdowns.view(req.caller, drawdown_id))


@api.route("/drawdowns/{drawdown_id}/disburse", "POST", summary="Disburse a signed drawdown (exactly once)",
           permission="loan:apply", response=DrawdownOut, status=202, idempotent=True,
           errors=("DRAWDOWN_NOT_FOUND", "DRAWDOWN_STATUS"))
def disburse_drawdown(req: Request, drawdown_id: str) -> DrawdownOut:
    from chalicelib.loans.service import disbursement

    return DrawdownOut.model_validate(disbursement.start(drawdown_id, req.caller.user_id, req.caller))


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
    result = reconciliation.settle(req.caller, drawdown_id, posted=b.posted, core_ref=b.core_ref, comment=b.comment,
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
        req.caller, drawdown_id, proposal_id, outcome=req.body.outcome, comment=req.body.comment))


@api.route("/drawdowns/{drawdown_id}/contract", "GET", summary="The signed contract: hash, signatures verified, "
           "download link", permission="loan:read", response=ContractOut,
           errors=("DRAWDOWN_NOT_FOUND", "CONTRACT_NOT_FOUND"))
def get_contract(req: Request, drawdown_id: str) -> ContractOut:
    from chalicelib.loans.service import contracts

    return ContractOut.model_validate(contracts.view(req.caller, drawdown_id))


@api.route("/tasks", "GET", summary="My tasks: approval steps I may decide now", permission="task:decide",
           response=TaskList)
def my_tasks(req: Request) -> TaskList:
    from chalicelib.loans.service import approval

    return TaskList(items=[TaskOut.model_validate(approval.task_view(t)) for t in approval.my_tasks(req.caller)])


@api.route("/tasks/{task_id}", "GET", summary="One approval task", permission="task:decide", response=TaskOut,
           errors=("TASK_NOT_FOUND",))
def get_task(req: Request, task_id: str) -> TaskOut:
    from chalicelib.loans.service import approval

    return TaskOut.model_validate(approval.task_view(approval.get_task(req.caller, task_id)))


@api.route("/tasks/{task_id}/decision", "POST", summary="Decide an approval step, with a comment",
           permission="task:decide", body=DecisionIn, response=TaskOut,
           errors=("TASK_NOT_FOUND", "TASK_NOT_OPEN", "AUTHORITY_EXCEEDED", "SEPARATION_OF_DUTIES",
                   "PERMISSION_DENIED", "VERSION_CONFLICT"))
def decide_task(req: Request, task_id: str) -> TaskOut:
    from chalicelib.loans.service import approval

    task = approval.decide(req.caller, task_id, req.body.outcome, req.body.comment)
    return TaskOut.model_validate(approval.task_view(task))


@api.route("/loans", "GET", summary="A household's loans", permission="loan:read", query=LoanQuery,
           response=LoanList, errors=("REQUEST_VALIDATION",))
def list_loans(req: Request) -> LoanList:
    from chalicelib.loans.service import accounts

    return LoanList(items=[LoanOut.model_validate(i) for i in accounts.for_household(req.caller, _household_of(req))])


@api.route("/loans/{loan_id}", "GET", summary="A loan with its schedule, repayments and today's quote",
           permission="loan:read", response=LoanOut, errors=("LOAN_NOT_FOUND",))
def get_loan(req: Request, loan_id: str) -> LoanOut:
    from chalicelib.loans.service import repayments

    return LoanOut.model_validate(repayments.loan_view(req.caller, loan_id))


@api.route("/loans/{loan_id}/repayments", "POST", summary="Repay: what is due, or early (partial or full)",
           permission="loan:apply", body=RepaymentIn, response=RepaymentOut, status=201, idempotent=True,
           errors=("LOAN_NOT_FOUND", "LOAN_CLOSED", "NOTHING_DUE", "REPAYMENT_EXCEEDS_DUE",
                   "PAYOFF_AMOUNT_MISMATCH", "DUES_OUTSTANDING", "PREPAYMENT_EXCEEDS_BALANCE", "AMOUNT_INVALID",
                   "LOAN_BUSY"))
def create_repayment(req: Request, loan_id: str) -> RepaymentOut:
    from chalicelib.loans.service import repayments

    b = req.body
    return RepaymentOut.model_validate(repayments.repay(req.caller, loan_id, kind=b.kind, amount=b.amount,
                                                        principal_amount=b.principal_amount))
