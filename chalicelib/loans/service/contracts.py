"""Loan contracts: rendered from the versioned ``contract_template``, hashed (SHA-256), signed by the
borrower and the bank through the e-signature adapter, stored in S3 (versioned bucket) and retrievable.

S3 key ``contracts/<drawdown_id>/<contract_no>.pdf`` (metadata ``sha256``). The drawdown keeps the
contract record: ``contract_no``, ``template_id``/``template_version``, ``s3_key``, ``s3_version_id``,
``sha256``, ``size``, ``signatures`` (borrower, bank), ``signed_at``.
"""
from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

from chalicelib.admin import public as orgs
from chalicelib.loans.data import drawdowns
from chalicelib.loans.domain import contract_pdf
from chalicelib.loans.domain import products as products_domain
from chalicelib.loans.domain.contract_pdf import amount_in_words, render
from chalicelib.loans.domain.parameters import ContractTemplate
from chalicelib.loans.domain.schedules import Schedule
from chalicelib.loans.service import borrowers, config, notify
from chalicelib.platform.access import Principal
from chalicelib.platform.clock import business_date, utc_now_iso
from chalicelib.platform.errors import NotFound
from chalicelib.rating import public as line_usage

METHOD_NAMES = {"equal_installment": "等额本息", "equal_principal": "等额本金",
                "interest_periodic_principal_at_maturity": "按期付息、到期还本", "interest_periodic": "按期付息、到期还本",
                "bullet": "利随本清（按日计息，随借随还）"}
PERIOD_NAMES = {"monthly": "按月", "quarterly": "按季"}
PURPOSE_NAMES = {"planting": "种植", "breeding": "养殖", "agricultural_machinery": "购置农机",
                 "rural_business": "农村经营", "household_consumption": "家庭消费"}
COMPONENT_NAMES = {"penalty": "罚息", "interest": "利息", "principal": "本金"}
PREPAYMENT_NAMES = {"reduce_installment": "剩余期限不变、每期还款额相应减少", "shorten_term": "每期还款额不变、还款期限相应缩短"}


@cache
def _s3() -> Any:
    from chalicelib.platform import aws

    return aws.s3()


def _bucket() -> str:
    from chalicelib.platform.settings import get_settings

    return get_settings().documents_bucket


_INSTITUTIONS: dict[str, tuple[float, dict[str, Any]]] = {}


def _institution(org_path: str) -> dict[str, Any]:
    """The lending institution (法人行社) of an org path; cached 5 minutes per process."""
    import time

    parts = [p for p in org_path.split("/") if p]
    org_id = parts[1] if len(parts) > 1 else parts[0]
    cached = _INSTITUTIONS.get(org_id)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    org = orgs.get_org(org_id) or {"org_id": org_id, "name": org_id}
    _INSTITUTIONS[org_id] = (time.monotonic() + 300, org)
    return org


def loan_schedule(dd: dict[str, Any], product: products_domain.LoanProduct, start: date) -> Schedule:
    """The schedule of drawdown ``dd`` if its money leaves on ``start``."""
    first = dd.get("first_due_date")
    return products_domain.schedule(product, amount=Decimal(dd["amount"]),
                                    annual_rate=Decimal(dd["pricing"]["annual_rate"]),
                                    repayment_method=dd["repayment_method"], interest_period=dd.get("interest_period"),
                                    term_months=int(dd["term_months"]), start=start,
                                    first_due_date=date.fromisoformat(first) if first else None, strict=False)


def _schedule_rows(dd: dict[str, Any], product: products_domain.LoanProduct, start: date
                   ) -> tuple[list[tuple[str, str, str, str, str]], Schedule]:
    schedule = loan_schedule(dd, product, start)
    rows = [(str(i.number), i.due_date.isoformat(), f"{i.principal:,.2f}", f"{i.interest:,.2f}", f"{i.payment:,.2f}")
            for i in schedule.installments]
    return rows, schedule


def _line_refused(dd: dict[str, Any], reason: str) -> dict[str, Any]:
    """The line cannot give the amount any more (other drawdowns took it since the request): no contract;
    the drawdown ends ``DISBURSEMENT_FAILED`` with the line's reason, as a refusal at disbursement would."""
    drawdowns.transition(dd["drawdown_id"], allowed_from=("APPROVED",), to="DISBURSEMENT_FAILED", actor_id="system",
                         action="drawdown.disbursement_failed", changes={"failure": {"reason": reason}},
                         note=f"the line cannot give the amount: {reason}")
    notify.send(dd["household_id"], "disbursement_failed", dd["drawdown_id"], terms=dd, amount=dd["amount"])
    return {"disburse": False, "status": "DISBURSEMENT_FAILED"}


