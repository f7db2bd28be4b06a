"""Village credit campaigns (整村授信), their per-household failures, objections and the credit
household / village / township evaluations they produce.

Items (core table):

- ``CAMPAIGN#<campaign_id>`` / ``CAMPAIGN``: ``campaign_id`` (``VC-<village>-<period>``),
  ``village_code``, ``village_name``, ``township_code``/``township_name``, ``county_name``, ``org_path``
  (the village's outlet), ``period``, ``status`` (running | awaiting_confirmation | activating |
  completed | expired | failed | cancelled; ``cancelled_by``/``_at``, ``cancellation_reason``), ``attempt``,
  ``execution_arn``, ``started_by``, counters (``total``,
  ``rated``, ``failed``, ``skipped``, ``lines_proposed``, ``limit_total``, ``by_grade``), the notice
  (``notice_keys``, ``notice_from``, ``notice_until``, ``notice_revision``), ``confirmed_by``/``_at``,
  ``activated``/``withdrawn``, ``evaluation`` (summary), ``challenger``, ``version``,
  ``pending_adjustments`` (adjusted ratings waiting for a reviewer; missing = 0: see
  :func:`add_count_adjustment`).
  ``task_token`` is kept here server-side while waiting for confirmation and never leaves the API.
  GSI1 ``VILLAGE#<code>#CAMPAIGN`` / ``<period>``.
- ``VILLAGE#<code>`` / ``CAMPAIGN_LOCK``: the village's one open campaign (一村同时只有一个整村授信):
  ``campaign_id``, ``period``, ``village_code``, ``org_path``, ``acquired_at``. Put (condition: absent or
  held by the same campaign) in the transaction that creates or restarts a campaign; deleted (condition:
  held by that campaign) in the transaction that moves it to ``completed``, ``expired`` or ``cancelled``. A
  ``failed`` campaign keeps it (it is restarted, or cancelled by staff: ``rating.service.campaign.cancel``). The
  partition ``VILLAGE#<code>`` also holds the
  village's assignment (``chalicelib.admin.data.orgs``, SK ``VILLAGE``).
- ``CAMPAIGN#<id>`` / ``CONFIG``: the snapshot the campaign rates with (parameter documents and
  versions, village averages), written once by the load step.
- ``CAMPAIGN#<id>`` / ``FAIL#<household_id>``: a household that could not be rated (code, message).
- ``CAMPAIGN#<id>`` / ``OBJ#<objection_id>``: an objection (异议) raised during the public notice:
  ``household_id``, ``status`` (open | upheld | dismissed), ``raised_by`` (who objected, free text),
  ``reason``, ``recorded_by``, ``decided_by``, ``decision_reason``.
- ``EVAL#VILLAGE#<code>`` / ``CAMPAIGN#<campaign_id>``: the credit-village evaluation of one campaign
  (history); ``EVAL#VILLAGE#<code>`` / ``LATEST`` the newest, indexed by GSI1
  ``TOWNSHIP#<township_code>#VILLAGEEVAL`` / ``<village_code>`` for the township evaluation.
- ``EVAL#TOWNSHIP#<code>`` / ``CAMPAIGN#<campaign_id>``: credit-township evaluation recomputed when a
  village of it is evaluated (history).
"""
from __future__ import annotations

from typing import Any

from chalicelib.platform import dynamo
from chalicelib.platform.access import Principal
from chalicelib.platform.errors import Conflict, NotFound

ENTITY = "campaign"


def _table() -> str:
    from chalicelib.platform.settings import get_settings

    return get_settings().core_table


def key(campaign_id: str) -> dict[str, str]:
    return {"PK": f"CAMPAIGN#{campaign_id}", "SK": "CAMPAIGN"}


def with_keys(item: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in item.items() if not k.startswith("GSI")}
    out.update(key(item["campaign_id"]), kind="campaign", GSI1PK=f"VILLAGE#{item['village_code']}#CAMPAIGN",
               GSI1SK=str(item["period"]))
    return out


def get_unscoped(campaign_id: str) -> dict[str, Any] | None:
    return dynamo.get(_table(), *key(campaign_id).values())


def get(principal: Principal, campaign_id: str) -> dict[str, Any]:
    """A campaign in the caller's scope (never to farmers); 404 ``CAMPAIGN_NOT_FOUND``."""
    item = get_unscoped(campaign_id)
    if principal.role == "farmer":
        item = None
    return principal.ensure_can_see(item, "campaign")


