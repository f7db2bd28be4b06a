"""Post-loan domain: loan facts from installments, reminders, inspection plans, portfolios, the warning
rules (zen-engine decision table) and notification templates. No sockets."""
from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from chalicelib.postloan.domain import notification_templates as nt
from chalicelib.postloan.domain.classification import Category
from chalicelib.postloan.domain.postloan import (
    Portfolio,
    PostLoanPolicy,
    at_risk,
    institution_of,
    loan_facts,
    next_inspection_due,
    overdue_reminder_due,
    stable_id,
    visit_time,
)
from chalicelib.postloan.domain.warning_rules import WarningRuleSet, WarningRulesInvalid

PARAMS = Path(__file__).resolve().parents[2] / "chalicelib" / "reference" / "parameters"
ORG = "/JL/JL-220122/JL-220122-102/JL-220122-102-01/"


def _doc(name: str) -> dict:
    return json.loads((PARAMS / f"{name}.json").read_text(encoding="utf-8"))


def _shipped_policy() -> PostLoanPolicy:
    """The policy of the shipped ``postloan_policy`` document (no defaults exist outside it)."""
    from chalicelib.platform.parameter_models import parse
    from chalicelib.postloan.domain.parameters import PostLoanPolicyDocument

    return parse("postloan_policy", _doc("postloan_policy"), PostLoanPolicyDocument).policy


def _inst(n: int, due: str, principal: str, interest: str, **paid) -> dict:
    return {"number": n, "due_date": due, "principal": Decimal(principal), "interest": Decimal(interest),
            "paid_principal": Decimal(paid.get("pp", "0")), "paid_interest": Decimal(paid.get("pi", "0")),
            "status": paid.get("status", "open")}


LOAN = {"loan_id": "LA123456789", "household_id": "HH1", "org_path": ORG, "principal": Decimal("3000"),
        "outstanding_principal": Decimal("3000"), "annual_rate": Decimal("0.06"), "start_date": "2025-01-15",
        "installments": [_inst(1, "2025-02-15", "1000", "15"), _inst(2, "2025-03-15", "1000", "10"),
                         _inst(3, "2025-04-15", "1000", "5")]}


# ------------------------------------------------------------------------------------------------ facts
def test_facts_before_the_first_due_date():
    f = loan_facts(LOAN, date(2025, 2, 8))
    assert f.dpd == 0 and f.oldest_unpaid_due_date is None
    assert f.next_due_date == date(2025, 2, 15) and f.next_due_amount == Decimal("1015")
    assert f.overdue_principal == 0 and f.overdue_interest == 0


def test_an_installment_due_today_is_not_yet_overdue():
    f = loan_facts(LOAN, date(2025, 2, 15))
    assert f.dpd == 0 and f.overdue_principal == 0
    assert f.oldest_unpaid_due_date == date(2025, 2, 15)


def test_overdue_amounts_count_every_installment_due_before_the_date():
    f = loan_facts(LOAN, date(2025, 3, 20))
    assert f.dpd == 33  # from the oldest unpaid due date, 2025-02-15
    assert f.overdue_principal == Decimal("2000") and f.overdue_interest == Decimal("25")
    assert f.next_due_date == date(2025, 4, 15)


def test_paid_and_partly_paid_installments():
    loan = {**LOAN, "installments": [_inst(1, "2025-02-15", "1000", "15", pp="1000", pi="15", status="paid"),
                                     _inst(2, "2025-03-15", "1000", "10", pp="400", pi="10"),
                                     _inst(3, "2025-04-15", "1000", "5")]}
    f = loan_facts(loan, date(2025, 3, 20))
    assert f.dpd == 5 and f.overdue_principal == Decimal("600") and f.overdue_interest == 0


def test_summary_fields_when_installments_are_not_on_the_item():
    loan = {k: v for k, v in LOAN.items() if k != "installments"}
    loan.update(oldest_unpaid_due_date="2025-02-15", overdue_principal="1000", overdue_interest="15",
                next_due_date="2025-03-15", next_due_amount="1010")
    f = loan_facts(loan, date(2025, 2, 20))
    assert f.dpd == 5 and f.overdue_principal == Decimal("1000") and f.next_due_date == date(2025, 3, 15)


def test_institution_of_an_org_path():
    assert institution_of(ORG) == "JL-220122"
    with pytest.raises(ValueError):
        institution_of("/JL/")


def test_at_risk_means_overdue_or_not_pass():
    assert not at_risk(0, "pass")
    assert at_risk(1, "pass") and at_risk(0, Category.SPECIAL_MENTION)


