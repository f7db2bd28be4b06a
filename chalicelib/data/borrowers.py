"""What loans need to know about a borrower household, read from other subsystems' items.

Contracts relied on (documented in docs/loans.md):

- household ``HH#<id>`` / ``HH`` (customers): ``members`` with ``relation`` (``head``) and ``birth_date``,
  ``org_path``, ``household_id``, the head's ``name``;
- ratings (rating subsystem, :mod:`chalicelib.data.ratings`): the newest under GSI1
  ``HH#<id>#RATING``; valid when ``status`` is ``effective`` and ``valid_to`` is not before today;
- risk warnings (post-loan subsystem): items under GSI1 ``HH#<id>#WARNING`` with ``level`` and
  ``status``; an open red warning is ``level = red`` with ``status`` open or acknowledged;
- the household's own loans (:mod:`chalicelib.data.loans`): overdue when an active loan's
  ``next_due_date`` is before today.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from chalicelib.platform import dynamo


def _table() -> str:
    from chalicelib.platform.settings import get_settings

    return get_settings().core_table


def household(household_id: str) -> dict[str, Any] | None:
    return dynamo.get(_table(), f"HH#{household_id}", "HH")


def responsible_manager(household_item: dict[str, Any] | None) -> str | None:
    """The account manager responsible for a household (管户客户经理): its ``account_manager_id`` when
    set, else the account manager who filed it (``collected_by``, customers' item); ``None`` if neither."""
    for name in ("account_manager_id", "collected_by"):
        if (household_item or {}).get(name):
            return str(household_item[name])  # type: ignore[index]
    return None


def head(household_item: dict[str, Any]) -> dict[str, Any] | None:
    return next((m for m in household_item.get("members") or [] if m.get("relation") == "head"), None)


def head_birth_date(household_item: dict[str, Any]) -> date | None:
    member = head(household_item)
    return date.fromisoformat(member["birth_date"]) if member and member.get("birth_date") else None


def current_rating(household_id: str, rating_id: str | None = None) -> dict[str, Any] | None:
    """The rating ``rating_id`` (the one a line was granted on: one GetItem) or else the household's newest."""
    if rating_id:
        from chalicelib.data import ratings

        item = ratings.get_unscoped(rating_id)
        if item is not None:
            return item
    page = dynamo.query(_table(), index="GSI1", pk_value=f"HH#{household_id}#RATING", forward=False, limit=1)
    return page.items[0] if page.items else None


def rating_valid(rating: dict[str, Any] | None, today: date) -> bool:
    return bool(rating) and rating.get("status") == "effective" and (rating.get("valid_to") or "") >= today.isoformat()


def open_red_warnings(household_id: str) -> int:
    items = dynamo.query_all(_table(), index="GSI1", pk_value=f"HH#{household_id}#WARNING")
    return sum(1 for i in items if i.get("level") == "red" and i.get("status") in ("open", "acknowledged"))


def overdue_loans(household_id: str, today: date) -> int:
    from chalicelib.data import loans

    return len(loans.overdue_for_household(household_id, today.isoformat()))