def for_village(principal: Principal, village_code: str) -> list[dict[str, Any]]:
    items = dynamo.query_all(_table(), index="GSI1", pk_value=f"VILLAGE#{village_code}#CAMPAIGN")
    return [i for i in items if principal.role != "farmer" and principal.can_see(org_path=i.get("org_path"))]


# ---------------------------------------------------------------------------------------------- village lock

class CampaignRunning(Conflict):
    """Another campaign of the village is open (its id is in ``details`` once read, see
    :func:`running_campaign_error`)."""


def lock_key(village_code: str) -> dict[str, str]:
    return {"PK": f"VILLAGE#{village_code}", "SK": "CAMPAIGN_LOCK"}


def get_lock(village_code: str) -> dict[str, Any] | None:
    """The village's campaign lock (consistent read), or None when no campaign is open."""
    k = lock_key(village_code)
    return dynamo.get(_table(), k["PK"], k["SK"])


def add_acquire_lock(tx: dynamo.TxBuilder, campaign: dict[str, Any], *, at: str) -> None:
    """Add to ``tx`` the lock of ``campaign``'s village by it (``campaign_id``, ``village_code``, ``period``,
    ``org_path``): a put that succeeds when no campaign holds the village or this one does already (a restart).
    Fails the transaction with :class:`CampaignRunning` (``CAMPAIGN_RUNNING``) when another holds it."""
    tx.put(_table(), {**lock_key(campaign["village_code"]), "kind": "campaign_lock",
                      "campaign_id": campaign["campaign_id"], "village_code": campaign["village_code"],
                      "period": str(campaign["period"]), "org_path": campaign["org_path"], "acquired_at": at},
           condition="attribute_not_exists(PK) OR campaign_id = :cid", values={":cid": campaign["campaign_id"]},
           on_fail=CampaignRunning("another campaign of this village is still open", code="CAMPAIGN_RUNNING",
                                   field="village_code"))


def add_release_lock(tx: dynamo.TxBuilder, village_code: str, campaign_id: str) -> None:
    """Add to ``tx`` the release of the village's lock held by ``campaign_id`` (a delete conditioned on it;
    fails with Conflict ``CAMPAIGN_LOCK_CHANGED`` otherwise). Call only after reading that it holds it."""
    tx.delete(_table(), lock_key(village_code), condition="campaign_id = :cid", values={":cid": campaign_id},
              on_fail=Conflict("the village's campaign lock changed meanwhile", code="CAMPAIGN_LOCK_CHANGED"))


def running_campaign_error(village_code: str) -> CampaignRunning | None:
    """The 409 ``CAMPAIGN_RUNNING`` naming the campaign that holds the village now (None if none does)."""
    lock = get_lock(village_code)
    if lock is None:
        return None
    held = get_unscoped(lock["campaign_id"]) or {}
    return CampaignRunning(f"campaign {lock['campaign_id']} of village {village_code} is still open "
                           f"({held.get('status', 'unknown')}); a village runs one campaign at a time"
                           + ("; restart it (same period) or cancel it" if held.get("status") == "failed" else ""),
                           code="CAMPAIGN_RUNNING", field="village_code",
                           details={"campaign_id": lock["campaign_id"], "period": lock.get("period"),
                                    "status": held.get("status")})


# ---------------------------------------------------------------------------------------------- adjustments

PENDING_ADJUSTMENTS = "pending_adjustments"
#: The confirmation's condition on the campaign item: no adjusted rating waits for a reviewer.
NO_PENDING_ADJUSTMENTS = f"attribute_not_exists({PENDING_ADJUSTMENTS}) OR {PENDING_ADJUSTMENTS} = :no_pending"
NO_PENDING_VALUES: dict[str, Any] = {":no_pending": 0}


def add_count_adjustment(tx: dynamo.TxBuilder, campaign_id: str, delta: int, *, statuses: tuple[str, ...],
                         on_fail: Exception) -> None:
    """Add to ``tx`` (the transaction that adjusts a rating) ``pending_adjustments += delta`` on the campaign
    (+1 when a rating becomes ``adjusted``, -1 when an adjustment reverts it to ``auto``, 0 when it stays as it
    was), conditioned on the campaign being adjustable: not confirmed (no ``confirmed_by``) and in one of
    ``statuses``. The confirmation sets ``confirmed_by`` with the condition :data:`NO_PENDING_ADJUSTMENTS` on the
    same item, so an adjustment and a confirmation can never both succeed: whichever DynamoDB applies second
    fails its condition (``on_fail`` for the adjustment). See docs/decisions/0011, decision 6."""
    names = {"#p": PENDING_ADJUSTMENTS, "#st": "status"}
    values: dict[str, Any] = {":d": delta}
    for n, status in enumerate(statuses):
        values[f":s{n}"] = status
    tx.update(_table(), key(campaign_id), "ADD #p :d", values=values, names=names,
              condition="attribute_not_exists(confirmed_by) AND #st IN ("
                        + ", ".join(f":s{n}" for n in range(len(statuses))) + ")", on_fail=on_fail)