def test_stable_ids_are_deterministic():
    assert stable_id("a", 1) == stable_id("a", 1) != stable_id("a", 2)


# ------------------------------------------------------------------------------------------------ policy
def test_policy_from_the_shipped_document():
    pol = _shipped_policy()
    assert pol.first_inspection_within_days == 30
    assert pol.inspection_interval_days["substandard"] == 30
    assert pol.repayment_reminder_days_before == (7, 1)
    assert pol.reraise_after_days == 30


@pytest.mark.parametrize("dpd,expected", [(0, False), (1, True), (2, False), (30, True), (90, True), (91, False),
                                          (120, True), (150, True), (151, False)])
def test_overdue_reminder_days(dpd, expected):
    assert overdue_reminder_due(_shipped_policy(), dpd) is expected


def test_first_inspection_then_periodic_by_classification():
    pol = _shipped_policy()
    kind, due = next_inspection_due(pol, category="pass", disbursed_on=date(2025, 1, 15), last_inspected_on=None,
                                    today=date(2025, 1, 16))
    assert (kind, due) == ("first", date(2025, 2, 14))
    kind, due = next_inspection_due(pol, category="substandard", disbursed_on=date(2025, 1, 15),
                                    last_inspected_on=date(2025, 6, 1), today=date(2025, 6, 1))
    assert (kind, due) == ("periodic", date(2025, 7, 1))


def test_portfolio_rates_are_balance_weighted():
    p = Portfolio()
    p.add(outstanding=Decimal("9000"), dpd=0, category="pass", org_path=ORG, account_manager_id="am1")
    p.add(outstanding=Decimal("1000"), dpd=120, category="substandard", org_path=ORG, account_manager_id="am2")
    p.add(outstanding=Decimal("0"), dpd=5, category="special_mention", org_path=ORG, account_manager_id="am1")
    assert p.loan_count == 3 and p.overdue_count == 2
    assert p.overdue_rate == Decimal("0.1000") and p.npl_rate == Decimal("0.1000")
    assert p.main_manager == "am1"
    assert Portfolio.from_dict(json.loads(json.dumps(p.to_dict()))).to_dict() == p.to_dict()


# ------------------------------------------------------------------------------------------------ rules
@pytest.fixture(scope="module")
def rules() -> WarningRuleSet:
    return WarningRuleSet(_doc("warning_rules"), version=1)


@pytest.mark.parametrize("dpd,level", [(0, None), (1, "yellow"), (30, "yellow"), (31, "orange"), (90, "orange"),
                                       (91, "red"), (400, "red")])
def test_overdue_rule_takes_the_strictest_level(rules, dpd, level):
    fired = {f.rule_id: f for f in rules.evaluate("loan", {"dpd": dpd})}
    assert (fired["OVERDUE"].level if "OVERDUE" in fired else None) == level


def test_loan_rules(rules):
    fired = {f.rule_id: f.level for f in rules.evaluate("loan", {
        "dpd": 0, "interest_arrears": Decimal("12.50"), "inspection_overdue_days": 31, "purpose_confirmed": False})}
    assert fired == {"INTEREST_ARREARS": "yellow", "INSPECTION_OVERDUE": "orange", "PURPOSE_UNCONFIRMED": "orange"}
    assert rules.evaluate("loan", {"dpd": 0, "interest_arrears": 0, "inspection_overdue_days": 0,
                                   "purpose_confirmed": None}) == []


def test_rules_apply_only_to_their_subject_type(rules):
    # a household with 45 "dpd" does not fire the loan rule
    assert rules.evaluate("household", {"dpd": 45}) == []


def test_household_rules(rules):
    fired = {f.rule_id: f.level for f in rules.evaluate("household", {
        "judicial_listed": True, "line_days_to_expiry": 30, "rating_expired_days": 3, "active_loans": 2,
        "draw_repay_cycles": 3})}
    assert fired == {"JUDICIAL": "red", "LINE_EXPIRING": "yellow", "RATING_EXPIRED": "orange", "CYCLING": "yellow"}
    fired = {f.rule_id: f.level for f in rules.evaluate("household", {
        "judicial_listed": False, "line_days_to_expiry": 31, "rating_expired_days": 3, "active_loans": 0,
        "draw_repay_cycles": 2})}
    assert fired == {"RATING_EXPIRED": "yellow"}


