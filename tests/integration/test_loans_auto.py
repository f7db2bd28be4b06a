"""Drawdowns on the auto path (rules approve → contract → disbursement saga), rule declines, request checks,
self-service with face verification, and rules as data."""
from __future__ import annotations

import hashlib
import uuid
from decimal import Decimal

import pytest
import requests

from tests.conftest import HANG_GUARD_SECONDS
from tests.integration.loans_support import (
    drawdown_body,
    farmer_user,
    history,
    line_amounts,
    make_borrower,
    parameter_override,
    pinned_date,
    request,
    wait_sms,
    wait_status,
)
from tests.pdf_support import pdf_fonts, pdf_text

pytestmark = pytest.mark.usefixtures(pinned_date.__name__)


def test_auto_approved_drawdown_is_disbursed_with_a_signed_contract_and_a_loan_account(client):
    from chalicelib.adapters import core_banking
    from chalicelib.loans.data import loans
    from chalicelib.rating.data import line_usage

    b = make_borrower(limit="100000", subs={"NH_XYD": "50000"})
    r = request(client, "am.nongan", drawdown_body(b["line_id"]))
    assert r.status_code == 202, r.text
    dd = r.json()
    assert dd["status"] == "REQUESTED" and dd["channel"] == "pad"
    assert dd["pricing"]["mode"] == "lpr_spread" and Decimal(dd["pricing"]["annual_rate"]) == Decimal("0.0450")

    done = wait_status(dd["drawdown_id"], "DISBURSED", "DISBURSEMENT_FAILED", "DECLINED", "PENDING_INVESTIGATION")
    assert done["status"] == "DISBURSED"
    # the line is reserved with the signature (CONTRACT_SIGNED), so the saga goes straight to the transfer
    assert history(dd["drawdown_id"]) == ["REQUESTED", "APPROVED", "CONTRACT_SIGNED", "DISBURSING", "DISBURSED"]
    decision = done["decision"]
    assert decision["outcome"] == "approve" and [f["rule_id"] for f in decision["fired"]] == ["AA99"]
    assert decision["rule_set_version"] >= 1 and done["parameter_versions"]["approval_rules"] >= 1
    assert done["parameter_versions"]["products"] >= 1 and done["parameter_versions"]["contract_template"] >= 1

    # the line: master and sub-line both reduced once, reservation committed
    amounts = line_amounts(b["line_id"])
    assert amounts["master"] == Decimal("80000") and amounts["NH_XYD"] == Decimal("30000")
    assert line_usage.get_reservation(b["line_id"], dd["drawdown_id"])["status"] == "committed"

    # exactly one core-banking posting; the loan account and its schedule
    assert len(core_banking.sandbox_postings(dd["drawdown_id"])) == 1
    loan = loans.get(done["loan_id"])
    assert loan["status"] == "active" and Decimal(str(loan["outstanding_principal"])) == Decimal("20000")
    inst = sorted(loans.installments(loan["loan_id"]), key=lambda i: i["number"])
    assert len(inst) == 12 and sum(Decimal(str(i["principal"])) for i in inst) == Decimal("20000")
    assert any("20000" in m["text"] for m in wait_sms(loan["loan_id"], "已于"))

    # the applicant (and staff) see the contract: intact, both signatures verify, downloadable PDF
    c = client.as_user("am.nongan").get(f"/drawdowns/{dd['drawdown_id']}/contract")
    assert c.status_code == 200, c.text
    contract = c.json()
    assert contract["document_intact"] is True
    assert {s["signer_role"] for s in contract["signatures"]} == {"borrower", "lender"}
    assert all(s["valid"] for s in contract["signatures"])
    pdf = requests.get(contract["download_url"], timeout=HANG_GUARD_SECONDS).content
    assert pdf.startswith(b"%PDF") and hashlib.sha256(pdf).hexdigest() == contract["sha256"]
    assert all(f.embedded for f in pdf_fonts(pdf))  # readable on a machine without Chinese fonts
    text = pdf_text(pdf).replace("\n", "")  # clauses are wrapped by character
    assert "农户借款合同" in text and f"借款人（乙方）：张建国（身份证号 {b['head_id_masked']}，户号" in text
    assert "人民币20,000.00元（大写：贰万元整）" in text and "年利率4.50%" in text
    # the interest as the schedule charges it (tests/unit/test_pdf_documents.py checks the words against it)
    assert "每个完整还款期的利息=期初本金余额×月利率，月利率=年利率÷12" in text
    assert "放款账户：借款人在甲方开立的结算账户（账号以核心系统结算账户为准）" in text
    assert "罚息日利率=罚息年利率÷360" in text
    assert "{" not in text  # every placeholder of the shipped template is filled

    view = client.as_user("am.nongan").get(f"/drawdowns/{dd['drawdown_id']}").json()
    assert [h["status"] for h in view["history"]][-1] == "DISBURSED" and view["loan_id"] == loan["loan_id"]


