"""Ratings (评级): one household's graded result in one campaign, with its lifecycle.

Item (core table), written by the campaign tasks and the rating API:

- ``RATING#<rating_id>`` / ``DETAIL``: the explanation, written once with the rating and never changed:
  ``points`` (per indicator), ``rating_input``, ``figures``, ``village_averages``, ``challenger_detail``
  (the statistical challenger's points). Kept out of the main item so that campaign-wide reads and the
  GSIs (projection ALL) carry only the small main item.
- ``RATING#<rating_id>`` / ``RATING``: ``rating_id``, ``household_id``, ``org_path``, ``village_code``,
  ``campaign_id``, ``status`` (auto | adjusted | approved | effective | expired | withdrawn),
  ``scorecard_id``/``scorecard_version``/``parameter_versions``, ``score``, ``auto_grade`` (the grade
  the scorecard gave), ``grade`` (current, after an approved adjustment), ``grade_by_score``,
  ``knocked_out`` (rule ids), ``ledger_overdue_loans`` (loans past due on the rating date), ``points`` (per indicator),
  ``reasons`` (top reason codes), ``figures``
  (the household metrics used), ``is_credit_household``, ``proposed_limit``, ``line_id`` (none when
  ``existing_line_id`` names the household's current line from another campaign),
  ``challenger`` (statistical result, optional), ``head_name``/``head_id_masked``/``village_group``/
  ``household_no`` (the roster's 户编号; for the notice),
  ``rated_on``, ``valid_from``/``valid_to`` (once effective), ``adjusted_by``/``adjustment`` and
  ``approved_by``/``approved_at``, ``version``.
- GSI1 ``HH#<household_id>#RATING`` / ``<rated_on>#<rating_id>``: the household's ratings, newest last
  (the current rating is the newest).
- GSI2 ``CAMPAIGN#<campaign_id>#RATING`` / ``<household_id>``: a campaign's ratings.
- GSI3 ``EXPIRY#<valid_to>`` / ``RATING#<rating_id>`` while effective: the daily expiry job's queue.

History: every change is audited (entity type ``rating``) in the transaction that makes it.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib.platform import dynamo
from chalicelib.platform.access import Principal

ENTITY = "rating"


def _table() -> str:
    from chalicelib.platform.settings import get_settings

    return get_settings().core_table


def key(rating_id: str) -> dict[str, str]:
    from chalicelib.rating.data.models import Rating

    pk, sk = Rating.key(rating_id)
    return {"PK": pk, "SK": sk}


def with_keys(item: dict[str, Any]) -> dict[str, Any]:
    """The rating ``item`` with its keys and index entries (:meth:`chalicelib.rating.data.models.Rating.keyed`)."""
    from chalicelib.rating.data.models import Rating

    return Rating.keyed(item)


def expiry_index(rating_id: str, valid_to: str) -> tuple[str, str]:
    """(GSI3PK, GSI3SK) of an effective rating: its entry in the expiry queue."""
    from chalicelib.rating.data.models import Rating

    return Rating.expiry_index(rating_id, valid_to)


DETAIL_FIELDS = ("points", "rating_input", "figures", "village_averages", "challenger_detail")


def split(rating: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A whole rating → (main item without keys, detail item with keys)."""
    from chalicelib.rating.data.models import RatingDetail

    main = {k: v for k, v in rating.items() if k not in DETAIL_FIELDS}
    detail = {k: v for k, v in rating.items() if k in DETAIL_FIELDS}
    detail.update(rating_id=rating["rating_id"], household_id=rating["household_id"], org_path=rating["org_path"])
    return main, RatingDetail.keyed(detail)


def get_unscoped(rating_id: str) -> dict[str, Any] | None:
    """The whole rating (main item with the detail merged in), or None."""
    from chalicelib.rating.data.models import Rating

    items = dynamo.query_all(_table(), pk_value=Rating.partition(rating_id), consistent=True)
    main = next((i for i in items if i["SK"] == "RATING"), None)
    if main is None:
        return None
    detail = next((i for i in items if i["SK"] == "DETAIL"), {})
    return {**main, **{k: v for k, v in detail.items() if k in DETAIL_FIELDS}}


def _household(household_id: str) -> str:
    from chalicelib.rating.data.models import Rating

    return Rating.household_partition(household_id)


def _campaign(campaign_id: str) -> str:
    from chalicelib.rating.data.models import Rating

    return Rating.campaign_partition(campaign_id)


