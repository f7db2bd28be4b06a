"""The reconciliation rule: the core-banking system is the book of record of whether money left."""
from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.loans.domain import reconciliation as rc
from chalicelib.platform.errors import ValidationFailed

AMOUNT = Decimal("20000.00")
POSTED = rc.CoreFacts(status=rc.POSTED, core_ref="CB1234", amount=AMOUNT, checked_at="2026-11-30T02:00:00Z")
NOT_POSTED = rc.CoreFacts(status=rc.NOT_POSTED, checked_at="2026-11-30T02:00:00Z")
UNKNOWN = rc.CoreFacts(status=rc.UNKNOWN, checked_at="2026-11-30T02:00:00Z")


@pytest.mark.parametrize("adapter_status, expected", [
    ("success", rc.POSTED), ("failed", rc.NOT_POSTED), ("not_found", rc.NOT_POSTED), ("unknown", rc.UNKNOWN),
    ("something new", rc.UNKNOWN)])
def test_the_core_adapters_answer_maps_to_posted_not_posted_or_unknown(adapter_status, expected):
    facts = rc.core_facts({"status": adapter_status, "core_ref": "CB1", "amount": Decimal("5.00")}, "t")
    assert facts.status == expected
    assert (facts.core_ref, facts.amount) == (("CB1", Decimal("5.00")) if expected == rc.POSTED else (None, None))


def test_an_answer_that_agrees_with_the_core_settles_it():
    assert rc.judge(POSTED, rc.Answer(posted=True, core_ref="CB1234"), AMOUNT) == rc.BOOK
    assert rc.judge(NOT_POSTED, rc.Answer(posted=False), AMOUNT) == rc.RELEASE


@pytest.mark.parametrize("core, answer, field", [
    (POSTED, rc.Answer(posted=False), "posted"),                          # the line would be released: money left
    (POSTED, rc.Answer(posted=True, core_ref="CB-INVENTED"), "core_ref"),  # a reference the core never issued
    (NOT_POSTED, rc.Answer(posted=True, core_ref="CB1234"), "posted"),     # a loan with no money paid
])
def test_an_answer_that_contradicts_the_core_is_refused_with_both_facts(core, answer, field):
    with pytest.raises(rc.Contradiction) as err:
        rc.judge(core, answer, AMOUNT)
    e = err.value
    assert e.status == 409 and e.code == "RECONCILIATION_CONTRADICTS_CORE" and e.fields[0].field == field
    assert e.details["core"]["status"] == core.status and e.details["core"]["core_ref"] == core.core_ref
    assert e.details["answer"] == {"posted": answer.posted, "core_ref": answer.core_ref}


def test_only_an_unknown_core_leaves_the_decision_to_people():
    assert rc.judge(UNKNOWN, rc.Answer(posted=True, core_ref="CB-SEEN-ON-PAPER"), AMOUNT) == rc.PROPOSE
    assert rc.judge(UNKNOWN, rc.Answer(posted=False), AMOUNT) == rc.PROPOSE


def test_a_posting_of_another_amount_is_never_booked_automatically():
    other = rc.CoreFacts(status=rc.POSTED, core_ref="CB1234", amount=Decimal("2000.00"), checked_at="t")
    with pytest.raises(rc.AmountMismatch) as err:
        rc.judge(other, rc.Answer(posted=True, core_ref="CB1234"), AMOUNT)
    assert err.value.code == "CORE_AMOUNT_MISMATCH" and err.value.details["drawdown_amount"] == "20000.00"
    assert err.value.details["core"]["amount"] == "2000.00"


@pytest.mark.parametrize("answer, code", [(rc.Answer(posted=True), "CORE_REF_REQUIRED"),
                                          (rc.Answer(posted=True, core_ref="  "), "CORE_REF_REQUIRED"),
                                          (rc.Answer(posted=False, core_ref="CB1"), "CORE_REF_UNEXPECTED")])
def test_an_incomplete_answer_is_refused_whatever_the_core_says(answer, code):
    for core in (POSTED, NOT_POSTED, UNKNOWN):
        with pytest.raises(ValidationFailed) as err:
            rc.judge(core, answer, AMOUNT)
        assert err.value.code == code and err.value.fields[0].field == "core_ref"
