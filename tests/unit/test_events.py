"""The in-process event bus (chalicelib.platform.events) and the composition root's subscriptions."""
from __future__ import annotations

from typing import Any

import pytest

from chalicelib.platform import events


@pytest.fixture(autouse=True)
def _clean():
    events.unsubscribe_all("test.event")
    yield
    events.unsubscribe_all("test.event")


def test_handlers_run_in_subscription_order_once_each():
    seen: list[tuple[str, Any]] = []

    def first(p):
        seen.append(("first", p["n"]))

    def second(p):
        seen.append(("second", p["n"]))

    events.subscribe("test.event", first)
    events.subscribe("test.event", second)
    events.subscribe("test.event", first)  # twice: still once
    assert events.publish("test.event", {"n": 7}) == 2
    assert seen == [("first", 7), ("second", 7)]


def test_a_failing_handler_neither_raises_into_the_publisher_nor_stops_the_others():
    seen: list[int] = []

    def broken(p):
        raise RuntimeError("boom")

    events.subscribe("test.event", broken)
    events.subscribe("test.event", lambda p: seen.append(p["n"]))
    assert events.publish("test.event", {"n": 1}) == 1
    assert seen == [1]


def test_an_event_nobody_subscribed_to_runs_nothing():
    assert events.publish("test.event", {"n": 1}) == 0


def test_the_composition_root_subscribes_post_loan_to_loan_opened():
    from chalicelib import subscriptions

    before = events.subscribers(events.LOAN_OPENED)
    events.unsubscribe_all(events.LOAN_OPENED)
    try:
        subscriptions.wire()
        subscriptions.wire()
        handlers = events.subscribers(events.LOAN_OPENED)
        assert len(handlers) == 1 and handlers[0].__name__ == "_postloan_on_loan_opened"
    finally:
        events.unsubscribe_all(events.LOAN_OPENED)
        for h in before:
            events.subscribe(events.LOAN_OPENED, h)


def test_the_disbursement_imports_no_post_loan_module():
    import ast
    from pathlib import Path

    import chalicelib.loans.service.disbursement as disbursement

    tree = ast.parse(Path(disbursement.__file__).read_text())
    names = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
    assert not [n for n in names if n.startswith("chalicelib.postloan")]


def test_drawdown_approval_counts_post_loans_red_warnings_through_the_wired_lookup():
    """Loans imports nothing of post-loan: the composition root hands it post-loan's count; unwired, a deciding
    process fails loudly instead of deciding without it."""
    from chalicelib import subscriptions
    from chalicelib.loans.service import borrowers

    saved = borrowers._red_warnings
    try:
        borrowers.use_red_warnings(None)  # type: ignore[arg-type]  # a process nothing has wired yet
        with pytest.raises(RuntimeError):
            borrowers.open_red_warnings("HH1")
        subscriptions.wire()
        assert borrowers._red_warnings is subscriptions._postloan_open_red_warnings
        borrowers.use_red_warnings(lambda household_id: {"HH1": 2}.get(household_id, 0))
        assert (borrowers.open_red_warnings("HH1"), borrowers.open_red_warnings("HH2")) == (2, 0)
    finally:
        borrowers.use_red_warnings(saved)  # type: ignore[arg-type]  # restore whatever was wired before
