"""The LPR fixings are the versioned parameter ``lpr_fixings``: operations add a monthly fixing through the API
(no deploy), drawdowns are priced with the version in force and record it; malformed documents are refused."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.integration.loans_support import (
    BUSINESS_DATE,
    business_date,
    drawdown_body,
    make_borrower,
    pinned_date,
    request,
    stored,
    wait_status,
)

pytestmark = pytest.mark.usefixtures(pinned_date.__name__)

#: The table in force for the first test lacks the fixing published 2026-12-21 (overdue from 12-22, refused after
#: pricing.lpr_grace_days = 10, i.e. from 2027-01-01).
AFTER_LIMIT = date(2027, 1, 4)
#: A synthetic fixing for the test (not a published rate): different from 3.00 / 3.50 so the price shows it is used.
NEW_FIXING = ["2026-12-21", "2.90", "3.40"]


def _through(day: date) -> dict:
    """The shipped table with the last fixing carried forward to ``day`` (rows marked as not published)."""
    from chalicelib.platform import parameters
    from infra.lpr_cli import carried_forward

    return carried_forward(parameters.default_document("lpr_fixings"), day)[0]


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
    from chalicelib.platform import parameters
    from chalicelib.platform.access import SYSTEM

    admin = client.as_user("province.admin")
    b = make_borrower(limit="100000", subs={"NH_XYD": "100000"})
    in_force_before = parameters.get_effective("lpr_fixings", AFTER_LIMIT)["value"]
    parameters.put_version("lpr_fixings", _through(date(2026, 11, 30)), effective_from=AFTER_LIMIT, actor=SYSTEM,
                           comment="test: a table whose last fixing is of 2026-11-20")
    try:
        with business_date(AFTER_LIMIT):
            current = admin.get("/parameters/lpr_fixings").json()
            assert current["value"]["fixings"][-1][0] == "2026-11-20"
            refused = request(client, "am.nongan", drawdown_body(b["line_id"]))
            assert refused.status_code == 422 and refused.json()["error"]["code"] == "LPR_TABLE_STALE"
            details = refused.json()["error"]["details"]
            assert details["missing_fixings"] == ["2026-12-21"] and details["refused_from"] == "2027-01-01"
            assert "lpr add 2026-12-21" in refused.json()["error"]["message"]

            document = {**current["value"], "fixings": current["value"]["fixings"] + [NEW_FIXING]}
            added = admin.post("/parameters/lpr_fixings/versions",
                               json={"value": document, "effective_from": AFTER_LIMIT.isoformat(),
                                     "comment": "LPR fixing of 2026-12-21"})
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
            assert dd["pricing"]["benchmark_fixing_date"] == "2026-12-21" and "lpr_overdue_since" not in dd["pricing"]
            assert dd["parameter_versions"]["lpr_fixings"] == version
            done = wait_status(dd["drawdown_id"], "DISBURSED", "DISBURSEMENT_FAILED", "DECLINED",
                               "PENDING_INVESTIGATION")
            assert done["status"] == "DISBURSED"
            assert done["parameter_versions"]["lpr_fixings"] == version  # kept through approval and contract
            from chalicelib.loans.data import loans

            assert Decimal(str(loans.get(done["loan_id"])["annual_rate"])) == Decimal("0.0440")
    finally:  # put the table that was in force back for the other tests of this worker's stack
        parameters.put_version("lpr_fixings", in_force_before, effective_from=AFTER_LIMIT, actor=SYSTEM,
                               comment="test restore")
    # the day before the new version's effective date the old one applied
    on_eve = admin.get(f"/parameters/lpr_fixings?on={(AFTER_LIMIT - timedelta(days=1)).isoformat()}").json()
    assert on_eve["version"] < current["version"]
    assert stored(dd["drawdown_id"])["pricing"]["benchmark_rate"] == Decimal("0.0290")


def test_malformed_documents_of_checked_parameters_are_refused_and_change_nothing(client):
    admin = client.as_user("province.admin")
    lpr = admin.get("/parameters/lpr_fixings").json()
    fixings = lpr["value"]["fixings"]
    cases = [
        ("lpr_fixings", {**lpr["value"], "fixings": fixings + [["2026-11-27", "three", "3.50"]]},
         "LPR_TABLE_INVALID", f"value.fixings[{len(fixings)}]"),
        ("lpr_fixings", {**lpr["value"], "fixings": fixings + [["2026-11-27", "3.00"]]},
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
        ("lpr_fixings", {**lpr["value"], "fixings": fixings + [["2026-11-27", "9e999999", "3.50"]]},
         "LPR_TABLE_INVALID", f"value.fixings[{len(fixings)}]"),
        ("lpr_fixings", {**lpr["value"], "fixings": fixings + [["2026-11-27", "0.0345", "3.50"]]},
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


def test_within_the_grace_period_drawdowns_are_priced_and_operations_are_warned(client, stack, capfd, caplog):
    """The fixing of 2026-12-21 is missing from the table in force on 2026-12-28: overdue since 12-22, so the
    daily check and the drawdown warn (log and metric LprFixingOverdue) while pricing goes on until 2027-01-01."""
    import json
    import os

    from chalicelib.platform import parameters
    from chalicelib.platform.access import SYSTEM
    from infra.local.scheduler import fire
    from infra.local.stack import Schedule

    day = date(2026, 12, 28)
    b = make_borrower(limit="100000", subs={"NH_XYD": "100000"})
    in_force_before = parameters.get_effective("lpr_fixings", day)["value"]
    parameters.put_version("lpr_fixings", _through(date(2026, 12, 1)), effective_from=day, actor=SYSTEM,
                           comment="test: a table whose last fixing is of 2026-11-20")
    metrics_were = os.environ.get("POWERTOOLS_METRICS_DISABLED")
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "false"
    try:
        with business_date(day):
            capfd.readouterr()
            check = next(Schedule(**s.__dict__) for s in stack.schedules if s.name == "LprFixingCheckDaily")
            result = fire(stack, check)
            assert result["status"] == "overdue" and result["missing_fixings"] == ["2026-12-21"]
            assert result["overdue_since"] == "2026-12-22" and result["days_overdue"] == 7
            assert result["refused_from"] == "2027-01-01" and result["business_date"] == day.isoformat()
            r = request(client, "am.nongan", drawdown_body(b["line_id"], amount="3000.00"))
            assert r.status_code == 202, r.text
            assert r.json()["pricing"]["lpr_overdue_since"] == "2026-12-22"
            assert r.json()["pricing"]["benchmark_fixing_date"] == "2026-11-20"
            out = capfd.readouterr().out
    finally:
        os.environ["POWERTOOLS_METRICS_DISABLED"] = metrics_were or "true"
        parameters.put_version("lpr_fixings", in_force_before, effective_from=day, actor=SYSTEM,
                               comment="test restore")
    emf = [json.loads(line) for line in out.splitlines() if '"LprFixingOverdue"' in line and line.startswith("{")
           and '"_aws"' in line]
    assert [m["LprFixingOverdue"] for m in emf] == [[7.0], [7.0]]  # the daily check, then the drawdown
    assert emf[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "VillageCredit" and emf[0]["service"]
    warnings = [r for r in caplog.records if r.getMessage().startswith("LPR fixing overdue")]
    assert [(w.levelname, w.where) for w in warnings] == [("WARNING", "daily check"), ("WARNING", "drawdown")]
    assert warnings[0].missing_fixings == ["2026-12-21"] and warnings[0].refused_from == "2027-01-01"