def test_portfolio_rules(rules):
    assert [(f.rule_id, f.level) for f in rules.evaluate("village", {"loan_count": 10, "overdue_rate": Decimal("0.12")})] \
        == [("VILLAGE_OVERDUE_RATE", "red")]
    assert rules.evaluate("village", {"loan_count": 4, "overdue_rate": Decimal("0.5")}) == []
    assert [(f.rule_id, f.level) for f in rules.evaluate(
        "account_manager", {"loan_count": 10, "overdue_rate_change": Decimal("0.03")})] == [("AM_PORTFOLIO", "orange")]


def test_memoisation_evaluates_each_distinct_fact_set_once(rules):
    before = rules.evaluations
    for _ in range(50):
        rules.evaluate("loan", {"dpd": 7777})
    assert rules.evaluations == before + 1


def test_a_broken_rule_set_fails_loudly():
    doc = _doc("warning_rules")
    doc["decision"]["nodes"][1]["content"]["rules"][0]["out_level"] = '"purple"'
    with pytest.raises(WarningRulesInvalid):
        WarningRuleSet(doc).evaluate("loan", {"dpd": 5})
    with pytest.raises(WarningRulesInvalid):
        WarningRuleSet({"decision": {"nodes": "nonsense"}})


def test_the_rules_document_is_the_approval_rules_shape():
    warn, appr = _doc("warning_rules"), _doc("approval_rules")
    assert warn["decision"]["nodes"][1]["type"] == appr["decision"]["nodes"][1]["type"] == "decisionTableNode"
    assert warn["decision"]["nodes"][1]["content"]["hitPolicy"] == "collect"


# ------------------------------------------------------------------------------------------------ templates
def test_templates_render_in_chinese_without_personal_data():
    doc = _doc("notification_templates")
    channel, text = nt.render(doc, "repayment_due_t7", {"bank": "吉林农安农村商业银行", "loan_ref": nt.ref("LA0012345678"),
                                                        "due_date": "2025-02-15", "amount": Decimal("1015.5")})
    assert channel == "sms"
    assert text == "【吉林农安农村商业银行】尊敬的客户，您尾号345678的贷款将于2025-02-15到期，应还1,015.50元，请提前存足还款资金。"
    for name in doc["templates"]:
        assert doc["templates"][name]["channel"] in ("sms", "push")


def test_a_template_missing_a_field_is_refused():
    with pytest.raises(nt.TemplateInvalid):
        nt.render(_doc("notification_templates"), "overdue", {"bank": "x"})
    with pytest.raises(nt.TemplateInvalid):
        nt.render({"templates": {}}, "overdue", {})


# ------------------------------------------------------------------------------------------------ visits
NOW = datetime(2025, 2, 14, 8, 0, tzinfo=UTC)


def test_a_visit_time_is_stored_in_utc():
    assert visit_time("2025-02-14T09:30:00+08:00", NOW) == "2025-02-14T01:30:00.000Z"
    assert visit_time("2025-02-14T01:30:00Z", NOW) == "2025-02-14T01:30:00.000Z"
    assert visit_time(None, NOW) == "2025-02-14T08:00:00.000Z"
    assert visit_time("2025-02-14T16:04:00+08:00", NOW) == "2025-02-14T08:04:00.000Z"  # within the clock skew
    # the day of disbursement counts, in Beijing time
    assert visit_time("2025-01-31T16:00:00Z", NOW, not_before=date(2025, 2, 1)) == "2025-01-31T16:00:00.000Z"


@pytest.mark.parametrize("value,code", [
    ("not-a-time", "VISITED_AT_INVALID"), ("2025-02-14", "VISITED_AT_INVALID"),
    ("2025-02-14T09:30:00", "VISITED_AT_INVALID"), ("2025-02-30T09:30:00+08:00", "VISITED_AT_INVALID"),
    ("", "VISITED_AT_INVALID"), ("2025-02-14T16:06:00+08:00", "VISITED_AT_IN_FUTURE"),
    ("2099-01-01T00:00:00Z", "VISITED_AT_IN_FUTURE"),
    ("0001-01-01T04:59:59+05:00", "VISITED_AT_INVALID"), ("1900-01-01T00:00:00Z", "VISITED_AT_INVALID"),
    ("2025-01-31T23:59:59+08:00", "VISITED_AT_INVALID"),   # the day before the loan was disbursed (Beijing)
    ("2025-01-31T15:59:59Z", "VISITED_AT_INVALID")])
def test_a_visit_time_must_be_a_past_instant_with_an_offset(value, code):
    from chalicelib.platform.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as err:
        visit_time(value, NOW, not_before=date(2025, 2, 1))
    assert err.value.code == code and err.value.fields[0].field == "visited_at"
