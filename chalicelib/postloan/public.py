"""What other contexts may use of the post-loan context. Post-loan depends on every other context and none depends
on it by design; the three uses below run the other way and are allowed for now, each to be turned around in
Phase B (docs/decisions/0006-bounded-contexts-and-pynamodb.md):

* the disbursement tells post-loan that a loan was opened (:func:`on_loan_opened`; to become an event);
* drawdown approval asks for a household's open red warnings (:func:`open_red_warnings`);
* the village evaluation of a campaign reads post-loan's assessed loan states (:func:`states_by_id`).
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib.postloan.data import postloan as _postloan
from chalicelib.postloan.data import warnings as _warnings

__all__ = ["on_loan_opened", "open_red_warnings", "states_by_id"]


def on_loan_opened(loan: dict[str, Any]) -> str | None:
    """Right after a loan account is opened (outside its transaction): plan its first inspection and note the draw
    for the cycling check. Never raises (the daily jobs catch up); returns the first inspection's task id, or
    ``None``. ``loan``: the loan as the loans context stored it (``loan_id``, ``household_id``, ``start_date``, ...)."""
    from chalicelib.postloan.service import inspections

    return inspections.on_loan_opened(loan)


def open_red_warnings(household_id: str) -> int:
    """How many red warnings of the household and its loans are open or acknowledged (not yet resolved)."""
    return sum(1 for w in _warnings.open_for_household(household_id) if w.get("level") == "red")


def states_by_id(loan_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Post-loan's state of each loan that has one, by loan id: ``{"loan_id", "category", "assessed_category"?,
    "dpd", "classified_on", ...}`` (healthy loans mostly have none)."""
    return _postloan.states_by_id(loan_ids)
