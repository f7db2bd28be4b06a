"""The registry of parameter-document checks run before a new parameter version is stored."""
from __future__ import annotations

from datetime import date

import pytest
from pydantic import BaseModel

from chalicelib.data.parameters import default_document, list_names
from chalicelib.domain import parameter_checks
from chalicelib.domain.parameter_checks import CHECKS, check
from chalicelib.errors import ValidationFailed

DAY = date(2026, 11, 30)


def _refused(name: str, value: dict, effective_from: date = DAY) -> tuple[str, str, str]:
    with pytest.raises(ValidationFailed) as err:
        check(name, value, effective_from=effective_from)
    assert err.value.status == 422
    return err.value.code, err.value.fields[0].field, err.value.message


def _lpr(*extra_rows: list[str]) -> dict:
    doc = default_document("lpr_fixings")
    return {**doc, "fixings": [list(r) for r in doc["fixings"]] + [list(r) for r in extra_rows]}


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_every_registered_name_is_a_shipped_parameter_whose_default_passes(name):
    assert name in list_names()
    check(name, default_document(name), effective_from=DAY)  # raises if the shipped default were refused


def test_names_without_a_parser_accept_any_object():
    check("loan_workflow", {"anything": ["goes"]}, effective_from=DAY)
    check("test_param_x", {}, effective_from=DAY)


def test_a_new_lpr_fixing_passes_and_malformed_tables_keep_the_domain_code_with_the_field_under_value():
    check("lpr_fixings", _lpr(["2026-11-20", "3.00", "3.50"]), effective_from=DAY)
    assert _refused("lpr_fixings", _lpr(["2026-11-20", "three", "3.50"]))[:2] == ("LPR_TABLE_INVALID",
                                                                                 "value.fixings[85]")
    assert _refused("lpr_fixings", _lpr(["2026-11-20", "3.00"]))[:2] == ("LPR_TABLE_INVALID", "value.fixings[85]")
    assert _refused("lpr_fixings", _lpr(["2026-08-20", "2.90", "3.40"]))[:2] == ("LPR_TABLE_INVALID",
                                                                                "value.fixings")  # duplicate date
    assert _refused("lpr_fixings", {"fixings": []})[:2] == ("LPR_TABLE_INVALID", "value.fixings")
    assert _refused("lpr_fixings", {**_lpr(), "as_of": "2026-02-30"})[:2] == ("LPR_TABLE_INVALID", "value.as_of")


def test_an_lpr_fixing_or_as_of_after_the_effective_date_is_refused():
    # a typo such as 2062 for 2026 would otherwise keep the table from ever going stale
    code, field, message = _refused("lpr_fixings", _lpr(["2026-12-21", "3.00", "3.50"]))
    assert (code, field) == ("LPR_TABLE_INVALID", "value.fixings[85]") and "2026-12-21" in message
    check("lpr_fixings", _lpr(["2026-12-21", "3.00", "3.50"]), effective_from=date(2026, 12, 21))
    assert _refused("lpr_fixings", {**_lpr(), "as_of": "2026-12-01"})[:2] == ("LPR_TABLE_INVALID", "value.as_of")


def test_rates_sent_as_json_numbers_are_checked_as_the_store_returns_them():
    # the store keeps fractions as Decimal and reads them back as strings, which parse_lpr_table accepts
    check("lpr_fixings", _lpr(["2026-11-20", 3.0, 3.5]), effective_from=DAY)


def test_other_parsers_keep_their_codes():
    rule = {"dpd_more_than": {"special_mention": 0, "substandard": 90, "doubtful": 30, "loss": 360}}
    assert _refused("classification_rule", rule)[:2] == ("CLASSIFICATION_RULE_INVALID", "value.dpd_more_than")
    assert _refused("scorecard_expert", {"scorecard_id": "x"})[:2] == ("SCORECARD_INVALID", "value")
    assert _refused("credit_line_policy", {"policy_id": "x"})[:2] == ("CREDIT_LINE_POLICY_INVALID", "value")
    assert _refused("credit_evaluation", {"household": 1})[:2] == ("EVALUATION_POLICY_INVALID", "value")
    assert _refused("warning_rules", {"decision": {"nodes": "broken"}})[:2] == ("WARNING_RULES_INVALID", "value")
    products = default_document("products")
    broken = {**products, "products": [{**products["products"][0], "term_months": {"min": 0, "max": 12}}]}
    assert _refused("products", broken)[0] == "PRODUCTS_INVALID"


def test_a_broken_approval_rule_graph_is_refused_with_a_short_message():
    code, field, message = _refused("approval_rules", {"decision": {"nodes": "broken"}})
    assert (code, field) == ("PARAMETER_VALUE", "value.decision")
    assert "nodes" in message and "Stack backtrace" not in message and len(message) < 400
    assert _refused("approval_rules", {"rule_set": "no graph"})[:2] == ("PARAMETER_VALUE", "value.decision")


def test_other_exceptions_of_a_parser_become_parameter_value_with_the_field(monkeypatch):
    # PostLoanPolicy.from_document raises a bare ValueError for a non-integer interval
    assert _refused("postloan_policy", {"inspection_interval_days": {"pass": "often"}})[:2] == ("PARAMETER_VALUE",
                                                                                               "value")
    # load_products fails with AttributeError when "products" is not a list of objects
    assert _refused("products", {"products": "NH_XYD"})[:2] == ("PARAMETER_VALUE", "value")

    class Limits(BaseModel):
        cap: int

    class Doc(BaseModel):
        limits: list[Limits]

    monkeypatch.setitem(parameter_checks.CHECKS, "test_doc", lambda doc, _day: Doc.model_validate(doc))
    assert _refused("test_doc", {"limits": [{"cap": 1}, {"cap": "x"}]})[:2] == ("PARAMETER_VALUE",
                                                                               "value.limits[1].cap")
    monkeypatch.setitem(parameter_checks.CHECKS, "test_doc", lambda doc, _day: doc["threshold"])
    assert _refused("test_doc", {})[:2] == ("PARAMETER_VALUE", "value.threshold")
