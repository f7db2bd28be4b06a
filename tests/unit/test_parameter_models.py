"""The parameter models (each context's domain/parameters.py, registered with chalicelib.platform.parameter_models)
and the checks run before a new parameter version is stored (chalicelib.platform.parameters.check_document)."""
from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal

import pytest
from pydantic import BaseModel

from chalicelib.platform import parameter_models, parameter_storable
from chalicelib.platform.errors import ValidationFailed
from chalicelib.platform.parameter_models import ParameterDocument, model_for, parameter_document
from chalicelib.platform.parameters import check_document, default_document, list_names
from chalicelib.routes import load_parameter_models

DAY = date(2026, 11, 30)
load_parameter_models()
#: Every name a context models: the shipped documents (the scorecard prefix models scorecard_expert).
MODELLED = sorted(n for n in list_names() if model_for(n) is not None)


def check(name: str, value: dict, *, effective_from: date) -> None:
    check_document(name, value, effective_from=effective_from)


def _refused(name: str, value: dict, effective_from: date = DAY) -> tuple[str, str, str]:
    with pytest.raises(ValidationFailed) as err:
        check(name, value, effective_from=effective_from)
    assert err.value.status == 422
    return err.value.code, err.value.fields[0].field, err.value.message


def _lpr(*extra_rows: list[str]) -> dict:
    doc = default_document("lpr_fixings")
    return {**doc, "fixings": [list(r) for r in doc["fixings"]] + [list(r) for r in extra_rows]}


def test_every_shipped_document_has_a_model():
    assert list_names() == MODELLED


@pytest.mark.parametrize("name", MODELLED)
def test_every_registered_name_is_a_shipped_parameter_whose_default_passes(name):
    assert name in list_names()
    check(name, default_document(name), effective_from=DAY)  # raises if the shipped default were refused


def test_names_without_a_parser_accept_any_object():
    check("approval_authority", {"anything": ["goes"]}, effective_from=DAY)
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
    assert (code, field) == ("PARAMETER_VALUE", "value.decision.nodes") and "nodes" in message
    assert _refused("approval_rules", {"decision": {"nodes": []}})[:2] == ("PARAMETER_VALUE", "value.decision.edges")
    assert _refused("approval_rules", {"decision": ["nodes"]})[:2] == ("PARAMETER_VALUE", "value.decision")
    assert _refused("approval_rules", {"rule_set": "no graph"})[:2] == ("PARAMETER_VALUE", "value.decision")
    # well-formed lists the engine cannot compile (a node without an id): the engine's words, one short line
    code, field, message = _refused("approval_rules", {"decision": {"nodes": [{"type": "inputNode"}], "edges": []}})
    assert (code, field) == ("PARAMETER_VALUE", "value.decision") and "cannot be compiled" in message
    assert "Stack backtrace" not in message and "\n" not in message and len(message) < 400


def test_other_exceptions_of_a_parser_become_parameter_value_with_the_field(monkeypatch):
    # a non-integer interval is refused by the model's field type (a wrong value is named before the members
    # this partial document leaves out)
    assert _refused("postloan_policy", {"inspection_interval_days": {"pass": "often"}})[:2] == (
        "PARAMETER_VALUE", "value.inspection_interval_days.pass")
    # load_products (the products model's rules) fails with AttributeError when "products" is not a list of
    # objects: the whole document is named
    assert _refused("products", {"products": "NH_XYD"})[:2] == ("PARAMETER_VALUE", "value")

    class Limits(BaseModel):
        cap: int

    monkeypatch.setattr(parameter_models, "_MODELS", {**parameter_models._MODELS})

    @parameter_document("test_doc")
    class Doc(ParameterDocument):
        limits: list[Limits]

    assert _refused("test_doc", {"limits": [{"cap": 1}, {"cap": "x"}]})[:2] == ("PARAMETER_VALUE",
                                                                               "value.limits[1].cap")
    @parameter_document("test_doc_threshold")
    class Threshold(ParameterDocument):
        threshold: int

    assert _refused("test_doc_threshold", {})[:2] == ("PARAMETER_VALUE", "value.threshold")


# --------------------------------------------------------------------- documents the store cannot keep as sent
@pytest.mark.parametrize("number, why", [
    (Decimal("NaN"), "finite"), (Decimal("Infinity"), "finite"), (Decimal("-Infinity"), "finite"),
    (float("nan"), "finite"), (float("inf"), "finite"),
    (Decimal("1E+400"), "range"), (Decimal("-1E+400"), "range"), (Decimal("1E-200"), "range"), (1e-200, "range"),
    (10 ** 40, "digits"), (Decimal("123456789012345678901234567890123456789012.5"), "digits"),
])
def test_numbers_dynamodb_cannot_store_are_refused_with_their_path(number, why):
    code, field, message = _refused("test_param_x", {"a": {"x": [1, number]}})
    assert (code, field) == ("PARAMETER_VALUE", "value.a.x[1]") and why in message