def test_a_credit_bureau_knock_out_declines_without_touching_the_line(client):
    from chalicelib.adapters import core_banking, sandbox

    b = make_borrower()
    sandbox.set_scenario("credit_bureau", f"HH#{b['household_id']}", ["reject"])
    dd = request(client, "am.nongan", drawdown_body(b["line_id"])).json()
    done = wait_status(dd["drawdown_id"], "DECLINED", "DISBURSED")
    assert done["status"] == "DECLINED"
    fired = {f["rule_id"]: f["outcome"] for f in done["decision"]["fired"]}
    assert fired["AA07"] == "decline" and done["decision"]["bureau"]["result"] == "reject"
    assert line_amounts(b["line_id"])["master"] == Decimal("100000")
    assert core_banking.sandbox_postings(dd["drawdown_id"]) == []


def test_request_checks_refuse_bad_drawdowns_before_any_workflow(client):
    b = make_borrower(limit="30000", subs={"NH_XYD": "30000", "NH_DBD": "10000"})
    am = "am.nongan"
    too_much = request(client, am, drawdown_body(b["line_id"], amount="35000.00"))
    assert too_much.status_code == 422 and too_much.json()["error"]["code"] == "MASTER_LINE_EXCEEDED"
    sub = request(client, am, drawdown_body(b["line_id"], product_code="NH_DBD", amount="15000.00",
                                            guarantee={"form": "natural_person_guarantee", "guarantor_name": "王五"}))
    assert sub.status_code == 422 and sub.json()["error"]["code"] == "SUB_LINE_EXCEEDED"
    bad = request(client, am, drawdown_body(b["line_id"], amount="500.00", term_months=48, purpose="gambling",
                                            repayment_method="flat"))
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "DRAWDOWN_INVALID"
    codes = {f["code"] for f in bad.json()["error"]["fields"]}
    assert codes == {"AMOUNT_OUT_OF_RANGE", "TERM_OUT_OF_RANGE", "REPAYMENT_METHOD_NOT_OFFERED", "PURPOSE_NOT_ALLOWED"}
    no_guarantee = request(client, am, drawdown_body(b["line_id"], product_code="NH_DBD", amount="5000.00"))
    assert {f["code"] for f in no_guarantee.json()["error"]["fields"]} == {"GUARANTEE_REQUIRED"}
    no_consent = request(client, am, drawdown_body(b["line_id"], consent=False))
    assert no_consent.json()["error"]["code"] == "CONSENT_REQUIRED"
    no_key = client.as_user(am).post("/drawdowns", json=drawdown_body(b["line_id"]))
    assert no_key.status_code == 400 and no_key.json()["error"]["code"] == "IDEMPOTENCY_KEY_REQUIRED"
    other_county = request(client, "am.yushu", drawdown_body(b["line_id"]))
    assert other_county.status_code == 404 and other_county.json()["error"]["code"] == "CREDIT_LINE_NOT_FOUND"
    old = make_borrower(birth="1959-01-01")
    age = request(client, am, drawdown_body(old["line_id"]))
    assert {f["code"] for f in age.json()["error"]["fields"]} == {"BORROWER_AGE"}
    beyond = request(client, am, drawdown_body(b["line_id"], amount="5000.00", term_months=36))
    assert beyond.json()["error"]["code"] == "TERM_BEYOND_LINE_VALIDITY"
    inactive = make_borrower(line_status="frozen")
    assert request(client, am, drawdown_body(inactive["line_id"])).json()["error"]["code"] == "LINE_NOT_ACTIVE"