def add_adjustment_decided(tx: dynamo.TxBuilder, campaign_id: str) -> None:
    """Add to ``tx`` (the transaction that takes a rating out of ``adjusted``: a reviewer's approval, an upheld
    objection) ``pending_adjustments -= 1`` on the campaign."""
    tx.update(_table(), key(campaign_id), "ADD #p :d", values={":d": -1}, names={"#p": PENDING_ADJUSTMENTS},
              condition="attribute_exists(PK)")


# ---------------------------------------------------------------------------------------------- config

def config_key(campaign_id: str) -> dict[str, str]:
    return {"PK": f"CAMPAIGN#{campaign_id}", "SK": "CONFIG"}


def get_config(campaign_id: str) -> dict[str, Any]:
    item = dynamo.get(_table(), *config_key(campaign_id).values())
    if item is None:
        raise NotFound(f"campaign {campaign_id} has no configuration snapshot", code="CAMPAIGN_CONFIG_NOT_FOUND")
    return item


# ---------------------------------------------------------------------------------------------- failures

def failure_key(campaign_id: str, household_id: str) -> dict[str, str]:
    return {"PK": f"CAMPAIGN#{campaign_id}", "SK": f"FAIL#{household_id}"}


def failures(campaign_id: str) -> list[dict[str, Any]]:
    return dynamo.query_all(_table(), pk_value=f"CAMPAIGN#{campaign_id}", sk_prefix="FAIL#", consistent=True)


# ---------------------------------------------------------------------------------------------- objections

def objection_key(campaign_id: str, objection_id: str) -> dict[str, str]:
    return {"PK": f"CAMPAIGN#{campaign_id}", "SK": f"OBJ#{objection_id}"}


def objections(campaign_id: str) -> list[dict[str, Any]]:
    return dynamo.query_all(_table(), pk_value=f"CAMPAIGN#{campaign_id}", sk_prefix="OBJ#", consistent=True)


def get_objection(campaign_id: str, objection_id: str) -> dict[str, Any]:
    item = dynamo.get(_table(), *objection_key(campaign_id, objection_id).values())
    if item is None:
        raise NotFound("objection not found", code="OBJECTION_NOT_FOUND", field="objection_id")
    return item


# ---------------------------------------------------------------------------------------------- evaluations

def village_evaluation_keys(village_code: str, campaign_id: str) -> tuple[dict[str, str], dict[str, str]]:
    """(history key, latest key) of a village's credit-village evaluation."""
    return ({"PK": f"EVAL#VILLAGE#{village_code}", "SK": f"CAMPAIGN#{campaign_id}"},
            {"PK": f"EVAL#VILLAGE#{village_code}", "SK": "LATEST"})


def township_evaluation_key(township_code: str, campaign_id: str) -> dict[str, str]:
    return {"PK": f"EVAL#TOWNSHIP#{township_code}", "SK": f"CAMPAIGN#{campaign_id}"}


def latest_village_evaluations(township_code: str) -> list[dict[str, Any]]:
    return dynamo.query_all(_table(), index="GSI1", pk_value=f"TOWNSHIP#{township_code}#VILLAGEEVAL")


def village_evaluations(principal: Principal, village_code: str) -> list[dict[str, Any]]:
    """A village's evaluation history (oldest first), in the caller's scope."""
    items = dynamo.query_all(_table(), pk_value=f"EVAL#VILLAGE#{village_code}", sk_prefix="CAMPAIGN#")
    items.sort(key=lambda i: i.get("evaluated_at", ""))
    return [i for i in items if principal.role != "farmer" and principal.can_see(org_path=i.get("org_path"))]


def township_evaluations(principal: Principal, township_code: str) -> list[dict[str, Any]]:
    items = dynamo.query_all(_table(), pk_value=f"EVAL#TOWNSHIP#{township_code}", sk_prefix="CAMPAIGN#")
    items.sort(key=lambda i: i.get("evaluated_at", ""))
    return [i for i in items if principal.role != "farmer" and principal.can_see(org_path=i.get("org_path"))]
