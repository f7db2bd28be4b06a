"""Drawdown requests (用信申请): checks at request time, then the approval workflow.

A farmer draws from the mobile app (channel ``app``: a passed face verification is required) or an
account manager files the drawdown on the PAD on the farmer's behalf (channel ``pad``). The request is
checked synchronously against the line (status, validity, master and sub-line availability), the product
(amount, term, method, purpose, age, entrusted payment and payee, guarantee or collateral) and priced;
the decision (rules) and everything after it run in the approval state machine.
"""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

from chalicelib.loans.data import drawdowns, face_checks
from chalicelib.loans.domain import products as products_domain
from chalicelib.loans.domain.schedules import Schedule
from chalicelib.loans.service import borrowers, config
from chalicelib.platform import dynamo
from chalicelib.platform.access import Principal
from chalicelib.platform.clock import business_date
from chalicelib.platform.errors import Forbidden, NotFound, ValidationFailed
from chalicelib.rating import public as line_usage


@cache
def _sfn() -> Any:
    from chalicelib.platform import aws

    return aws.stepfunctions()


def start_approval(drawdown: dict[str, Any]) -> str:
    """Start the approval workflow of ``drawdown`` (execution name = drawdown id)."""
    from chalicelib.platform.settings import get_settings

    workflow = config.recorded(config.WORKFLOW, drawdown)
    payload = {"drawdown_id": drawdown["drawdown_id"], "config": workflow.state_machine_config()}
    out = _sfn().start_execution(stateMachineArn=get_settings().approval_state_machine_arn,
                                 name=drawdown["drawdown_id"], input=json.dumps(payload))
    return out["executionArn"]


def request(principal: Principal, body: Any) -> dict[str, Any]:
    """Check and store a drawdown request, start its approval workflow; returns the stored item.

    Raises NotFound ``CREDIT_LINE_NOT_FOUND``/``PRODUCT_NOT_FOUND``, ValidationFailed (line refusals
    ``MASTER_LINE_EXCEEDED``, ``SUB_LINE_EXCEEDED``, ``LINE_NOT_ACTIVE``, ``LINE_NOT_VALID_TODAY``,
    ``SUB_LINE_MISSING``; ``DRAWDOWN_INVALID`` with field errors; ``TERM_BEYOND_LINE_VALIDITY``;
    ``FACE_VERIFICATION_REQUIRED``/``FACE_VERIFICATION_INVALID``; ``CONSENT_REQUIRED``; pricing errors
    such as ``LPR_TABLE_STALE``). An LPR-priced drawdown records the ``lpr_fixings`` version that priced it in
    ``parameter_versions``."""
    today = business_date()
    channel = "app" if principal.role == "farmer" else "pad"
    app = _Application(principal, body, today, channel)
    app.check()
    pricing, lpr_version = _pricing(app.product, today)
    preview = app.preview(pricing)
    if channel == "app" and not body.face_verification_id:
        raise ValidationFailed("self-service drawdowns need a face verification: POST /face-verifications with a "
                               "live photo, then send its face_verification_id (valid 10 minutes, used once)",
                               code="FACE_VERIFICATION_REQUIRED", field="face_verification_id")
    item = app.item(drawdowns.new_id(), pricing, preview, lpr_version)

    def consume_face(tx: dynamo.Transaction) -> None:
        if channel == "app":
            face_checks.add_consume(tx, body.face_verification_id, household_id=app.household_id,
                                    user_id=principal.user_id, drawdown_id=item["drawdown_id"])

    stored = drawdowns.create(item, actor_id=principal.user_id, extra=consume_face)
    try:
        start_approval(stored)
    except Exception:
        drawdowns.transition(item["drawdown_id"], allowed_from=("REQUESTED",), to="EXPIRED", actor_id="system",
                             action="drawdown.expired", note="the approval workflow could not be started")
        raise
    return stored


def _pricing(product: products_domain.LoanProduct, today: date) -> tuple[dict[str, Any], int | None]:
    """The drawdown's pricing on ``today`` and the ``lpr_fixings`` version it used (``None``: the shipped table);
    pricing within the LPR grace period is reported to operations."""
    lpr, lpr_version = config.lpr_table(today)
    pricing = products_domain.price(product, today, lpr)
    if pricing.get("lpr_overdue_since"):  # priced within the grace period: warn operations
        from chalicelib.loans.domain.rates import assess
        from chalicelib.loans.service import lpr as lpr_watch

        lpr_watch.report(assess(lpr, today, product.pricing.lpr_grace_days), version=lpr_version, where="drawdown")
    return pricing, lpr_version


