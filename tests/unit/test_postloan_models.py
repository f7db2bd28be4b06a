"""The post-loan item models own their keys: which index lists an item in which state, the prefixes the readers
query with against the sort keys the writers build, and the dict an item is read back as. No sockets, no table:
the models' own key building only."""
from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.postloan.data.models import ClassificationChange, InspectionTask, LoanState, WarningSignal
from chalicelib.postloan.data.postloan import loan_shard

NONGAN = "/JL/JL-220122/JL-220122-102/JL-220122-102-01/"
YUSHU = "/JL/JL-220182/JL-220182-101/JL-220182-101-01/"


def _state(**values) -> LoanState:
    base = {"loan_id": "LA1", "household_id": "H1", "org_path": NONGAN, "institution_id": "JL-220122",
            "village_code": "220122102202", "status": "active", "category": "pass", "dpd": 0}
    state = LoanState.of({**base, **values})
    state.fill_keys()
    return state


@pytest.mark.parametrize("values,listed", [
    ({}, False),                                           # pass, not overdue: no at-risk entry
    ({"dpd": 3}, True),                                    # overdue
    ({"category": "special_mention"}, True),               # not pass
    ({"dpd": 40, "category": "substandard", "status": "closed"}, False),  # closed loans leave the lists
])
def test_a_state_is_in_the_at_risk_index_exactly_while_active_and_at_risk(values, listed):
    state = _state(**values)
    assert (LoanState.risk_partition("JL-220122") == state.GSI1PK) is listed
    assert (state.GSI1SK is not None) is listed


def test_the_at_risk_prefixes_select_the_org_subtree_the_village_and_the_category():
    state = _state(dpd=95, category="substandard")
    assert state.GSI1SK.startswith(LoanState.risk_prefix("substandard", "/JL/JL-220122/", None))
    assert state.GSI1SK.startswith(LoanState.risk_prefix("substandard", NONGAN, "220122102202"))
    assert not state.GSI1SK.startswith(LoanState.risk_prefix("substandard", NONGAN, "220122102203"))
    assert not state.GSI1SK.startswith(LoanState.risk_prefix("substandard", "/JL/JL-220182/", None))
    assert not state.GSI1SK.startswith(LoanState.risk_prefix("doubtful", "/JL/JL-220122/", None))


def test_an_unconfirmed_purpose_flags_an_active_loan_only():
    assert LoanState.flag_partition("JL-220122") == _state(purpose_confirmed=False).GSI2PK
    assert _state(purpose_confirmed=True).GSI2PK is None
    assert _state(purpose_confirmed=False, status="closed").GSI2PK is None


def _signal(**values) -> WarningSignal:
    base = {"signal_id": "W1", "rule_id": "OVERDUE", "rule_set": "t", "level": "orange", "reason": "r",
            "subject_type": "loan", "subject_id": "LA1", "loan_id": "LA1", "household_id": "H1",
            "village_code": "220122102202", "assignee_id": "u1", "org_path": NONGAN, "institution_id": "JL-220122",
            "status": "open", "raised_on": "2026-01-05", "raised_at": "2026-01-05T01:00:00Z"}
    signal = WarningSignal.of({**base, **values})
    signal.fill_keys()
    return signal


def test_a_signal_is_queued_and_listed_active_only_while_open_or_acknowledged():
    for status in ("open", "acknowledged"):
        s = _signal(status=status)
        assert WarningSignal.queue_partition("u1") == s.GSI2PK and s.GSI2SK.startswith(WarningSignal.queue_prefix("orange"))
        assert WarningSignal.active_partition("JL-220122") == s.GSI3PK
    for status in ("resolved", "dismissed"):
        s = _signal(status=status)
        assert (s.GSI2PK, s.GSI3PK) == (None, None)
        assert WarningSignal.history_partition("household", "H1") == s.GSI1PK  # the history keeps it


def test_the_active_prefixes_select_an_org_subtree_or_one_village():
    s = _signal()
    assert s.GSI3SK.startswith(WarningSignal.active_prefix("/JL/JL-220122/", None))
    assert s.GSI3SK.startswith(WarningSignal.active_prefix(NONGAN, "220122102202"))
    assert not s.GSI3SK.startswith(WarningSignal.active_prefix(NONGAN, "220122102203"))
    assert not s.GSI3SK.startswith(WarningSignal.active_prefix(YUSHU, None))


def test_a_loan_signal_and_a_household_signal_share_the_households_history():
    loan_signal, household_signal = _signal(), _signal(signal_id="W2", subject_type="household", subject_id="H1")
    assert loan_signal.GSI1PK == household_signal.GSI1PK == WarningSignal.history_partition("loan", "H1")
    village = _signal(signal_id="W3", subject_type="village", subject_id="220122102202", household_id=None)
    assert village.GSI1PK == WarningSignal.history_partition("village", "220122102202") != loan_signal.GSI1PK


def test_an_open_inspection_is_in_its_loans_shard_and_leaves_it_when_done():
    base = {"task_id": "I1", "loan_id": "LA7", "household_id": "H1", "org_path": NONGAN, "institution_id": "JL-220122",
            "assignee_id": "u1", "inspection_type": "first", "due_on": "2026-02-01", "status": "open",
            "created_on": "2026-01-02"}
    task = InspectionTask.of(base)
    task.fill_keys()
    assert InspectionTask.open_partition(loan_shard("LA7")) == task.GSI3PK
    assert task.GSI2SK.startswith(InspectionTask.assignee_group("open"))
    done = InspectionTask.of({**base, "status": "done"})
    done.fill_keys()
    assert done.GSI3PK is None and done.GSI2SK.startswith(InspectionTask.assignee_group("closed"))
    assert done.GSI1PK == task.GSI1PK == InspectionTask.loan_partition("LA7")


def test_an_item_reads_back_as_the_dict_it_was_made_from():
    change = {"loan_id": "LA1", "business_date": "2026-01-05", "seq": 3, "from": "pass", "to": "substandard",
              "dpd": 95, "rule_version": 2, "reason": "95 days past due", "household_id": "H1", "org_path": NONGAN,
              "at": "2026-01-05T01:00:00Z"}
    model = ClassificationChange.of(change)
    assert model.as_dict() == {**change, "kind": "loan_classification"}
    wire = model.to_wire()
    assert wire["from"] == {"S": "pass"} and "from_" not in wire
    state = LoanState.of({"loan_id": "LA1", "household_id": "H1", "org_path": NONGAN, "institution_id": "JL-220122",
                          "status": "active", "category": "pass", "overdue_principal": Decimal("1234.56")})
    assert state.as_dict()["overdue_principal"] == Decimal("1234.56")
    with pytest.raises(TypeError):  # money is never a float
        LoanState.of({**state.as_dict(), "overdue_principal": 1234.56}).to_wire()