def test_numbers_dynamodb_can_store_pass():
    check("test_param_x", {"n": [10 ** 38 - 1, Decimal("1E-130"), Decimal("9.9E+125"), Decimal("0"), -7,
                                 Decimal("0.1234567890123456789012345678901234567"), 0.5, True, None]},
          effective_from=DAY)


def test_text_that_is_not_unicode_is_refused_in_values_and_keys():
    assert _refused("test_param_x", {"x": "\ud800"})[:2] == ("PARAMETER_VALUE", "value.x")
    code, field, message = _refused("test_param_x", {"a": {"\udfff": 1}})
    assert (code, field) == ("PARAMETER_VALUE", "value.a.\\udfff")
    field.encode("utf-8") and message.encode("utf-8")  # safe to answer with: no lone surrogate echoed


def test_nesting_deeper_than_dynamodb_keeps_is_refused_without_recursion():
    def nested(depth):
        doc = {}
        for _ in range(depth - 1):  # the document itself is the first level
            doc = {"a": doc}
        return doc

    check("test_param_x", nested(31), effective_from=DAY)  # 31 objects around a scalar: 32 DynamoDB levels
    code, field, _ = _refused("test_param_x", nested(32))
    assert code == "PARAMETER_VALUE" and field == "value" + ".a" * 31
    arrays = {"x": []}
    for _ in range(5000):
        arrays = {"x": [arrays]}
    assert _refused("test_param_x", arrays)[0] == "PARAMETER_VALUE"


def test_documents_larger_than_the_limit_are_refused():
    check("test_param_x", {"x": "a" * (parameter_storable.MAX_DOCUMENT_BYTES - 20)}, effective_from=DAY)
    code, field, message = _refused("test_param_x", {"x": "a" * 500_000})
    assert (code, field) == ("PARAMETER_VALUE", "value") and "at most 204800" in message
    # counted as UTF-8: 100,000 Chinese characters are 300,000 bytes
    assert _refused("test_param_x", {"x": "贷" * 100_000})[:2] == ("PARAMETER_VALUE", "value")


# ------------------------------------------------------------------------- documents that break money paths
def _with(name: str, **changes) -> dict:
    return {**default_document(name), **changes}


@pytest.mark.parametrize("changes, field", [
    ({"task_timeout_seconds": {"investigation": "abc", "review": 172800, "approval": 172800}},
     "value.task_timeout_seconds.investigation"),
    ({"task_timeout_seconds": {"investigation": 0}}, "value.task_timeout_seconds.investigation"),
    ({"task_timeout_seconds": {"investigation": 1.5}}, "value.task_timeout_seconds.investigation"),
    ({"task_timeout_seconds": {"investigaton": 3600}}, "value.task_timeout_seconds.investigaton"),
    ({"task_timeout_seconds": "3 days"}, "value.task_timeout_seconds"),
    ({"query_wait_seconds": []}, "value.query_wait_seconds"),
    ({"query_wait_seconds": [5, -1]}, "value.query_wait_seconds[1]"),
    ({"query_wait_seconds": "5"}, "value.query_wait_seconds"),
    ({"max_escalations": -1}, "value.max_escalations"),
    ({"max_escalations": 100}, "value.max_escalations"),
    ({"max_escalations": True}, "value.max_escalations"),
    ({"sms": {"approved": 1}}, "value.sms.approved"),
])
def test_a_loan_workflow_that_would_break_drawdowns_is_refused(changes, field):
    from chalicelib.loans.domain.parameters import LoanWorkflow

    assert _refused("loan_workflow", _with("loan_workflow", **changes))[:2] == ("PARAMETER_VALUE", field)
    # every stage names its timeout (no default outside the shipped document)
    good = _with("loan_workflow", task_timeout_seconds={"investigation": 60, "review": 60, "approval": 60},
                 query_wait_seconds=[1], max_escalations=0)
    check("loan_workflow", good, effective_from=DAY)
    assert LoanWorkflow.model_validate(good).state_machine_config()["timeouts"]["investigation"] == 60


