"""What loans need to know about a borrower household, asked of the contexts that own it:

- the household, its head and the account manager responsible for it: the customers context
  (``chalicelib.customers.public``; imported when asked, like the others, to keep them off the cold start of the
  functions that import this module without asking);
- its current rating and whether it is valid: the rating context (``chalicelib.rating.public``);
- its open red risk warnings: the post-loan context, which depends on this one: loans imports nothing of it; the
  composition root hands the lookup over (:func:`use_red_warnings`, wired by ``chalicelib.subscriptions.wire``);
- its own overdue loans: this context's loans.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

#: ``household_id`` → how many red warnings of the household and its loans are open or acknowledged
RedWarnings = Callable[[str], int]
_red_warnings: RedWarnings | None = None


def use_red_warnings(lookup: RedWarnings) -> None:
    """Wire the red-warnings lookup (the composition root does, once per process)."""
    global _red_warnings
    _red_warnings = lookup


def household(household_id: str) -> dict[str, Any] | None:
    """The household (unscoped), or ``None``."""
    from chalicelib.customers import public as customers

    return customers.get_unscoped(household_id)


def responsible_manager(household_item: dict[str, Any] | None) -> str | None:
    """The account manager responsible for a household (管户客户经理), or ``None``."""
    from chalicelib.customers import public as customers

    return customers.responsible_manager(household_item)


def head(household_item: dict[str, Any]) -> dict[str, Any] | None:
    """The household's head (户主), or ``None``."""
    from chalicelib.customers import public as customers

    return customers.head(household_item)


def head_birth_date(household_item: dict[str, Any]) -> date | None:
    """The head's date of birth, or ``None``."""
    from chalicelib.customers import public as customers

    return customers.head_birth_date(household_item)


def current_rating(household_id: str, rating_id: str | None = None) -> dict[str, Any] | None:
    """The rating a line was granted on (``rating_id``), else the household's newest; ``None`` if none."""
    from chalicelib.rating import public as rating

    return rating.current_rating(household_id, rating_id)


def rating_valid(rating_item: dict[str, Any] | None, today: date) -> bool:
    """True when the rating is effective and valid on ``today``."""
    from chalicelib.rating import public as rating

    return rating.rating_valid(rating_item, today)


def open_red_warnings(household_id: str) -> int:
    """Open or acknowledged red warnings of the household and its loans (post-loan's count, through the wired
    lookup). Raises RuntimeError when nothing was wired: a deciding process must know them."""
    if _red_warnings is None:
        raise RuntimeError("no red-warnings lookup: wire the process through chalicelib.subscriptions.wire")
    return _red_warnings(household_id)


def overdue_loans(household_id: str, today: date) -> int:
    """Active loans of the household with an installment due before ``today``."""
    from chalicelib.loans.data import loans

    return len(loans.overdue_for_household(household_id, today.isoformat()))
