"""The LPR fixings are the versioned parameter ``lpr_fixings``: operations add a monthly fixing through the API
(no deploy), drawdowns are priced with the version in force and record it; malformed documents are refused."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.integration.loans_support import (BUSINESS_DATE, business_date, drawdown_body, make_borrower, pinned_date,
                                             request, stored, wait_status)

pytestmark = pytest.mark.usefixtures(pinned_date.__name__)

#: After the shipped table's staleness limit (last fixing 2026-08-20 + pricing.lpr_max_age_days 120 = 2026-12-18).
AFTER_LIMIT = date(2027, 1, 4)
#: A synthetic fixing for the test (not a published rate): different from 3.00 / 3.50 so the price shows it is used.
NEW_FIXING = ["2026-12-21", "2.90", "3.40"]


def _versions(admin, name: str) -> list[int]:
    return [v["version"] for v in admin.get(f"/parameters/{name}/versions").json()["items"]]


def _product_with(admin, **changes) -> dict:
    doc = admin.get("/parameters/products").json()["value"]
    first = doc["products"][0]
    for key, value in changes.items():
        first[key] = {**first[key], **value} if isinstance(value, dict) else value
    return doc


def _purple_warning_rules(admin) -> dict:
    doc = admin.get("/parameters/warning_rules").json()["value"]
    table = next(n for n in doc["decision"]["nodes"] if n["type"] == "decisionTableNode")
    table["content"]["rules"][0]["out_level"] = '"purple"'
    return doc


def test_a_fixing_added_through_the_api_prices_drawdowns_refused_as_stale_before(client):
    from chalicelib.auth import SYSTEM
    from chalicelib.data import parameters

    admin = client.as_user("province.admin")
    b = make_borrower(limit="100000", subs={"NH_XYD": "100000"})
    with business_date(AFTER_LIMIT):
        current = admin.get("/parameters/lpr_fixings").json()
        assert current["value"]["fixings"][-1] == ["2026-08-20", "3.00", "3.50"]
        refused = request(client, "am.nongan", drawdown_body(b["line_id"]))
        assert refused.status_code == 422 and refused.json()["error"]["code"] == "LPR_TABLE_STALE"

        document = {**current["value"], "fixings": current["value"]["fixings"] + [NEW_FIXING]}
        added = admin.post("/parameters/lpr_fixings/versions",
                           json={"value": document, "effective_from": AFTER_LIMIT.isoformat(),
                                 "comment": "LPR fixing of 2026-12-21"})
        try:
            assert added.status_code == 201, added.text
            version = added.json()["version"]
            assert version > current["version"] and added.json()["value"]["fixings"][-1] == NEW_FIXING

            r = request(client, "am.nongan", drawdown_body(b["line_id"]))
            assert r.status_code == 202, r.text
            dd = r.json()
            # NH_XYD: 1Y LPR + 150 bp; the new fixing is 2.90 %
            assert dd["pricing"]["mode"] == "lpr_spread" and dd["pricing"]["benchmark"] == "LPR1Y"
            assert Decimal(dd["pricing"]["benchmark_rate"]) == Decimal("0.0290")
            assert Decimal(dd["pricing"]["annual_rate"]) == Decimal("0.0440")
            assert dd["parameter_versions"]["lpr_fixings"] == version
            done = wait_status(dd["drawdown_id"], "DISBURSED", "DISBURSEMENT_FAILED", "DECLINED",
                               "PENDING_INVESTIGATION")
            assert done["status"] == "DISBURSED"
            assert done["parameter_versions"]["lpr_fixings"] == version  # kept through approval and contract
            from chalicelib.data import loans

            assert Decimal(str(loans.get(done["loan_id"])["annual_rate"])) == Decimal("0.0440")
        finally:  # put the shipped table back in force for the other tests of this worker's stack
            parameters.put_version("lpr_fixings", current["value"], effective_from=AFTER_LIMIT, actor=SYSTEM,
                                   comment="test restore")
    # the day before the new version's effective date the old one applied
    on_eve = admin.get(f"/parameters/lpr_fixings?on={(AFTER_LIMIT - timedelta(days=1)).isoformat()}").json()
    assert on_eve["version"] == current["version"]
    assert stored(dd["drawdown_id"])["pricing"]["benchmark_rate"] == Decimal("0.0290")


def test_malformed_documents_of_checked_parameters_are_refused_and_change_nothing(client):
    admin = client.as_user("province.admin")
    lpr = admin.get("/parameters/lpr_fixings").json()
    fixings = lpr["value"]["fixings"]
    cases = [
        ("lpr_fixings", {**lpr["value"], "fixings": fixings + [["2026-11-20", "three", "3.50"]]},
         "LPR_TABLE_INVALID", f"value.fixings[{len(fixings)}]"),
        ("lpr_fixings", {**lpr["value"], "fixings": fixings + [["2026-11-20", "3.00"]]},
         "LPR_TABLE_INVALID", f"value.fixings[{len(fixings)}]"),
        ("lpr_fixings", {**lpr["value"], "fixings": []}, "LPR_TABLE_INVALID", "value.fixings"),
        # dated after the version's effective date (the pinned business date 2026-11-30)
        ("lpr_fixings", {**lpr["value"], "fixings": fixings + [["2026-12-21", "3.00", "3.50"]]},
         "LPR_TABLE_INVALID", f"value.fixings[{len(fixings)}]"),
        ("classification_rule", {"dpd_more_than": {"special_mention": 0, "substandard": 90, "doubtful": 30,
                                                   "loss": 360}}, "CLASSIFICATION_RULE_INVALID", "value.dpd_more_than"),
        ("products", {"products": [{"product_code": "NH_XYD"}]}, "PRODUCTS_INVALID", "value"),
        # parsers failing with something else than ValidationFailed: still a 422, never a 500
        ("approval_rules", {"decision": {"nodes": "broken"}}, "PARAMETER_VALUE", "value.decision.nodes"),
        ("postloan_policy", {"inspection_interval_days": {"pass": "often"}}, "PARAMETER_VALUE",
         "value.inspection_interval_days.pass"),
        # documents that passed the parsers and then broke money paths (each was answered 201)
        ("lpr_fixings", {**lpr["value"], "fixings": fixings + [["2026-11-20", "9e999999", "3.50"]]},
         "LPR_TABLE_INVALID", f"value.fixings[{len(fixings)}]"),
        ("lpr_fixings", {**lpr["value"], "fixings": fixings + [["2026-11-20", "0.0345", "3.50"]]},
         "LPR_TABLE_INVALID", f"value.fixings[{len(fixings)}]"),
        ("products", _product_with(admin, pricing={"fixed_rate_default": "50"}), "PRODUCTS_INVALID",
         "value.products[0].pricing.fixed_rate_default"),
        ("products", _product_with(admin, repayment_allocation_order=["fees", "principal"]), "PRODUCTS_INVALID",
         "value.products[0].repayment_allocation_order"),
        ("products", _product_with(admin, day_count="BOGUS/1"), "PRODUCTS_INVALID", "value.products[0].day_count"),
        ("loan_workflow", {**admin.get("/parameters/loan_workflow").json()["value"],
                           "task_timeout_seconds": {"investigation": "abc"}}, "PARAMETER_VALUE",
         "value.task_timeout_seconds.investigation"),
        ("postloan_policy", {**admin.get("/parameters/postloan_policy").json()["value"], "reraise_after_days": "x"},
         "PARAMETER_VALUE", "value.reraise_after_days"),
        ("warning_rules", _purple_warning_rules(admin), "WARNING_RULES_INVALID",
         "value.decision.nodes[1].content.rules[0].out_level"),
        ("village_campaign", {**admin.get("/parameters/village_campaign").json()["value"], "notice_days": "x"},
         "PARAMETER_VALUE", "value.notice_days"),
        ("scorecard_custom", {"anything": "goes"}, "SCORECARD_INVALID", "value"),
    ]
    names = sorted({c[0] for c in cases})
    before = {name: _versions(admin, name) for name in names}
    for name, value, code, field in cases:
        r = admin.post(f"/parameters/{name}/versions",
                       json={"value": value, "effective_from": BUSINESS_DATE.isoformat(), "comment": "broken edit"})
        assert r.status_code == 422, (name, r.text)
        error = r.json()["error"]
        assert error["code"] == code and error["fields"][0]["field"] == field, (name, error)
    assert {name: _versions(admin, name) for name in names} == before
    assert admin.get("/parameters/lpr_fixings").json()["version"] == lpr["version"]
