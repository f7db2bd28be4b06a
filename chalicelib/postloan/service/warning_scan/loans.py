"""The scan's loan rules: every loan at risk (overdue or not pass), with an unconfirmed purpose, with an overdue
inspection, or with an active signal, evaluated once (rule family ``loan``)."""
from __future__ import annotations

import functools

from chalicelib.postloan.data import inspections, postloan
from chalicelib.postloan.service.common import Item, all_pages
from chalicelib.postloan.service.warning_scan.rules import Scan, loan_meta, loan_rule_facts


def _states() -> dict[str, Item]:
    states: dict[str, Item] = {}
    for inst in postloan.institutions():
        for fetcher in (postloan.risk_page, postloan.flagged_page):
            states.update({s["loan_id"]: s for s in all_pages(functools.partial(fetcher, inst))})
    return states


def loans_phase(scan: Scan) -> None:
    """Evaluate the loan rules of every loan that may fire one or has an active signal."""
    states = _states()
    tasks: dict[str, Item] = {}
    for shard in postloan.shards():
        tasks.update({t["loan_id"]: t for t in all_pages(
            functools.partial(inspections.open_page, shard, due_before=scan.day))})
    signal_loans = scan.active_of("loan")
    missing = [lid for lid in set(tasks) | set(signal_loans) if lid not in states]
    states.update(postloan.states_by_id(missing) if missing else {})
    for loan_id in sorted(set(states) | set(tasks) | set(signal_loans)):
        state, task = states.get(loan_id), tasks.get(loan_id)
        facts = loan_rule_facts(state, task, scan.day)
        scan.apply("loan", loan_id, facts, loan_meta(state, task, signal_loans.get(loan_id)))
        scan.count("loans_evaluated")