@pytest.mark.parametrize("changes, field", [
    ({"reraise_after_days": "x"}, "value.reraise_after_days"),
    ({"reraise_after_days": 1.5}, "value.reraise_after_days"),
    ({"reraise_after_days": 1000000000}, "value.reraise_after_days"),
    ({"first_inspection_within_days": 0}, "value.first_inspection_within_days"),
    ({"line_expiring_window_days": 100000}, "value.line_expiring_window_days"),
    ({"overdue_reminder_dpd": [1, "x"]}, "value.overdue_reminder_dpd[1]"),
    ({"repayment_reminder_days_before": 7}, "value.repayment_reminder_days_before"),
    ({"inspection_interval_days": {"pass": -5}}, "value.inspection_interval_days.pass"),
    ({"inspection_interval_days": {"passed": 90}}, "value.inspection_interval_days.passed"),
    ({"notify_levels": ["purple"]}, "value.notify_levels"),
    ({"new_window_days": -1}, "value.new_window_days"),
])
def test_a_postloan_policy_with_day_counts_out_of_range_is_refused(changes, field):
    assert _refused("postloan_policy", _with("postloan_policy", **changes))[:2] == ("PARAMETER_VALUE", field)
    check("postloan_policy", _with("postloan_policy", reraise_after_days=0, overdue_reminder_every_days_after=0),
          effective_from=DAY)


def _warning_table(doc: dict) -> dict:
    return next(n for n in doc["decision"]["nodes"] if n["type"] == "decisionTableNode")["content"]


def test_warning_rules_whose_outputs_the_scan_would_refuse_are_refused_when_stored():
    from chalicelib.postloan.domain.warning_rules import WarningRuleSet, WarningRulesInvalid

    doc = default_document("warning_rules")
    purple = copy.deepcopy(doc)
    _warning_table(purple)["rules"][0]["out_level"] = '"purple"'
    with pytest.raises(WarningRulesInvalid):  # what the scan does with it: fails
        WarningRuleSet(purple).evaluate("loan", {"dpd": 5})
    assert _refused("warning_rules", purple)[:2] == ("WARNING_RULES_INVALID",
                                                     "value.decision.nodes[1].content.rules[0].out_level")
    cases = [("out_rule_id", '""'), ("out_rule_id", "dpd"), ("out_level", "dpd > 90 ? 'red' : 'orange'"),
             ("in_subject_type", '"farm"'), ("in_subject_type", "")]
    for column, cell in cases:
        broken = copy.deepcopy(doc)
        _warning_table(broken)["rules"][3][column] = cell
        assert _refused("warning_rules", broken)[:2] == (
            "WARNING_RULES_INVALID", f"value.decision.nodes[1].content.rules[3].{column}"), (column, cell)
    several = copy.deepcopy(doc)
    _warning_table(several)["rules"][3]["in_subject_type"] = '"loan", "household"'
    check("warning_rules", several, effective_from=DAY)
    no_level = copy.deepcopy(doc)
    _warning_table(no_level)["outputs"] = [o for o in _warning_table(no_level)["outputs"] if o["field"] != "level"]
    assert _refused("warning_rules", no_level)[:2] == ("WARNING_RULES_INVALID",
                                                       "value.decision.nodes[1].content.outputs")
    function = copy.deepcopy(doc)
    function["decision"]["nodes"].append({"id": "f", "type": "functionNode", "name": "f",
                                          "content": "export const handler = () => ({level: 'purple'})"})
    assert _refused("warning_rules", function)[:2] == ("WARNING_RULES_INVALID", "value.decision.nodes[3]")


@pytest.mark.parametrize("rate", ["9e999999", "1e3", "3.45e0", "0.0345", "34.5", "25", "0.4", "3.123456", "-3.0"])
def test_lpr_fixings_outside_a_plausible_percent_range_or_not_plain_are_refused(rate):
    code, field, _message = _refused("lpr_fixings", _lpr(["2026-11-20", rate, "3.50"]))
    assert (code, field) == ("LPR_TABLE_INVALID", "value.fixings[85]")
    assert _refused("lpr_fixings", _lpr(["2026-11-20", "3.00", rate]))[:2] == ("LPR_TABLE_INVALID",
                                                                                "value.fixings[85]")


def test_lpr_fixings_at_the_bounds_pass():
    check("lpr_fixings", _lpr(["2026-11-20", "0.5", "20"]), effective_from=DAY)
    check("lpr_fixings", _lpr(["2026-11-20", 3, "3.5000"]), effective_from=DAY)


def _product(index: int = 0, **changes) -> dict:
    doc = copy.deepcopy(default_document("products"))
    product = doc["products"][index]
    for key, value in changes.items():
        product[key] = {**product[key], **value} if isinstance(value, dict) and isinstance(product.get(key), dict) \
            else value
    return doc