class _Application:
    """A drawdown request being checked: the caller, the request body, the line, household and product it names."""

    def __init__(self, principal: Principal, body: Any, today: date, channel: str) -> None:
        self.principal, self.body, self.today, self.channel = principal, body, today, channel
        self.line = principal.ensure_can_see(line_usage.get_line(body.line_id), "credit_line")
        self.household_id: str = self.line["household_id"]
        catalogue, self.products_version = config.document(config.PRODUCTS)
        self.product = catalogue.product(body.product_code)
        self.amount = Decimal(body.amount)
        self.household: dict[str, Any] = {}

    def check(self) -> None:
        """Consent, the household's file, the product's terms and the line's room (in this order)."""
        body = self.body
        if not body.consent:
            raise ValidationFailed("the borrower must accept the contract terms", code="CONSENT_REQUIRED",
                                   field="consent")
        household = borrowers.household(self.household_id)
        if household is None:
            raise NotFound("the line's household has no file", code="HOUSEHOLD_NOT_FOUND", field="line_id")
        self.household = household
        terms = products_domain.ApplicationTerms(
            amount=self.amount, term_months=body.term_months, repayment_method=body.repayment_method,
            interest_period=body.interest_period, purpose=body.purpose, payment_mode=body.payment_mode,
            has_payee=body.payee is not None, has_guarantee=body.guarantee is not None,
            collateral_value=Decimal(body.collateral.appraised_value) if body.collateral else None)
        products_domain.check_application(self.product, terms, head_birth_date=borrowers.head_birth_date(household),
                                          today=self.today)
        refused = line_usage.refusal(self.line, self.product.product_code, self.amount, self.today)
        if refused:
            raise refused

    def preview(self, pricing: dict[str, Any]) -> Schedule:
        """The schedule the borrower would get if drawn today; refused when it matures after the line expires."""
        body, line = self.body, self.line
        preview = products_domain.schedule(
            self.product, amount=self.amount, annual_rate=pricing["annual_rate"],
            repayment_method=body.repayment_method, interest_period=body.interest_period,
            term_months=body.term_months, start=self.today, first_due_date=body.first_due_date)
        if preview.maturity_date.isoformat() > line["valid_to"]:
            raise ValidationFailed(f"the loan would mature on {preview.maturity_date.isoformat()}, after the line "
                                   f"expires on {line['valid_to']}: choose a term that ends by {line['valid_to']}",
                                   code="TERM_BEYOND_LINE_VALIDITY", field="term_months",
                                   details={"maturity_date": preview.maturity_date.isoformat(),
                                            "line_valid_to": line["valid_to"]})
        return preview

    def item(self, drawdown_id: str, pricing: dict[str, Any], preview: Schedule,
             lpr_version: int | None) -> dict[str, Any]:
        """The drawdown to store (status and version are the repository's)."""
        body, principal, product = self.body, self.principal, self.product
        _workflow, workflow_version = config.document(config.WORKFLOW)
        first = preview.installments[0]
        versions = config.known({config.PRODUCTS: self.products_version, config.WORKFLOW: workflow_version})
        if pricing["mode"] == "lpr_spread" and lpr_version is not None:  # None: the shipped default (nothing stored)
            versions[config.LPR_FIXINGS] = lpr_version
        return {
            "drawdown_id": drawdown_id, "household_id": self.household_id, "org_path": self.line["org_path"],
            "line_id": self.line["line_id"], "product_code": product.product_code, "product_kind": product.kind,
            "amount": self.amount, "term_months": body.term_months, "repayment_method": body.repayment_method,
            "interest_period": body.interest_period if body.repayment_method != "bullet" else None,
            "first_due_date": body.first_due_date.isoformat() if body.first_due_date else None,
            "purpose": body.purpose, "payment_mode": body.payment_mode,
            "payee": body.payee.model_dump() if body.payee else None,
            "guarantee": body.guarantee.model_dump() if body.guarantee else None,
            "collateral": body.collateral.model_dump(mode="json") if body.collateral else None,
            "channel": self.channel, "applicant_user_id": principal.user_id, "applicant_role": principal.role,
            "village_code": self.household.get("village_code"),
            "account_manager_id": borrowers.responsible_manager(self.household)
            or (principal.user_id if principal.role == "account_manager" else None),
            "face_verification_id": body.face_verification_id if self.channel == "app" else None,
            "disburse_immediately": body.disburse_immediately, "requested_on": self.today.isoformat(),
            "pricing": pricing,
            "preview": {"maturity_date": preview.maturity_date.isoformat(),
                        "first_due_date": first.due_date.isoformat(), "first_payment": first.payment,
                        "installments": len(preview.installments), "total_interest": preview.total_interest},
            "parameter_versions": versions,
        }


def verify_face(principal: Principal, image_b64: str) -> dict[str, Any]:
    """Run a face verification for the calling farmer (self-service only)."""
    import base64
    import binascii

    from chalicelib.adapters import face

    if principal.role != "farmer" or not principal.household_id:
        raise Forbidden("face verification is the borrower's own step", code="PERMISSION_DENIED")
    try:
        image = base64.b64decode(image_b64, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed("image is not base64", code="IMAGE_INVALID", field="image") from None
    result = face.verify(principal.household_id, principal.user_id, image)
    return face_checks.record(principal.household_id, principal.user_id, result)


def view(principal: Principal, drawdown_id: str) -> dict[str, Any]:
    """The drawdown as its applicant and staff see it, with every status change."""
    item = drawdowns.get_scoped(principal, drawdown_id)
    item["history"] = [{"status": e["status"], "at": e["at"], "actor_id": e.get("actor_id"), "note": e.get("note")}
                       for e in drawdowns.events(drawdown_id)]
    if principal.role == "farmer" and item.get("decision"):
        item["decision"] = {k: v for k, v in item["decision"].items() if k in ("outcome", "decided_at")}
    return item


def for_household(principal: Principal, household_id: str, *, limit: int, cursor: str | None) -> dynamo.Page:
    """A household's drawdowns, newest first, in the caller's scope (dicts; inner cursor): another organisation's
    household answers like an unknown one."""
    return drawdowns.list_for_household(principal, household_id, limit=limit, cursor=cursor)
