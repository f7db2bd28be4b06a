"""Credit lines (授信额度): a household's master line with product sub-lines (总分授信).

Items (core table). Created by the village campaign (status ``proposed``), activated after the
institution's confirmation; the loans subsystem draws on them (decrementing ``available`` with the
condition ``available >= :amt`` on the master and the sub-line in one transaction) and restores
``available`` on repayment (revolving).

- ``LINE#<line_id>`` / ``LINE``: ``line_id``, ``household_id``, ``org_path``, ``village_code``,
  ``status`` (proposed | active | frozen | expired | withdrawn), ``limit``, ``available`` (Decimal CNY),
  ``valid_from``/``valid_to`` (ISO dates, inclusive; set on activation), ``grade``, ``rating_id``,
  ``campaign_id``, ``binding_constraint``, ``candidates``, ``policy_version``, ``version``,
  ``holds_slot`` (true while the line owns its household's line slot, see below).
  GSI1 ``HH#<household_id>#LINE`` / ``<created_on>#<line_id>``; GSI2 ``CAMPAIGN#<campaign_id>#LINE`` /
  ``<household_id>``; GSI3 ``EXPIRY#<valid_to>`` / ``LINE#<line_id>`` while active.
- ``LINE#<line_id>`` / ``SUB#<product_code>``: ``product_code``, ``limit``, ``available``,
  ``household_id``, ``org_path``, ``line_id``.
- ``HHLINE#<household_id>`` / ``SLOT``: the household's one line slot (一户一个授信额度): ``line_id`` of
  the line that owns it (proposed or active), ``campaign_id``, ``household_id``, ``org_path``,
  ``claimed_at``. It exists exactly while a line created since the slot was introduced is proposed or
  active: claimed (``attribute_not_exists``) in the transaction that proposes the line and deleted
  (condition ``line_id = <the line>``) in the transaction that withdraws, freezes or expires it. A
  household whose slot is taken gets no second line; see docs/decisions/0011-village-campaign-workflow.md.
"""
from __future__ import annotations

from typing import Any

from chalicelib.platform import dynamo
from chalicelib.platform.access import Principal
from chalicelib.platform.errors import Conflict

ENTITY = "credit_line"


def _table() -> str:
    from chalicelib.platform.settings import get_settings

    return get_settings().core_table


def key(line_id: str) -> dict[str, str]:
    from chalicelib.rating.data.models import CreditLine

    pk, sk = CreditLine.key(line_id)
    return {"PK": pk, "SK": sk}


def sub_key(line_id: str, product_code: str) -> dict[str, str]:
    from chalicelib.rating.data.models import SubLine

    pk, sk = SubLine.key(line_id, product_code)
    return {"PK": pk, "SK": sk}


def expiry_index(line_id: str, valid_to: str) -> tuple[str, str]:
    """(GSI3PK, GSI3SK) of an active line: its entry in the expiry queue."""
    from chalicelib.rating.data.models import CreditLine

    return CreditLine.expiry_index(line_id, valid_to)


class SlotTaken(Conflict):
    """The household's line slot is owned by another line (or, for a check, no longer by the expected one):
    re-read the owner with :func:`slot_owners` and decide again."""


def slot_owners(household_ids: list[str]) -> dict[str, str]:
    """Household id → id of the line owning its slot, for those whose slot is taken (BatchGetItem, consistent,
    100 keys per request)."""
    if not household_ids:
        return {}
    from chalicelib.platform.dynamo import batch
    from chalicelib.rating.data.models import LineSlot

    found = batch.get_models(LineSlot, [LineSlot.key(h) for h in dict.fromkeys(household_ids)])
    return {s.household_id: s.line_id for s in found}


def add_claim_slot(tx: dynamo.TxBuilder, line: dict[str, Any], *, at: str) -> None:
    """Add to ``tx`` the claim of the household's slot by ``line`` (``line_id``, ``household_id``,
    ``campaign_id``, ``org_path``): a put conditioned on no slot item existing. The transaction fails with
    :class:`SlotTaken` (code ``HOUSEHOLD_HAS_LINE``) when another line owns it."""
    from chalicelib.rating.data.models import LineSlot

    slot = LineSlot(household_id=line["household_id"], line_id=line["line_id"], campaign_id=line.get("campaign_id"),
                    org_path=line["org_path"], claimed_at=at)
    tx.save(slot, condition=LineSlot.PK.does_not_exist(),
            on_fail=SlotTaken("the household already has a proposed or active credit line",
                              code="HOUSEHOLD_HAS_LINE", field="household_id"))


