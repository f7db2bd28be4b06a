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
  ``failed`` campaign keeps it (it is restarted, or cancelled by staff: ``service.campaign_cancel``). The
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
    from chalicelib.rating.data.campaign_models import Campaign

    pk, sk = Campaign.key(campaign_id)
    return {"PK": pk, "SK": sk}


def with_keys(item: dict[str, Any]) -> dict[str, Any]:
    """The campaign ``item`` with its keys and index entry (:meth:`chalicelib.rating.data.models.Campaign.keyed`)."""
    from chalicelib.rating.data.campaign_models import Campaign

    return Campaign.keyed(item)


def get_unscoped(campaign_id: str) -> dict[str, Any] | None:
    return dynamo.get(_table(), *key(campaign_id).values())


def get(principal: Principal, campaign_id: str) -> dict[str, Any]:
    """A campaign in the caller's scope (never to farmers); 404 ``CAMPAIGN_NOT_FOUND``."""
    item = get_unscoped(campaign_id)
    if principal.role == "farmer":
        item = None
    return principal.ensure_can_see(item, "campaign")


def for_village(principal: Principal, village_code: str) -> list[dict[str, Any]]:
    from chalicelib.rating.data.campaign_models import Campaign

    items = dynamo.query_all(_table(), index="GSI1", pk_value=Campaign.village_partition(village_code))
    return [i for i in items if principal.role != "farmer" and principal.can_see(org_path=i.get("org_path"))]


# ---------------------------------------------------------------------------------------------- village lock

class CampaignRunning(Conflict):
    """Another campaign of the village is open (its id is in ``details`` once read, see
    :func:`running_campaign_error`)."""


def get_lock(village_code: str) -> dict[str, Any] | None:
    """The village's campaign lock (consistent read: ``campaign_id``, ``period``, ...), or None when no campaign
    is open."""
    from chalicelib.rating.data.campaign_models import CampaignLock

    found = CampaignLock.find(*CampaignLock.key(village_code))
    return found.state() if found else None


def add_acquire_lock(tx: dynamo.TxBuilder, campaign: dict[str, Any], *, at: str) -> None:
    """Add to ``tx`` the lock of ``campaign``'s village by it (``campaign_id``, ``village_code``, ``period``,
    ``org_path``): a put that succeeds when no campaign holds the village or this one does already (a restart).
    Fails the transaction with :class:`CampaignRunning` (``CAMPAIGN_RUNNING``) when another holds it."""
    from chalicelib.rating.data.campaign_models import CampaignLock

    lock = CampaignLock(village_code=campaign["village_code"], campaign_id=campaign["campaign_id"],
                        period=str(campaign["period"]), org_path=campaign["org_path"], acquired_at=at)
    tx.save(lock, condition=CampaignLock.PK.does_not_exist() | (CampaignLock.campaign_id == campaign["campaign_id"]),
            on_fail=CampaignRunning("another campaign of this village is still open", code="CAMPAIGN_RUNNING",
                                    field="village_code"))


