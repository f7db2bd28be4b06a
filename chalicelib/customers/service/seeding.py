"""Households filed for a stack's seed, test data and benchmarks: built exactly as the service files them (the
household rules, members' personal numbers protected, the complete stored item), at the status the caller needs.

Not a use case of the API: the status is set without the workflow's second pair of eyes. Writes go through the
repository's conditional, audited batch (one person, one household holds), never around it.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from chalicelib.platform.errors import DomainError, NotFound

#: what a caller asks for: (household id or ``None`` for a new one, the household as a client sends it)
Filing = tuple[str | None, dict[str, Any]]


def _village(village_code: str) -> dict[str, Any]:
    from chalicelib.admin import public as orgs

    village = orgs.village_assignment(village_code)
    if village is None:
        raise NotFound("village not found among those served", code="VILLAGE_NOT_FOUND", field="village_code")
    return village


def build(filings: Iterable[Filing], village: dict[str, Any], *, status: str, collected_by: str,
          data_source: str = "roster_import") -> list[dict[str, Any]]:
    """The households (their attributes, not yet stored: no version) the service would file for ``filings`` in
    ``village`` (its assignment: code, names, org_id, org_path). Raises ValidationFailed ``HOUSEHOLD_INVALID``
    (the household rules) and pydantic's ValidationError for a malformed payload."""
    from chalicelib.customers.data import household_items as items
    from chalicelib.customers.domain.households import HouseholdIn, normalise
    from chalicelib.platform.clock import business_date

    today = business_date()
    out = []
    for household_id, payload in filings:
        norm = normalise(HouseholdIn.model_validate(payload), today=today)
        out.append(items.build_item(household_id or str(uuid.uuid4()), norm, items.build_members(norm, None),
                                    village=village, status=status, data_source=data_source,
                                    collected_by=collected_by))
    return out


def file(village_code: str, filings: Iterable[Filing], *, status: str = "verified", collected_by: str = "system",
         data_source: str = "roster_import") -> tuple[dict[str, dict[str, Any]], dict[str, DomainError]]:
    """File new households of ``village_code`` at ``status`` (draft | submitted | verified), collected by
    ``collected_by`` (a user id: the responsible account manager), in as few transactions as possible, each
    household with its one-person-one-household index entries and audit record. Returns ``(stored households by
    id, errors by id)``: ``PERSON_IN_OTHER_HOUSEHOLD`` (a person already filed), ``HOUSEHOLD_EXISTS``."""
    from chalicelib.customers.data import household_items as items
    from chalicelib.customers.data.household_batches import commit_plans

    village = _village(village_code)
    plans = []
    for item in build(filings, village, status=status, collected_by=collected_by, data_source=data_source):
        plan = items.plan_change(item["household_id"], item, None)
        plan.action = "seed_create"
        plans.append(plan)
    return commit_plans(plans, actor_id=collected_by, reason="seed or test data")