def add_check_slot_owner(tx: dynamo.TxBuilder, household_id: str, line_id: str) -> None:
    """Add to ``tx`` a check that ``line_id`` still owns the household's slot (the decision "no line for this
    household, it has ``line_id``" is then taken atomically). Fails with :class:`SlotTaken` (code
    ``HOUSEHOLD_LINE_CHANGED``) otherwise."""
    from chalicelib.rating.data.models import LineSlot

    tx.condition_check(LineSlot, *LineSlot.key(household_id), LineSlot.line_id == line_id,
                       on_fail=SlotTaken("the household's credit line changed meanwhile",
                                         code="HOUSEHOLD_LINE_CHANGED", field="household_id"))


def add_release_slot(tx: dynamo.TxBuilder, line: dict[str, Any]) -> None:
    """Add to ``tx`` the release of the household's slot by ``line`` if it owns one (``holds_slot``; lines
    written before the slot existed own none): a delete conditioned on ``line_id`` being this line."""
    if not line.get("holds_slot"):
        return
    from chalicelib.rating.data.models import LineSlot

    slot = LineSlot(household_id=line["household_id"], line_id=line["line_id"])
    tx.delete_model(slot, condition=LineSlot.line_id == line["line_id"],
                    on_fail=Conflict(f"the line slot of household {line['household_id']} is not held by line "
                                     f"{line['line_id']}", code="CREDIT_LINE_STATE_CONFLICT"))


def with_keys(item: dict[str, Any]) -> dict[str, Any]:
    """The master line ``item`` with its keys and index entries
    (:meth:`chalicelib.rating.data.models.CreditLine.keyed`)."""
    from chalicelib.rating.data.models import CreditLine

    return CreditLine.keyed(item)


def sub_item(line: dict[str, Any], product_code: str, limit: Any, available: Any) -> dict[str, Any]:
    """The dict item (keys included) of the ``product_code`` sub-line of ``line``."""
    from chalicelib.rating.data.models import SubLine

    return SubLine.item(line, product_code, limit, available)


def get_unscoped(line_id: str) -> dict[str, Any] | None:
    """Master line item with its sub-lines under ``sub_lines`` (a list), or None."""
    from chalicelib.rating.data.models import CreditLine, SubLine

    items = dynamo.query_all(_table(), pk_value=CreditLine.partition(line_id), consistent=True)
    master = next((i for i in items if i["SK"] == "LINE"), None)
    if master is None:
        return None
    master["sub_lines"] = sorted((i for i in items if SubLine.is_sub_line(i["SK"])), key=lambda s: s["SK"])
    return master


def get(principal: Principal, line_id: str) -> dict[str, Any]:
    """A line with its sub-lines in the caller's scope; 404 ``CREDIT_LINE_NOT_FOUND``."""
    return principal.ensure_can_see(get_unscoped(line_id), "credit_line")


def masters_of_household(household_id: str) -> list[dict[str, Any]]:
    """The household's master lines, oldest first, without sub-lines (GSI1 ``HH#<id>#LINE``; system use)."""
    from chalicelib.rating.data.models import CreditLine

    return dynamo.query_all(_table(), index="GSI1", pk_value=CreditLine.household_partition(household_id))


def for_household(principal: Principal, household_id: str) -> list[dict[str, Any]]:
    """The household's lines (newest last), each with its sub-lines, filtered to the caller's scope.

    Raises NotFound(``HOUSEHOLD_NOT_FOUND``) when the household itself is outside the caller's scope."""
    from chalicelib.customers import public as households

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
                  "available", "valid_from", "valid_to", "version", "grade", "holds_slot")


def list_for_campaign(campaign_id: str) -> list[dict[str, Any]]:
    """Master lines of a campaign, projected to :data:`SUMMARY_FIELDS` (no sub-lines; system use)."""
    from chalicelib.rating.data.models import CreditLine
    from chalicelib.rating.data.ratings import query_projected

    out: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = query_projected(_table(), index="GSI2", pk_value=CreditLine.campaign_partition(campaign_id),
                               fields=SUMMARY_FIELDS, limit=500, cursor=cursor)
        out.extend(page.items)
        if not page.cursor:
            return out
        cursor = page.cursor