def test_the_same_idempotency_key_creates_one_drawdown(client):
    b = make_borrower()
    key = uuid.uuid4().hex
    first = request(client, "am.nongan", drawdown_body(b["line_id"]), key)
    again = request(client, "am.nongan", drawdown_body(b["line_id"]), key)
    assert first.status_code == again.status_code == 202
    assert first.json()["drawdown_id"] == again.json()["drawdown_id"]
    other = request(client, "am.nongan", drawdown_body(b["line_id"], amount="1000.00"), key)
    assert other.status_code == 422 and other.json()["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    wait_status(first.json()["drawdown_id"], "DISBURSED")


def test_entrusted_payment_above_the_threshold_and_a_mortgage_loan_go_to_people(client):
    b = make_borrower(limit="600000", subs={"NH_TDJ": "600000"})
    body = drawdown_body(b["line_id"], product_code="NH_TDJ", amount="350000.00", term_months=24,
                         collateral={"certificate_no": "JL2201220001", "area_mu": "120.00",
                                     "appraised_value": "800000.00"})
    refused = request(client, "am.nongan", body)
    assert {f["code"] for f in refused.json()["error"]["fields"]} == {"ENTRUSTED_PAYMENT_REQUIRED"}
    body.update(payment_mode="entrusted", payee={"name": "农安县丰收农机有限公司", "account_no": "6228480012345678",
                                                 "bank_name": "吉林农安农村商业银行"})
    dd = request(client, "am.nongan", body).json()
    done = wait_status(dd["drawdown_id"], "PENDING_INVESTIGATION", "DISBURSED", "DECLINED")
    assert done["status"] == "PENDING_INVESTIGATION"
    assert {"AA01", "AA08", "AA09"} <= {f["rule_id"] for f in done["decision"]["fired"]}


def test_self_service_needs_a_fresh_face_verification(client, stack):
    from chalicelib.adapters import sandbox

    b = make_borrower()
    farmer = farmer_user(stack, b["household_id"])
    app = client.as_user(farmer)
    missing = request(client, farmer, drawdown_body(b["line_id"]))
    assert missing.status_code == 422 and missing.json()["error"]["code"] == "FACE_VERIFICATION_REQUIRED"
    face = app.post("/face-verifications", json={"image": "bGl2ZS1waG90bw=="})
    assert face.status_code == 201 and face.json()["passed"] is True
    face_id = face.json()["face_verification_id"]
    ok = request(client, farmer, drawdown_body(b["line_id"], face_verification_id=face_id))
    assert ok.status_code == 202 and ok.json()["channel"] == "app"
    reused = request(client, farmer, drawdown_body(b["line_id"], face_verification_id=face_id))
    assert reused.status_code == 422 and reused.json()["error"]["code"] == "FACE_VERIFICATION_INVALID"
    done = wait_status(ok.json()["drawdown_id"], "DISBURSED")
    mine = app.get(f"/drawdowns/{ok.json()['drawdown_id']}").json()
    assert mine["status"] == "DISBURSED" and set(mine["decision"]) == {"outcome", "decided_at"}
    assert app.get(f"/drawdowns?household_id={b['household_id']}").json()["items"][0]["drawdown_id"] == \
        done["drawdown_id"]
    # the farmer's own household is implied by the token; staff must name the household
    assert [d["drawdown_id"] for d in app.get("/drawdowns").json()["items"]] == [done["drawdown_id"]]
    assert [loan["loan_id"] for loan in app.get("/loans").json()["items"]] == [done["loan_id"]]
    for path in ("/drawdowns", "/loans"):
        staff = client.as_user("am.nongan").get(path)
        assert staff.status_code == 422, staff.text
        assert staff.json()["error"]["fields"][0]["field"] == "household_id"
        assert staff.json()["error"]["fields"][0]["code"] == "FIELD_REQUIRED"
    assert client.as_user("am.nongan").get(f"/loans?household_id={b['household_id']}").json()["items"][0][
        "loan_id"] == done["loan_id"]
    # another household's farmer sees nothing of it
    other = make_borrower()
    stranger = farmer_user(stack, other["household_id"])
    assert client.as_user(stranger).get(f"/drawdowns/{done['drawdown_id']}").status_code == 404
    sandbox.set_scenario("face", f"USER#{_user_id(client, farmer)}", ["fail"])
    failed = app.post("/face-verifications", json={"image": "bGl2ZS1waG90bw=="}).json()
    assert failed["passed"] is False
    refused = request(client, farmer, drawdown_body(b["line_id"], face_verification_id=failed["face_verification_id"]))
    assert refused.json()["error"]["code"] == "FACE_VERIFICATION_INVALID"


def _user_id(client, user: str) -> str:
    import jwt

    return jwt.decode(client.token_for(user), options={"verify_signature": False})["sub"]


def test_rules_are_data_a_new_version_changes_the_decision_and_is_recorded(client):
    from chalicelib.platform import parameters
    from tests.integration.loans_support import BUSINESS_DATE

    doc = parameters.get_effective("approval_rules", BUSINESS_DATE)["value"]
    table = next(n for n in doc["decision"]["nodes"] if n["type"] == "decisionTableNode")
    for row in table["content"]["rules"]:
        if row["out_rule_id"] == '"AA01"':
            row["in_amount"] = "> 10000"
    b = make_borrower()
    with parameter_override("approval_rules", decision=doc["decision"]) as version:
        dd = request(client, "am.nongan", drawdown_body(b["line_id"])).json()
        done = wait_status(dd["drawdown_id"], "PENDING_INVESTIGATION", "DISBURSED")
    assert done["status"] == "PENDING_INVESTIGATION"
    assert done["decision"]["rule_set_version"] == version["version"]
    assert "AA01" in {f["rule_id"] for f in done["decision"]["fired"]}


def test_a_broken_rule_set_never_auto_approves(client):
    b = make_borrower()
    with parameter_override("approval_rules", decision={"nodes": "broken"}):
        dd = request(client, "am.nongan", drawdown_body(b["line_id"])).json()
        done = wait_status(dd["drawdown_id"], "PENDING_INVESTIGATION", "DISBURSED")
    assert done["status"] == "PENDING_INVESTIGATION"
    assert done["decision"]["fired"][0]["rule_id"] == "RULE_SET_INVALID"


def test_lpr_priced_drawdowns_are_refused_when_the_lpr_table_is_stale(client):
    from datetime import date

    from tests.integration.loans_support import business_date

    b = make_borrower()
    with business_date(date(2027, 3, 1)):
        r = request(client, "am.nongan", drawdown_body(b["line_id"]))
    assert r.status_code == 422 and r.json()["error"]["code"] == "LPR_TABLE_STALE"


def test_products_list_the_lending_terms(client):
    r = client.as_user("am.nongan").get("/products")
    assert r.status_code == 200
    products = {p["product_code"]: p for p in r.json()["items"]}
    assert {"NH_XYD", "NH_DBD", "NH_TDJ"} <= set(products)
    xyd = products["NH_XYD"]
    assert xyd["kind"] == "credit" and xyd["day_count"] == "ACT/360"
    assert xyd["repayment_allocation_order"] == ["penalty", "interest", "principal"]
    assert products["NH_TDJ"]["kind"] == "land_mortgage"