def add_release_lock(tx: dynamo.TxBuilder, village_code: str, campaign_id: str) -> None:
    """Add to ``tx`` the release of the village's lock held by ``campaign_id`` (a delete conditioned on it;
    fails with Conflict ``CAMPAIGN_LOCK_CHANGED`` otherwise). Call only after reading that it holds it."""
    from chalicelib.rating.data.campaign_models import CampaignLock

    tx.delete_model(CampaignLock(village_code=village_code, campaign_id=campaign_id),
                    condition=CampaignLock.campaign_id == campaign_id,
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

def get_config(campaign_id: str) -> dict[str, Any]:
    """The campaign's configuration snapshot (``rated_on``, ``documents``, ``versions``, ``challenger``,
    ``averages``); NotFound ``CAMPAIGN_CONFIG_NOT_FOUND`` before the load step wrote it."""
    from chalicelib.rating.data.campaign_models import CampaignConfig

    found = CampaignConfig.find(*CampaignConfig.key(campaign_id))
    if found is None:
        raise NotFound(f"campaign {campaign_id} has no configuration snapshot", code="CAMPAIGN_CONFIG_NOT_FOUND")
    return found.state()


def put_config(campaign_id: str, *, rated_on: str, documents: dict[str, Any], versions: dict[str, Any],
               challenger: dict[str, Any] | None, averages: dict[str, Any]) -> dict[str, Any]:
    """Write the campaign's configuration snapshot once (condition: none exists) and return it; when a
    concurrent run of the campaign wrote it first, that one is returned."""
    from chalicelib.rating.data.campaign_models import CampaignConfig

    item = CampaignConfig(campaign_id=campaign_id, rated_on=rated_on, documents=documents, versions=versions,
                          challenger=challenger, averages=averages)
    try:
        dynamo.Transaction().save(item, condition=CampaignConfig.PK.does_not_exist(),
                                  on_fail=Conflict("exists", code="CONFIG_EXISTS")).commit()
    except Conflict as exc:
        if exc.code != "CONFIG_EXISTS":
            raise
        return get_config(campaign_id)
    return item.state()


# ---------------------------------------------------------------------------------------------- failures

def failures(campaign_id: str) -> list[dict[str, Any]]:
    """The campaign's households that could not be rated (``household_id``, ``code``, ``message``, ``at``)."""
    from chalicelib.platform.dynamo import pages
    from chalicelib.rating.data.campaign_models import Campaign, CampaignFailure

    found = pages.model_query_all(CampaignFailure, pk_value=Campaign.partition(campaign_id), sk_op="begins_with",
                                  sk_value=CampaignFailure.PREFIX, consistent=True)
    return [f.state() for f in found]


def put_failures(campaign_id: str, failed: list[tuple[str, str, str]], *, at: str) -> None:
    """Record ``(household_id, code, message)`` failures of the campaign (unconditional batch writes: a record of
    the last attempt, replaced by the next)."""
    from chalicelib.platform.dynamo import batch
    from chalicelib.rating.data.campaign_models import CampaignFailure

    batch.put_models(CampaignFailure(campaign_id=campaign_id, household_id=hid, code=code, message=message[:500],
                                     at=at) for hid, code, message in failed)


def clear_failures(campaign_id: str) -> None:
    """Delete the campaign's failure records (a re-run retries those households)."""
    from chalicelib.rating.data.campaign_models import CampaignFailure

    stale = [CampaignFailure.key(campaign_id, f["household_id"]) for f in failures(campaign_id)]
    for start in range(0, len(stale), 25):
        dynamo.client().batch_write_item(RequestItems={_table(): [
            {"DeleteRequest": {"Key": dynamo.to_item({"PK": pk, "SK": sk})}} for pk, sk in stale[start:start + 25]]})


# ---------------------------------------------------------------------------------------------- objections

def objections(campaign_id: str) -> list[dict[str, Any]]:
    """The campaign's objections (oldest id first)."""
    from chalicelib.platform.dynamo import pages
    from chalicelib.rating.data.campaign_models import Campaign, Objection

    found = pages.model_query_all(Objection, pk_value=Campaign.partition(campaign_id), sk_op="begins_with",
                                  sk_value=Objection.PREFIX, consistent=True)
    return [o.state() for o in found]


def get_objection(campaign_id: str, objection_id: str) -> dict[str, Any]:
    """One objection; NotFound ``OBJECTION_NOT_FOUND``."""
    from chalicelib.rating.data.campaign_models import Objection

    found = Objection.find(*Objection.key(campaign_id, objection_id))
    if found is None:
        raise NotFound("objection not found", code="OBJECTION_NOT_FOUND", field="objection_id")
    return found.state()


def add_objection(tx: dynamo.TxBuilder, objection: dict[str, Any]) -> dict[str, Any]:
    """Add to ``tx`` the put of a new objection (condition: its id is new); returns it as stored."""
    from chalicelib.rating.data.campaign_models import Objection

    item = Objection(**objection)
    tx.save(item, condition=Objection.PK.does_not_exist())
    return item.state()


def add_decide_objection(tx: dynamo.TxBuilder, campaign_id: str, objection_id: str, *, status: str, by: str,
                         at: str, reason: str) -> None:
    """Add to ``tx`` the decision of an open objection (condition: still ``open``; Conflict ``OBJECTION_DECIDED``
    otherwise)."""
    from chalicelib.rating.data.campaign_models import Objection as O

    tx.update_model(O(campaign_id=campaign_id, objection_id=objection_id),
                    [O.status.set(status), O.decided_by.set(by), O.decided_at.set(at), O.decision_reason.set(reason),
                     O.version.add(1)],
                    condition=O.status == "open",
                    on_fail=Conflict("the objection was decided meanwhile", code="OBJECTION_DECIDED"))


# ---------------------------------------------------------------------------------------------- evaluations

def add_evaluations(tx: dynamo.TxBuilder, village: dict[str, Any], township: dict[str, Any] | None) -> None:
    """Add to ``tx`` a village's evaluation (``village``: the attributes of
    :class:`~chalicelib.rating.data.models.VillageEvaluation`), kept as history and as the village's latest, and
    its township's (``township``: those of :class:`~chalicelib.rating.data.models.TownshipEvaluation`, or None)."""
    from chalicelib.rating.data.campaign_models import LatestVillageEvaluation, TownshipEvaluation, VillageEvaluation

    tx.save(VillageEvaluation(kind="village_evaluation", **village))
    tx.save(LatestVillageEvaluation(kind="village_evaluation_latest", **village))
    if township is not None:
        tx.save(TownshipEvaluation(**township))


def latest_village_evaluations(township_code: str) -> list[dict[str, Any]]:
    """The latest evaluation of each evaluated village of a township."""
    from chalicelib.platform.dynamo import pages
    from chalicelib.rating.data.campaign_models import LatestVillageEvaluation as L

    return [e.state() for e in pages.model_query_all(L, index="GSI1", pk_value=L.township_partition(township_code))]


def village_evaluations(principal: Principal, village_code: str) -> list[dict[str, Any]]:
    """A village's evaluation history (oldest first), in the caller's scope."""
    from chalicelib.platform.dynamo import pages
    from chalicelib.rating.data.campaign_models import VillageEvaluation as V

    found = pages.model_query_all(V, pk_value=V.partition(village_code), sk_op="begins_with",
                                  sk_value=V.HISTORY_PREFIX)
    return _visible_in_order(principal, [e.state() for e in found])


def township_evaluations(principal: Principal, township_code: str) -> list[dict[str, Any]]:
    """A township's evaluation history (oldest first), in the caller's scope."""
    from chalicelib.platform.dynamo import pages
    from chalicelib.rating.data.campaign_models import TownshipEvaluation as T

    found = pages.model_query_all(T, pk_value=T.partition(township_code), sk_op="begins_with",
                                  sk_value=T.HISTORY_PREFIX)
    return _visible_in_order(principal, [e.state() for e in found])


def _visible_in_order(principal: Principal, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    items.sort(key=lambda i: i.get("evaluated_at", ""))
    return [i for i in items if principal.role != "farmer" and principal.can_see(org_path=i.get("org_path"))]