def get(principal: Principal, rating_id: str) -> dict[str, Any]:
    """A rating in the caller's scope (farmers: their own household's only); 404 ``RATING_NOT_FOUND``."""
    return principal.ensure_can_see(get_unscoped(rating_id), "rating")


def current_for_household(principal: Principal, household_id: str) -> dict[str, Any]:
    """The household's newest rating; 404 ``RATING_NOT_FOUND`` if none or out of scope."""
    page = dynamo.query(_table(), index="GSI1", pk_value=_household(household_id), forward=False, limit=1)
    principal.ensure_can_see(page.items[0] if page.items else None, "rating")
    return principal.ensure_can_see(get_unscoped(page.items[0]["rating_id"]), "rating")


def newest_for_household(household_id: str) -> dict[str, Any] | None:
    """The household's newest rating item (its GSI1 entry, not merged with the detail), or ``None``."""
    page = dynamo.query(_table(), index="GSI1", pk_value=_household(household_id), forward=False, limit=1)
    return page.items[0] if page.items else None


def history_for_household(principal: Principal, household_id: str) -> list[dict[str, Any]]:
    """The household's ratings (whole), oldest first, in the caller's scope."""
    items = dynamo.query_all(_table(), index="GSI1", pk_value=_household(household_id))
    seen = [i for i in items if principal.can_see(org_path=i.get("org_path"), household_id=i.get("household_id"))]
    return [r for r in (get_unscoped(i["rating_id"]) for i in seen) if r]


#: The attributes of a rating that campaign-wide work needs (a projection keeps those reads light).
SUMMARY_FIELDS = ("rating_id", "household_id", "org_path", "campaign_id", "status", "grade", "auto_grade",
                  "score", "knocked_out", "reasons", "is_credit_household", "proposed_limit", "line_id",
                  "head_name", "head_id_masked", "village_group", "household_no", "bank_loans", "currently_overdue",
                  "version", "rated_on",
                  "valid_to", "challenger", "valid_from")


def list_for_campaign(campaign_id: str, fields: tuple[str, ...] | None = SUMMARY_FIELDS) -> list[dict[str, Any]]:
    """Every rating of a campaign (system use; bounded by a village's households), projected to
    ``fields`` (``None``: whole items)."""
    out: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = query_projected(_table(), index="GSI2", pk_value=_campaign(campaign_id), fields=fields,
                               limit=500, cursor=cursor)
        out.extend(page.items)
        if not page.cursor:
            return out
        cursor = page.cursor


def page_for_campaign(principal: Principal, campaign_id: str, *, limit: int, cursor: str | None) -> dynamo.Page:
    """One page of a campaign's ratings (summaries) in the caller's scope: a farmer sees only their own
    household's, and another organisation's campaign answers like an unknown one (no items, no cursor)."""
    return dynamo.query_page(_table(), index="GSI2", pk_value=_campaign(campaign_id), fields=SUMMARY_FIELDS,
                             limit=limit, cursor=cursor, where=dynamo.scope_filter(principal),
                             visible=lambda i: principal.can_see(org_path=i.get("org_path"),
                                                                 household_id=i.get("household_id")))


def query_projected(table: str, *, index: str | None, pk_value: str, fields: tuple[str, ...] | None, limit: int,
                    cursor: str | None) -> dynamo.Page:
    """One page of a partition (of the table or a GSI) with only ``fields`` returned (and the keys,
    which cursors need); system use."""
    return dynamo.query_page(table, index=index, pk_value=pk_value, fields=fields, limit=limit, cursor=cursor)


def batch_get(rating_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Ratings by id (missing ones are absent), consistent reads, 100 keys per request."""
    return {i["rating_id"]: i for i in batch_get_items(_table(), [key(r) for r in rating_ids])}


def batch_get_items(table: str, keys: list[dict[str, str]]) -> list[dict[str, Any]]:
    """BatchGetItem of ``keys`` (dicts of PK/SK), consistent; missing keys are absent."""
    return dynamo.batch_get(table, keys)


def due_for_expiry(day: str) -> list[dict[str, Any]]:
    """Effective ratings and active lines whose ``valid_to`` is ``day`` (the expiry queue)."""
    from chalicelib.rating.data.models import expiry_partition

    return dynamo.query_all(_table(), index="GSI3", pk_value=expiry_partition(day))
