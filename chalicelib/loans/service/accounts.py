"""Reading loan accounts for callers (the API): a household's loans in the caller's scope."""
from __future__ import annotations

from typing import Any

from chalicelib.loans.data import loans
from chalicelib.platform.access import Principal


def for_household(principal: Principal, household_id: str) -> list[dict[str, Any]]:
    """The household's loans the caller may see (active ones by next due date, then closed ones); a household out
    of the caller's scope answers like one without loans."""
    return loans.list_for_household(principal, household_id)