def prepare(drawdown_id: str) -> dict[str, Any]:
    """Render, hash, sign and store the contract of an approved drawdown and reserve its amount on the
    master and sub-line in the same transaction; status → ``CONTRACT_SIGNED``. A borrower therefore never
    signs for more than the line can give: parallel drawdowns that together exceed it end
    ``DISBURSEMENT_FAILED`` (``MASTER_LINE_EXCEEDED`` / ``SUB_LINE_EXCEEDED``) before signing. The
    reservation is committed when the loan opens and released if the disbursement fails.
    Returns ``{"disburse": bool}`` (whether the workflow starts the disbursement now). Idempotent."""
    dd = drawdowns.require(drawdown_id)
    if dd["status"] != "APPROVED":
        return {"disburse": bool(dd.get("disburse_immediately")), "status": dd["status"]}
    today = business_date()
    amount = Decimal(dd["amount"])
    refused = line_usage.refusal(line_usage.get_line(dd["line_id"]), dd["product_code"], amount, today)
    if refused:
        return _line_refused(dd, refused.code)
    template, template_version = config.document(config.CONTRACT_TEMPLATE, today)
    contract = _signed_contract(dd, template, template_version, today)
    versions = config.known({**dd.get("parameter_versions", {}), config.CONTRACT_TEMPLATE: template_version})
    try:
        drawdowns.transition(
            drawdown_id, allowed_from=("APPROVED",), to="CONTRACT_SIGNED", actor_id="system",
            action="drawdown.contract_signed", current=dd,
            changes={"contract": contract, "parameter_versions": versions,
                     "reservation": {"status": "reserved", "at": utc_now_iso()}},
            extra=lambda tx, _dd: line_usage.add_reserve(tx, line_id=dd["line_id"], product_code=dd["product_code"],
                                                         amount=amount, drawdown_id=drawdown_id, today=today))
    except line_usage.LineRefused:  # another drawdown took the amount between the check and the commit
        why = line_usage.refusal(line_usage.get_line(dd["line_id"]), dd["product_code"], amount, today)
        return _line_refused(dd, why.code if why else "LINE_REFUSED")
    if not dd.get("disburse_immediately"):  # otherwise the disbursement SMS follows within seconds
        notify.send(dd["household_id"], "approved", drawdown_id, terms=dd, amount=dd["amount"])
    return {"disburse": bool(dd.get("disburse_immediately")), "status": "CONTRACT_SIGNED"}


def view(principal: Principal, drawdown_id: str, *, verify: bool = True) -> dict[str, Any]:
    """The contract record, whether the stored PDF still has its hash and each signature verifies, and a
    download URL valid 5 minutes."""
    from chalicelib.adapters import esign

    dd = drawdowns.get_scoped(principal, drawdown_id)
    contract = dd.get("contract")
    if not contract:
        raise NotFound("this drawdown has no contract yet", code="CONTRACT_NOT_FOUND", field="drawdown_id")
    out = dict(contract)
    if verify:
        obj = _s3().get_object(Bucket=_bucket(), Key=contract["s3_key"], VersionId=contract["s3_version_id"]) \
            if contract.get("s3_version_id") else _s3().get_object(Bucket=_bucket(), Key=contract["s3_key"])
        actual = hashlib.sha256(obj["Body"].read()).hexdigest()
        out["document_intact"] = actual == contract["sha256"]
        out["signatures"] = [{**s, "valid": esign.verify(contract["sha256"], s)} for s in contract["signatures"]]
    params = {"Bucket": _bucket(), "Key": contract["s3_key"]}
    if contract.get("s3_version_id"):
        params["VersionId"] = contract["s3_version_id"]
    out["download_url"] = _s3().generate_presigned_url("get_object", Params=params, ExpiresIn=300)
    return out