@pytest.mark.parametrize("changes, field", [
    ({"pricing": {"fixed_rate_default": "50"}}, "pricing.fixed_rate_default"),
    ({"pricing": {"fixed_rate_default": "0"}}, "pricing.fixed_rate_default"),
    ({"pricing": {"fixed_rate_default": "0.25"}}, "pricing.fixed_rate_default"),
    ({"pricing": {"default_mode": "fixed", "fixed_rate_default": None}}, "pricing.fixed_rate_default"),
    ({"pricing": {"default_spread_bps": 1000000}}, "pricing.default_spread_bps"),
    ({"pricing": {"default_spread_bps": -500}}, "pricing.default_spread_bps"),
    ({"pricing": {"benchmark": "SHIBOR"}}, "pricing.benchmark"),
    ({"pricing": {"lpr_grace_days": 100000000000}}, "pricing.lpr_grace_days"),
    ({"repayment_allocation_order": ["fees", "principal"]}, "repayment_allocation_order"),
    ({"repayment_allocation_order": ["principal", "principal", "interest"]}, "repayment_allocation_order"),
    ({"day_count": "BOGUS/1"}, "day_count"),
    ({"penalty_rate_uplift": "-0.1"}, "penalty_rate_uplift"),
    ({"penalty_rate_uplift": "50"}, "penalty_rate_uplift"),
    ({"grace_days": -1}, "grace_days"),
    ({"grace_days": 31}, "grace_days"),
    ({"amount": {"min": "5000", "max": "1000"}}, "amount"),
    ({"amount": {"min": "0", "max": "1000"}}, "amount.min"),
    ({"amount": {"min": "1000", "max": "9e999999"}}, "amount.max"),
    ({"amount": {"min": "1000.001", "max": "5000"}}, "amount.min"),
    ({"entrusted_payment_threshold": "-1"}, "entrusted_payment_threshold"),
    ({"term_months": {"min": 12, "max": 6}}, "term_months"),
    ({"max_loan_to_value": "1.5"}, "max_loan_to_value"),
])
def test_products_that_would_price_or_book_loans_wrongly_are_refused_with_the_field(changes, field):
    from chalicelib.loans.domain.products import load_products

    code, got, _ = _refused("products", _product(1, **changes))
    assert (code, got) == ("PRODUCTS_INVALID", f"value.products[1].{field}")
    with pytest.raises(ValidationFailed):  # the same rule when a drawdown reads the document
        load_products(_product(1, **changes))


def test_products_at_the_bounds_pass():
    doc = _product(0, pricing={"default_mode": "fixed", "fixed_rate_default": "0.24", "default_spread_bps": 1500},
                   repayment_allocation_order=["principal", "interest", "penalty"], day_count="30/360",
                   penalty_rate_uplift="1", grace_days=30, amount={"min": "0.01", "max": "0.01"})
    check("products", doc, effective_from=DAY)


@pytest.mark.parametrize("changes, field", [
    ({"notice_days": "x"}, "value.notice_days"),
    ({"notice_days": 0}, "value.notice_days"),
    ({"confirmation_margin_days": 1.5}, "value.confirmation_margin_days"),
    ({"batch_size": 0}, "value.batch_size"),
    ({"max_concurrency": 1000}, "value.max_concurrency"),
    ({"scorecard_parameter": "products"}, "value.scorecard_parameter"),
    ({"scorecard_parameter": "scorecard_Custom"}, "value.scorecard_parameter"),
    ({"scorecard_parameter": 7}, "value.scorecard_parameter"),
    ({"rate_statuses": ["draft", "approved"]}, "value.rate_statuses"),
    ({"challenger": {"model_id": "m"}}, "value.challenger"),
    ({"residents_committee_institutions": "JL-220122"}, "value.residents_committee_institutions"),
    ({"residents_committee_institutions": ["JL-220122", "JL-220122"]}, "value.residents_committee_institutions"),
    ({"residents_committee_institutions": ["220122"]}, "value.residents_committee_institutions"),
    ({"residents_committee_institutions": [True]}, "value.residents_committee_institutions"),
])
def test_a_village_campaign_document_out_of_range_is_refused(changes, field):
    assert _refused("village_campaign", _with("village_campaign", **changes))[:2] == ("PARAMETER_VALUE", field)
    check("village_campaign", _with("village_campaign", scorecard_parameter="scorecard_custom",
                                    challenger={"model_id": "m", "version": "1"},
                                    residents_committee_institutions=["JL-220122", "JL-220182"]),
          effective_from=DAY)


def test_every_scorecard_name_is_checked_as_a_scorecard():
    assert _refused("scorecard_custom", {"anything": "goes"})[0] == "SCORECARD_INVALID"
    check("scorecard_custom", default_document("scorecard_expert"), effective_from=DAY)
    assert model_for("scorecards_list") is None  # the prefix is "scorecard_"
