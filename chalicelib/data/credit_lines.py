"""Credit lines (授信额度): a household's master line with product sub-lines (总分授信).

Items (core table). Created by the village campaign (status ``proposed``), activated after the
institution's confirmation; the loans subsystem draws on them (decrementing ``available`` with the
condition ``available >= :amt`` on the master and the sub-line in one transaction) and restores
``available`` on repayment (revolving).

- ``LINE#<line_id>`` / ``LINE``: ``line_id``, ``household_id``, ``org_path``, ``village_code``,
  ``status`` (proposed | active | frozen | expired | withdrawn), ``limit``, ``available`` (Decimal CNY),
  ``valid_from``/``valid_to`` (ISO dates, inclusive; set on activation), ``grade``, ``rating_id``,
  ``campaign_id``, ``binding_constraint``, ``candidates``, ``policy_version``, ``version``.
  GSI1 ``HH#<household_id>#LINE`` / ``<created_on>#<line_id>``; GSI2 ``CAMPAIGN#<campaign_id>#LINE`` /
  ``<household_id>``; GSI3 ``EXPIRY#<valid_to>`` / ``LINE#<line_id>`` while active.
- ``LINE#<line_id>`` / ``SUB#<product_code>``: ``product_code``, ``limit``, ``available``,
  ``household_id``, ``org_path``, ``line_id``.
"""
from __future__ import annotations

from typing import Any

from chalicelib.auth import Principal
from chalicelib.data import dynamo

ENTITY = "credit_line"


def _table() -> str:
    from chalicelib.settings import get_settings

    return get_settings().core_table


def key(line_id: str) -> dict[str, str]:
    return {"PK": f"LINE#{line_id}", "SK": "LINE"}


def sub_key(line_id: str, product_code: str) -> dict[str, str]:
    return {"PK": f"LINE#{line_id}", "SK": f"SUB#{product_code}"}


def with_keys(item: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in item.items() if not k.startswith("GSI")}
    out.update(key(item["line_id"]), kind="credit_line",
               GSI1PK=f"HH#{item['household_id']}#LINE", GSI1SK=f"{item['created_on']}#{item['line_id']}",
               GSI2PK=f"CAMPAIGN#{item['campaign_id']}#LINE", GSI2SK=item["household_id"])
    if out.get("status") == "active" and out.get("valid_to"):
        out.update(GSI3PK=f"EXPIRY#{out['valid_to']}", GSI3SK=f"LINE#{out['line_id']}")
    return out


def sub_item(line: dict[str, Any], product_code: str, limit: Any, available: Any) -> dict[str, Any]:
    return {**sub_key(line["line_id"], product_code), "kind": "credit_subline", "line_id": line["line_id"],
            "product_code": product_code, "limit": limit, "available": available,
            "household_id": line["household_id"], "org_path": line["org_path"]}


def get_unscoped(line_id: str) -> dict[str, Any] | None:
    """Master line item with its sub-lines under ``sub_lines`` (a list), or None."""
    items = dynamo.query_all(_table(), pk_value=f"LINE#{line_id}", consistent=True)
    master = next((i for i in items if i["SK"] == "LINE"), None)
    if master is None:
        return None
    master["sub_lines"] = sorted((i for i in items if i["SK"].startswith("SUB#")), key=lambda s: s["SK"])
    return master


def get(principal: Principal, line_id: str) -> dict[str, Any]:
    """A line with its sub-lines in the caller's scope; 404 ``CREDIT_LINE_NOT_FOUND``."""
    return principal.ensure_can_see(get_unscoped(line_id), "credit_line")


def masters_of_household(household_id: str) -> list[dict[str, Any]]:
    """The household's master lines, oldest first, without sub-lines (GSI1 ``HH#<id>#LINE``; system use)."""
    return dynamo.query_all(_table(), index="GSI1", pk_value=f"HH#{household_id}#LINE")


def for_household(principal: Principal, household_id: str) -> list[dict[str, Any]]:
    """The household's lines (newest last), each with its sub-lines, filtered to the caller's scope.

    Raises NotFound(``HOUSEHOLD_NOT_FOUND``) when the household itself is outside the caller's scope."""
    from chalicelib.data import households

    households.get(principal, household_id)
    masters = masters_of_household(household_id)
    out = []
    for m in masters:
        if principal.can_see(org_path=m.get("org_path"), household_id=m.get("household_id")):
            full = get_unscoped(m["line_id"])
            if full:
                out.append(full)
    return out


SUMMARY_FIELDS = ("line_id", "household_id", "org_path", "campaign_id", "rating_id", "status", "limit",
                  "available", "valid_from", "valid_to", "version", "grade")


def list_for_campaign(campaign_id: str) -> list[dict[str, Any]]:
    """Master lines of a campaign, projected to :data:`SUMMARY_FIELDS` (no sub-lines; system use)."""
    from chalicelib.data.ratings import query_projected

    out: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = query_projected(_table(), index="GSI2", pk_value=f"CAMPAIGN#{campaign_id}#LINE",
                               fields=SUMMARY_FIELDS, limit=500, cursor=cursor)
        out.extend(page.items)
        if not page.cursor:
            return out
        cursor = page.cursor