def _signed_contract(dd: dict[str, Any], template: ContractTemplate, template_version: int | None, today: date
                     ) -> dict[str, Any]:
    """Render the contract of ``dd`` from ``template``, store the PDF in S3 and sign its hash for borrower and
    lender: the drawdown's ``contract`` record (number, template, S3 key and version, hash, size, signatures)."""
    from chalicelib.adapters import esign

    drawdown_id = dd["drawdown_id"]
    product = config.recorded(config.PRODUCTS, dd).product(dd["product_code"])
    household = borrowers.household(dd["household_id"]) or {}
    head = borrowers.head(household) or {}
    lender = _institution(dd["org_path"])
    contract_no = f"HT{today:%Y%m%d}{drawdown_id[2:]}"
    rows, schedule = _schedule_rows(dd, product, today)
    fields = _contract_fields(dd, product, today, schedule, contract_no=contract_no, lender=lender, head=head)
    pdf = render(template.document, fields, rows)
    digest = hashlib.sha256(pdf).hexdigest()
    key = f"contracts/{drawdown_id}/{contract_no}.pdf"
    put = _s3().put_object(Bucket=_bucket(), Key=key, Body=pdf, ContentType="application/pdf",
                           Metadata={"sha256": digest, "template-version": str(template_version)})
    signatures = [esign.sign(digest, "borrower", head.get("member_id") or dd["household_id"]),
                  esign.sign(digest, "lender", lender.get("org_id", ""))]
    return {"contract_no": contract_no, "template_id": template.template_id,
            "template_version": template_version, "s3_key": key, "s3_version_id": put.get("VersionId"),
            "sha256": digest, "size": len(pdf), "signatures": signatures, "signed_at": utc_now_iso()}


def _contract_fields(dd: dict[str, Any], product: products_domain.LoanProduct, today: date, schedule: Schedule, *,
                     contract_no: str, lender: dict[str, Any], head: dict[str, Any]) -> dict[str, Any]:
    """The template fields of the contract of ``dd`` (terms in words as the contract prints them)."""
    pricing = dd["pricing"]
    note = (f"{pricing['benchmark']} {Decimal(pricing['benchmark_rate']) * 100:.2f}% 加 {pricing['spread_bps']} 个基点"
            if pricing["mode"] == "lpr_spread" else "固定利率")
    method = METHOD_NAMES.get(dd["repayment_method"], dd["repayment_method"])
    if dd.get("interest_period") and dd["repayment_method"] != "bullet":
        method = f"{method}（{PERIOD_NAMES.get(dd['interest_period'], dd['interest_period'])}）"
    payment = "受托支付，贷款资金直接支付给 " + dd["payee"]["name"] if dd.get("payment_mode") == "entrusted" \
        else "自主支付，贷款资金发放至借款人账户"
    terms = products_domain.schedule_terms(product, dd["repayment_method"], dd.get("interest_period"))
    target = products_domain.disbursement_target(dd.get("payment_mode", "self"), dd.get("payee"), dd["household_id"])
    uplift_pct = f"{product.penalty_rate_uplift * 100:.0f}"
    fields = {
        "contract_no": contract_no, "lender_name": lender.get("name", ""), "borrower_name": head.get("name", ""),
        "borrower_id_masked": head.get("resident_id_masked") or "",
        "household_id": dd["household_id"], "amount": f"{Decimal(dd['amount']):,.2f}",
        "amount_words": amount_in_words(dd["amount"]), "purpose": PURPOSE_NAMES.get(dd["purpose"], dd["purpose"]),
        "term_months": dd["term_months"], "start_date": today.isoformat(),
        "maturity_date": schedule.maturity_date.isoformat(), "rate_pct": f"{Decimal(pricing['annual_rate']) * 100:.2f}",
        "pricing_note": note, "repayment_method": method, "payment_mode": payment,
        "interest_terms": contract_pdf.interest_terms(terms.method, terms.frequency_months, terms.day_count),
        "disbursement_account": contract_pdf.account_terms(target),
        "repayment_account": contract_pdf.account_terms(  # repayments are debited by the core from this account
            products_domain.disbursement_target("self", None, dd["household_id"])),
        "penalty_uplift_pct": uplift_pct, "grace_days": product.grace_days,
        "penalty_terms": contract_pdf.penalty_terms(uplift_pct, int(product.grace_days), terms.day_count),
        "allocation_order": "、".join(COMPONENT_NAMES[c] for c in product.repayment_allocation_order),
        "prepayment_mode": PREPAYMENT_NAMES[product.prepayment.recompute_mode], "line_id": dd["line_id"],
        "sign_date": today.isoformat(),
    }
    return fields
