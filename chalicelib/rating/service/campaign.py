"""Village credit campaign (整村授信) workflow: what the API and the state machine's tasks do.

The state machine (``statemachines/village_campaign.asl.json``) calls one function here per step:

``load`` → Map over batches of household ids → ``rate_batch`` (``record_batch_failure`` on a caught
error) → ``evaluate`` → ``publish_notice`` → ``await_confirmation`` (task token) → ``activate``;
``close`` on timeout (expired) or failure.

Idempotency: the campaign id is ``VC-<village>-<period>``; rating and line ids are derived from it and
the household id; the configuration (parameter documents and village averages) is snapshotted once.
Re-running a campaign therefore finds what an earlier run wrote and converges on the same state:
households already rated are skipped, the notice is regenerated with the same rows, activation only
touches items not yet activated.

DynamoDB traffic is batched: one BatchGetItem for the households and one for existing ratings per
batch, and one TransactWriteItems per ~14 households (rating, detail, line, sub-lines, audit records and the
campaign's progress counters, atomically).
"""
from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from chalicelib.platform import dynamo
from chalicelib.platform.access import Principal
from chalicelib.platform.clock import business_date, utc_now_iso
from chalicelib.platform.errors import Conflict, DomainError, NotFound, ValidationFailed
from chalicelib.rating.data import campaigns as camp_repo
from chalicelib.rating.data import credit_lines as line_repo
from chalicelib.rating.data import ratings as rating_repo
from chalicelib.rating.domain import village_credit as vc
from chalicelib.rating.domain.credit_line import add_years
from chalicelib.rating.domain.scorecard import VillageAverages, village_averages

SYSTEM_ACTOR = "system:campaign"
GRADES = ("AAA", "AA", "A", "NONE")
_MAX_TX_OPS = 100


def _settings():
    from chalicelib.platform.settings import get_settings

    return get_settings()


def _core() -> str:
    return _settings().core_table


def _audit_table() -> str:
    return _settings().audit_table


@cache
def _s3():
    from chalicelib.platform import aws

    return aws.s3()


@cache
def _sfn():
    from chalicelib.platform import aws

    return aws.stepfunctions()


def _log():
    from chalicelib.platform.observability import logger

    return logger()


# ================================================================================= households (contract)

def village_households(village_code: str) -> list[dict[str, Any]]:
    """Households filed for a village (the customers context's ``list_by_village``)."""
    from chalicelib.customers import public as customers

    return customers.list_by_village(village_code)


def households_by_id(ids: list[str]) -> dict[str, dict[str, Any]]:
    """Households by id with one BatchGetItem per 100 ids (the customers context's ``households_by_id``)."""
    from chalicelib.customers import public as customers

    return customers.households_by_id(ids)


# ================================================================================= configuration snapshot

def _documents(on: date) -> tuple[dict[str, Any], dict[str, int]]:
    from chalicelib.platform import parameters

    campaign_doc = parameters.get_effective("village_campaign", on)
    names = {"scorecard": campaign_doc["value"].get("scorecard_parameter") or "scorecard_expert",
             "credit_line": "credit_line_policy", "products": "products", "evaluation": "credit_evaluation",
             "classification": "classification_rule"}
    docs = {"campaign": campaign_doc["value"]}
    versions = {"village_campaign": campaign_doc["version"]}
    for role, name in names.items():
        got = parameters.get_effective(name, on)
        docs[role] = got["value"]
        versions[name] = got["version"]
    return docs, versions


@dataclass
class Config:
    """A campaign's frozen configuration: parsed policies, village averages, rating date, challenger."""

    campaign_id: str
    rated_on: date
    policies: vc.Policies
    averages: VillageAverages
    campaign_doc: dict[str, Any]
    challenger: dict[str, Any] | None = None
    challenger_artifact: dict[str, Any] | None = field(default=None, repr=False)
    classification_rule: dict[str, Any] | None = None  # five-category rule (None: the 2023 default)

    @property
    def notice_days(self) -> int:
        return int(self.campaign_doc.get("notice_days", 7))

    @property
    def margin_days(self) -> int:
        return int(self.campaign_doc.get("confirmation_margin_days", 7))


_CONFIG_CACHE: dict[str, Config] = {}


def config(campaign_id: str) -> Config:
    """The campaign's snapshot (cached per process: it never changes once written)."""
    cached = _CONFIG_CACHE.get(campaign_id)
    if cached:
        return cached
    item = camp_repo.get_config(campaign_id)
    docs = item["documents"]
    avg = item["averages"]
    cfg = Config(
        campaign_id=campaign_id, rated_on=date.fromisoformat(item["rated_on"]),
        policies=vc.Policies.from_documents(scorecard=docs["scorecard"], credit_line=docs["credit_line"],
                                            products=docs["products"], evaluation=docs["evaluation"],
                                            versions=item["versions"]),
        averages=VillageAverages(household_count=int(avg["household_count"]),
                                 **{k: Decimal(str(avg[k])) for k in ("total_assets", "net_assets", "net_income",
                                                                      "credit_union_shares")}),
        campaign_doc=docs["campaign"], challenger=item.get("challenger"),
        classification_rule=docs.get("classification"))
    if cfg.challenger:
        cfg.challenger_artifact = load_artifact(cfg.challenger["model_id"], cfg.challenger["version"])
    if len(_CONFIG_CACHE) > 64:
        _CONFIG_CACHE.clear()
    _CONFIG_CACHE[campaign_id] = cfg
    return cfg


def artifact_key(model_id: str, version: str) -> str:
    """Where a statistical points table lives in the documents bucket."""
    return f"models/{model_id}/{version}.json"


@cache
def load_artifact(model_id: str, version: str) -> dict[str, Any]:
    """A points-table artifact from S3; 422 ``CHALLENGER_NOT_FOUND`` if absent."""
    from botocore.exceptions import ClientError

    try:
        body = _s3().get_object(Bucket=_settings().documents_bucket, Key=artifact_key(model_id, version))["Body"]
    except ClientError:
        raise ValidationFailed(f"no model artifact {model_id} version {version}", code="CHALLENGER_NOT_FOUND",
                               field="challenger") from None
    return json.loads(body.read())


def check_challenger(challenger: dict[str, Any] | None) -> dict[str, Any] | None:
    """Validate a challenger reference: the artifact exists and scores household features only."""
    if not challenger:
        return None
    art = load_artifact(str(challenger["model_id"]), str(challenger["version"]))
    missing = vc.challenger_missing_features(art)
    if missing:
        raise ValidationFailed("the challenger model uses features households do not have; "
                               "see docs/decisions/0010-statistical-challenger.md",
                               code="CHALLENGER_FEATURES_UNAVAILABLE", field="challenger",
                               details={"missing": missing[:20]})
    return {"model_id": str(challenger["model_id"]), "version": str(challenger["version"])}


# ================================================================================= transactions

@dataclass
class Unit:
    """The writes for one household, committed atomically (and together with other units).

    ``redo(owner)`` rebuilds the household's writes once its line slot turned out to be owned by line
    ``owner`` (or free: ``None``) when the transaction ran (see :func:`_flush`)."""

    tx: dynamo.TxBuilder
    rated: int = 0
    lines: int = 0
    limit: Decimal = Decimal("0")
    grade: str | None = None
    household_id: str | None = None
    redo: Callable[[str | None], Unit] | None = field(default=None, repr=False)


def _commit(tx: dynamo.TxBuilder) -> None:
    """Commit, retrying transaction conflicts (parallel batches update the campaign's counters)."""
    for attempt in range(6):
        try:
            tx.commit()
            return
        except Conflict as exc:
            if exc.code != "CONCURRENT_UPDATE" or attempt == 5:
                raise
            time.sleep(0.05 * (2 ** attempt) * (0.5 + random.random()))


def _counter_update(tx: dynamo.TxBuilder, campaign_id: str, units: list[Unit]) -> None:
    rated = sum(u.rated for u in units)
    if not rated:
        return
    names = {"#rated": "rated", "#lines": "lines_proposed", "#limit": "limit_total"}
    values: dict[str, Any] = {":r": rated, ":l": sum(u.lines for u in units),
                              ":t": sum((u.limit for u in units), Decimal("0"))}
    parts = ["#rated :r", "#lines :l", "#limit :t"]
    for g in GRADES:
        n = sum(1 for u in units if u.grade == g)
        if n:
            names[f"#g{g}"] = f"grade_{g}"
            values[f":g{g}"] = n
            parts.append(f"#g{g} :g{g}")
    names["#st"] = "status"
    values[":cancelled"] = "cancelled"
    tx.update(_core(), camp_repo.key(campaign_id), "ADD " + ", ".join(parts), values=values, names=names,
              condition="#st <> :cancelled",  # a cancelled campaign's proposals are withdrawn: none may follow
              on_fail=Conflict(f"campaign {campaign_id} was cancelled", code="CAMPAIGN_CANCELLED"))


#: The statuses the workflow's own steps write in: all but ``cancelled`` (a cancelled campaign's execution is
#: stopped, and a step still in flight must not change it; a completed one may be re-run: see ADR 0011, decision 3).
WORKFLOW_STATUSES = tuple(s for s in vc.CAMPAIGN_STATUSES if s != "cancelled")


def commit_units(campaign_id: str, units: list[Unit], *, counters: bool = True) -> None:
    """Commit units in as few transactions as fit (≤ 100 operations each, counters included)."""
    chunk: list[Unit] = []
    ops = 0
    budget = _MAX_TX_OPS - (1 if counters else 0)
    for u in units:
        if chunk and ops + len(u.tx.ops) > budget:
            _flush(campaign_id, chunk, counters)
            chunk, ops = [], 0
        chunk.append(u)
        ops += len(u.tx.ops)
    if chunk:
        _flush(campaign_id, chunk, counters)


_EXISTS = ("RATING_EXISTS", "CREDIT_LINE_EXISTS")
_SLOT = ("HOUSEHOLD_HAS_LINE", "HOUSEHOLD_LINE_CHANGED")
_SLOT_ATTEMPTS = 5


def _flush(campaign_id: str, chunk: list[Unit], counters: bool, attempt: int = 0) -> None:
    """Commit ``chunk`` in one transaction. When a unit's rating exists already (a concurrent run of the same
    campaign wrote it) or a household's line slot is not as the unit assumed, the units are written one by
    one; a unit whose slot decided otherwise is rebuilt from the slot's owner at that moment (``redo``)
    and written again, so whether a household gets a line is decided by the slot's condition."""
    tx = dynamo.TxBuilder()
    for u in chunk:
        tx.extend(u.tx)
    if counters:
        _counter_update(tx, campaign_id, chunk)
    try:
        _commit(tx)
    except Conflict as exc:
        if exc.code not in _EXISTS + _SLOT:
            raise
        if len(chunk) > 1:  # one of them exists already or lost its slot: write them one by one
            for u in chunk:
                _flush(campaign_id, [u], counters)
            return
        if exc.code in _EXISTS:
            return  # written meanwhile by a concurrent run of the same campaign: nothing to do
        u = chunk[0]
        if u.redo is None or u.household_id is None or attempt >= _SLOT_ATTEMPTS:
            raise
        owner = line_repo.slot_owners([u.household_id]).get(u.household_id)
        if owner == vc.line_id(campaign_id, u.household_id):
            return  # this campaign's own line: written meanwhile by a concurrent run of the campaign
        _flush(campaign_id, [u.redo(owner)], counters, attempt + 1)


def _audit(entity: str, entity_id: str, action: str, actor: str, before: Any, after: Any, org_path: str,
           reason: str | None = None) -> dynamo.Audit:
    return dynamo.Audit(entity, entity_id, action, actor, before=before, after=after, org_path=org_path,
                        reason=reason)


def update_campaign(campaign_id: str, set_: dict[str, Any], *, actor: str, action: str,
                    expect_status: Iterable[str] | None = None, remove: Iterable[str] = (),
                    reason: str | None = None, on_fail: DomainError | None = None,
                    extra: Callable[[dynamo.TxBuilder, dict[str, Any]], None] | None = None,
                    condition: str | None = None, cond_values: dict[str, Any] | None = None) -> dict[str, Any]:
    """Change a campaign's attributes (bumping ``version``) with its audit record, in one transaction.

    ``extra(tx, current)`` adds operations to that transaction; ``condition`` (with ``cond_values``) is a
    further condition on the campaign item, ANDed with ``expect_status``. A change to a closed status
    (:data:`vc.CAMPAIGN_CLOSED_STATUSES`) releases the village's campaign lock in the same transaction if this
    campaign holds it. Raises NotFound ``CAMPAIGN_NOT_FOUND``, Conflict
    ``CAMPAIGN_STATE_CONFLICT`` (or ``on_fail``) when ``expect_status`` or ``condition`` does not hold, and
    whatever ``extra``'s operations raise."""
    for attempt in range(3):
        try:
            return _update_campaign(campaign_id, set_, actor=actor, action=action, expect_status=expect_status,
                                    remove=remove, reason=reason, on_fail=on_fail, extra=extra,
                                    condition=condition, cond_values=cond_values)
        except Conflict as exc:  # the lock was released by a concurrent closing of the same campaign
            if exc.code != "CAMPAIGN_LOCK_CHANGED" or attempt == 2:
                raise
    raise AssertionError("unreachable")


def _update_campaign(campaign_id: str, set_: dict[str, Any], *, actor: str, action: str,
                     expect_status: Iterable[str] | None, remove: Iterable[str], reason: str | None,
                     on_fail: DomainError | None,
                     extra: Callable[[dynamo.TxBuilder, dict[str, Any]], None] | None,
                     condition: str | None = None, cond_values: dict[str, Any] | None = None) -> dict[str, Any]:
    current = camp_repo.get_unscoped(campaign_id)
    if current is None:
        raise NotFound("campaign not found", code="CAMPAIGN_NOT_FOUND", field="campaign_id")
    names = {"#v": "version"}
    values: dict[str, Any] = {":one": 1}
    sets = []
    remove = [*remove, *(k for k, v in set_.items() if v is None)]
    set_ = {k: v for k, v in set_.items() if v is not None}
    for n, (k, v) in enumerate(set_.items()):
        names[f"#s{n}"] = k
        values[f":s{n}"] = v
        sets.append(f"#s{n} = :s{n}")
    expr = "SET " + ", ".join(sets) if sets else ""
    removes = list(remove)
    if removes:
        for n, k in enumerate(removes):
            names[f"#r{n}"] = k
        expr += " REMOVE " + ", ".join(f"#r{n}" for n in range(len(removes)))
    expr += " ADD #v :one"
    values.update(cond_values or {})
    if expect_status is not None:
        statuses = list(expect_status)
        names["#st"] = "status"
        for n, s in enumerate(statuses):
            values[f":e{n}"] = s
        in_status = "#st IN (" + ", ".join(f":e{n}" for n in range(len(statuses))) + ")"
        condition = f"{in_status} AND ({condition})" if condition else in_status
    tx = dynamo.TxBuilder()
    tx.update(_core(), camp_repo.key(campaign_id), expr.strip(), values=values, names=names, condition=condition,
              on_fail=on_fail or Conflict(f"campaign {campaign_id} is {current['status']}",
                                          code="CAMPAIGN_STATE_CONFLICT"))
    after = {**{k: v for k, v in current.items() if k not in removes}, **set_}
    after.pop("task_token", None)
    before = {k: v for k, v in current.items() if k != "task_token"}
    tx.audit(_audit_table(), _audit("campaign", campaign_id, action, actor,
                                    {k: before.get(k) for k in ("status", "version")},
                                    {k: after.get(k) for k in ["status", *set_] if k != "task_token"},
                                    current["org_path"], reason))
    if extra is not None:
        extra(tx, current)
    if set_.get("status") in vc.CAMPAIGN_CLOSED_STATUSES:
        lock = camp_repo.get_lock(current["village_code"])
        if lock is not None and lock.get("campaign_id") == campaign_id:
            camp_repo.add_release_lock(tx, current["village_code"], campaign_id)
    _commit(tx)
    return {**after, "version": current.get("version", 0) + 1}


# ================================================================================= start

def _execution_arn(name: str) -> str:
    sm = _settings().campaign_state_machine_arn
    return sm.replace(":stateMachine:", ":execution:") + f":{name}"


def start_campaign(principal: Principal, village_code: str, *, period: str | None = None,
                   challenger: dict[str, Any] | None = None) -> tuple[dict[str, Any], bool]:
    """Start the campaign of a village for a period (default: the business year).

    Idempotent: a campaign that exists already is returned as it is (``created`` False), except a
    ``failed`` one, which is started again (attempt + 1) and picks up what the failed run wrote. A campaign
    whose workflow died without closing it is marked failed first (:func:`settle_dead_execution`), here and when
    it holds the village (then the 409 names it as failed: restart it, or cancel it: :func:`cancel`).
    A village runs one campaign at a time: the campaign item and the village's lock
    (``chalicelib.rating.data.campaigns.add_acquire_lock``) are written in one transaction, so of two starts for
    different periods only one succeeds, whatever their timing.
    Raises NotFound ``VILLAGE_NOT_FOUND`` (not the caller's village), ValidationFailed
    ``VILLAGE_IS_RESIDENTS_COMMITTEE``, ``CHALLENGER_NOT_FOUND`` / ``CHALLENGER_FEATURES_UNAVAILABLE``,
    Conflict ``CAMPAIGN_RUNNING`` (another campaign of the village is open; ``details.campaign_id`` names it).
    """
    from chalicelib.admin import public as orgs
    from chalicelib.platform import parameters

    village = orgs.get_village(principal, village_code)
    if principal.role == "farmer":
        raise NotFound("village not found", code="VILLAGE_NOT_FOUND", field="village_code")
    today = business_date()
    campaign_doc = parameters.get_effective("village_campaign", today)["value"]
    institution_id = village["org_path"].strip("/").split("/")[1]
    unit_type = vc.check_campaign_unit(village_code, institution_id, campaign_doc)
    period = period or str(today.year)
    cid = vc.campaign_id(village_code, period)
    existing = camp_repo.get_unscoped(cid)
    if existing:
        existing = settle_dead_execution(existing)
    _settle_village(village_code, cid)
    if existing and existing["status"] != "failed":
        return existing, False
    if challenger is None:
        challenger = campaign_doc.get("challenger")
    challenger_ref = check_challenger(challenger)
    for attempt in range(3):
        try:
            if existing:
                stored, name = _restart(principal, existing)
            else:
                name = f"{cid}-1"
                stored = _create(principal, village, cid, period, challenger_ref, unit_type, _execution_arn(name),
                                 today)
            break
        except camp_repo.CampaignRunning:
            running = camp_repo.running_campaign_error(village_code)
            if running is not None:
                raise running from None
            if attempt == 2:  # the holder kept closing and another kept starting: let the caller retry
                raise
        except Conflict as exc:
            if exc.code != "CAMPAIGN_EXISTS":
                raise
            return camp_repo.get_unscoped(cid) or {}, False  # a concurrent start of the same period won the race
    _start_execution(cid, name)
    return camp_repo.get_unscoped(cid) or stored, True


def _settle_village(village_code: str, cid: str) -> None:
    """Mark the campaign that holds the village failed if its workflow died (:func:`settle_dead_execution`), so
    that a refused start names it as failed (it keeps the village: ADR 0011, decision 9)."""
    lock = camp_repo.get_lock(village_code)
    if lock is None or lock.get("campaign_id") == cid:
        return
    holder = camp_repo.get_unscoped(lock["campaign_id"])
    if holder is not None:
        settle_dead_execution(holder)


def _create(principal: Principal, village: dict[str, Any], cid: str, period: str,
            challenger_ref: dict[str, Any] | None, unit_type: str, execution_arn: str,
            today: date) -> dict[str, Any]:
    """Write a new campaign, the village's lock and the audit record in one transaction (Conflict
    ``CAMPAIGN_EXISTS`` / :class:`chalicelib.rating.data.campaigns.CampaignRunning` when they fail)."""
    now = utc_now_iso()
    item = camp_repo.with_keys({
        "campaign_id": cid, "village_code": village["village_code"], "village_name": village.get("village_name"),
        "township_code": village.get("township_code"), "township_name": village.get("township_name"),
        "county_code": village.get("county_code"), "county_name": village.get("county_name"),
        "unit_type": unit_type, "org_id": village["org_id"], "org_path": village["org_path"], "period": period,
        "status": "running", "attempt": 1, "execution_arn": execution_arn,
        "started_by": principal.user_id, "started_by_username": principal.username,
        "started_at": now, "started_on": today.isoformat(), "challenger": challenger_ref,
        "total": 0, "rated": 0, "skipped": 0, "lines_proposed": 0, "limit_total": Decimal("0")})
    tx = dynamo.TxBuilder()
    stored = dynamo.put_versioned(tx, _core(), item, expected_version=None, entity="campaign")
    camp_repo.add_acquire_lock(tx, item, at=now)
    tx.audit(_audit_table(), _audit("campaign", cid, "campaign.started", principal.user_id, None,
                                    {"status": "running", "period": period, "challenger": challenger_ref},
                                    village["org_path"]))
    tx.commit()
    return stored


def _restart(principal: Principal, existing: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Start a failed campaign again (attempt + 1), taking the village's lock back if it lost it."""
    cid = existing["campaign_id"]
    attempt = int(existing.get("attempt", 1)) + 1
    name = f"{cid}-{attempt}"
    stored = update_campaign(cid, {"status": "running", "attempt": attempt, "execution_arn": _execution_arn(name),
                                   "restarted_by": principal.user_id, "restarted_at": utc_now_iso()},
                             actor=principal.user_id, action="campaign.restarted", expect_status=("failed",),
                             remove=("error",),
                             extra=lambda tx, cur: camp_repo.add_acquire_lock(tx, cur, at=utc_now_iso()))
    return stored, name


def _start_execution(cid: str, name: str) -> None:
    from botocore.exceptions import ClientError

    try:
        _sfn().start_execution(stateMachineArn=_settings().campaign_state_machine_arn, name=name,
                               input=json.dumps({"campaign_id": cid}))
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ExecutionAlreadyExists":
            return
        update_campaign(cid, {"status": "failed", "error": {"Error": "START_FAILED",
                                                            "Cause": exc.response["Error"]["Code"]}},
                        actor=SYSTEM_ACTOR, action="campaign.failed")
        raise


def execution_status(campaign: dict[str, Any]) -> str | None:
    """The Step Functions status of the campaign's current execution (None if unknown)."""
    from botocore.exceptions import ClientError

    arn = campaign.get("execution_arn")
    if not arn:
        return None
    try:
        return _sfn().describe_execution(executionArn=arn)["status"]
    except ClientError:
        return None


# ================================================================================= task: load

def load(campaign_id: str) -> dict[str, Any]:
    """Load the village's households, snapshot the configuration (once), reset progress to what is
    already stored, write the S3 manifest and return the batches of household ids."""
    c = camp_repo.get_unscoped(campaign_id)
    if c is None:
        raise NotFound(f"campaign {campaign_id} not found", code="CAMPAIGN_NOT_FOUND")
    households = village_households(c["village_code"])
    try:
        cfg_item = camp_repo.get_config(campaign_id)
    except NotFound:
        cfg_item = None
    if cfg_item is None:
        on = date.fromisoformat(c["started_on"])
        docs, versions = _documents(on)
        statuses = set(docs["campaign"].get("rate_statuses") or ("submitted", "verified"))
        rateable = [h for h in households if h.get("status") in statuses]
        policies = vc.Policies.from_documents(scorecard=docs["scorecard"], credit_line=docs["credit_line"],
                                              products=docs["products"], evaluation=docs["evaluation"])
        inputs, _bad = vc.inputs_for(rateable, today=on, term_years=policies.requested_term_years)
        if not inputs:
            raise ValidationFailed(f"village {c['village_code']} has no household that can be rated",
                                   code="VILLAGE_EMPTY")
        avg = village_averages(inputs.values())
        cfg_item = {**camp_repo.config_key(campaign_id), "kind": "campaign_config", "campaign_id": campaign_id,
                    "rated_on": on.isoformat(), "documents": docs, "versions": versions,
                    "challenger": c.get("challenger"),
                    "averages": {"household_count": avg.household_count, "total_assets": avg.total_assets,
                                 "net_assets": avg.net_assets, "net_income": avg.net_income,
                                 "credit_union_shares": avg.credit_union_shares}}
        try:
            dynamo.TxBuilder().put(_core(), cfg_item, condition="attribute_not_exists(PK)",
                                   on_fail=Conflict("exists", code="CONFIG_EXISTS")).commit()
        except Conflict as exc:
            if exc.code != "CONFIG_EXISTS":
                raise
            cfg_item = camp_repo.get_config(campaign_id)
    docs = cfg_item["documents"]
    statuses = set(docs["campaign"].get("rate_statuses") or ("submitted", "verified"))
    ids = sorted(h["household_id"] for h in households if h.get("status") in statuses)
    # a re-run starts with the progress already stored; stale failures are retried
    stale = camp_repo.failures(campaign_id)
    for start in range(0, len(stale), 25):
        dynamo.client().batch_write_item(RequestItems={_core(): [
            {"DeleteRequest": {"Key": dynamo.to_item({"PK": f["PK"], "SK": f["SK"]})}} for f in stale[start:start + 25]]})
    existing = [r for r in rating_repo.list_for_campaign(campaign_id)]
    baseline: dict[str, Any] = {
        "total": len(ids), "skipped": len(households) - len(ids), "rated": len(existing),
        "lines_proposed": sum(1 for r in existing if r.get("line_id")),
        "limit_total": sum((Decimal(str(r.get("proposed_limit") or 0)) for r in existing), Decimal("0")),
        "parameter_versions": cfg_item["versions"], "notice_days": int(docs["campaign"].get("notice_days", 7))}
    for g in GRADES:
        baseline[f"grade_{g}"] = sum(1 for r in existing if r.get("grade") == g)
    manifest_key = f"campaigns/{campaign_id}/manifest.json"
    _s3().put_object(Bucket=_settings().documents_bucket, Key=manifest_key, ContentType="application/json",
                     Body=json.dumps([{"household_id": i} for i in ids]).encode())
    baseline["manifest_key"] = manifest_key
    update_campaign(campaign_id, baseline, actor=SYSTEM_ACTOR, action="campaign.loaded",
                    expect_status=WORKFLOW_STATUSES)
    size = max(1, int(docs["campaign"].get("batch_size", 25)))
    notice_days = int(docs["campaign"].get("notice_days", 7))
    margin = int(docs["campaign"].get("confirmation_margin_days", 7))
    return {"batches": [{"household_ids": ids[i:i + size]} for i in range(0, len(ids), size)],
            "total": len(ids), "manifest": {"Bucket": _settings().documents_bucket, "Key": manifest_key},
            "max_concurrency": max(1, int(docs["campaign"].get("max_concurrency", 4))),
            "confirmation_timeout_seconds": (notice_days + margin) * 86400,
            "already_confirmed": bool(c.get("confirmed_by"))}


# ================================================================================= task: rate a batch

def _plain(value: Any) -> Any:
    """Domain values → storable values (dates as ISO, tuples as lists)."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _head(household: dict[str, Any]) -> tuple[str, str]:
    from chalicelib.rating.domain import household_metrics as hm

    try:
        head = hm.head_member(household)
    except ValidationFailed:
        return "", ""
    return str(head.get("name") or ""), vc.mask_resident_id(head.get("resident_id_masked"))


def rating_record(campaign: dict[str, Any], household: dict[str, Any], outcome: vc.HouseholdOutcome,
                  cfg: Config) -> dict[str, Any]:
    """The rating item of one household's outcome (without keys)."""
    s, p = outcome.score, outcome.proposal
    head_name, head_id = _head(household)
    inp = outcome.rating_input
    liabilities = household.get("liabilities") or {}
    bank_loans = liabilities.get("bank_loans") or 0
    return {
        "rating_id": vc.rating_id(campaign["campaign_id"], outcome.household_id),
        "household_id": outcome.household_id, "org_path": household.get("org_path") or campaign["org_path"],
        "village_code": campaign["village_code"], "campaign_id": campaign["campaign_id"], "status": "auto",
        "scorecard_id": s.scorecard_id, "scorecard_version": s.scorecard_version,
        "parameter_versions": cfg.policies.versions, "policy_version": p.policy_version,
        "score": s.total_score, "auto_grade": s.grade, "grade": s.grade, "grade_by_score": s.grade_by_score,
        "knocked_out": list(s.knocked_out), "reasons": list(s.reason_codes),
        "points": [{"indicator_id": i.indicator_id, "points": i.points, "max_points": i.max_points,
                    "bin": i.bin_label, "value_used": i.value_used, "raw_value": i.raw_value,
                    "reason_code": i.reason_code} for i in s.indicators],
        "rating_input": {"household_size": inp.household_size, "labourers": inp.labourers,
                         "total_assets": inp.total_assets, "net_assets": inp.net_assets,
                         "credit_union_shares": inp.credit_union_shares, "net_income": inp.net_income,
                         "committee_assessment": inp.committee_assessment,
                         "repayment_record": inp.repayment_record, "head_age": inp.head_age,
                         "blacklisted": inp.blacklisted, "currently_overdue": inp.currently_overdue,
                         "requested_term_years": inp.requested_term_years},
        "figures": dict(outcome.figures),
        "village_averages": {"total_assets": cfg.averages.total_assets, "net_assets": cfg.averages.net_assets,
                             "net_income": cfg.averages.net_income},
        "bank_loans": Decimal(str(bank_loans)), "currently_overdue": inp.currently_overdue,
        "ledger_overdue_loans": list(household.get("ledger_overdue_loans") or []),
        "is_credit_household": outcome.is_credit_household,
        "proposed_limit": p.master_limit, "line_id": vc.line_id(campaign["campaign_id"], outcome.household_id)
        if p.eligible and not household.get("existing_line_id") else None,
        "existing_line_id": household.get("existing_line_id"),
        "ineligible_reason": p.ineligible_reason, "binding_constraint": p.binding_constraint,
        "challenger": {k: _plain(outcome.challenger[k]) for k in ("model_id", "version", "score", "score_int",
                                                                  "probability_of_default", "fallbacks")
                       if outcome.challenger.get(k) is not None} if outcome.challenger else None,
        "challenger_detail": {"points": _plain(outcome.challenger.get("points"))} if outcome.challenger else None,
        "head_name": head_name, "head_id_masked": head_id,
        "village_group": household.get("village_group"), "household_no": household.get("household_no"),
        "rated_on": cfg.rated_on.isoformat(), "rated_by": SYSTEM_ACTOR, "campaign_started_by": campaign["started_by"],
        "household_version": household.get("version"),
    }


def line_records(rating: dict[str, Any], proposal: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Master line (proposed, owning the household's line slot: the caller claims it in the same
    transaction) and sub-line items for an eligible proposal."""
    line = {"line_id": rating["line_id"], "household_id": rating["household_id"], "org_path": rating["org_path"],
            "village_code": rating["village_code"], "campaign_id": rating["campaign_id"],
            "rating_id": rating["rating_id"], "status": "proposed", "grade": proposal.grade,
            "limit": proposal.master_limit, "available": proposal.master_limit,
            "binding_constraint": proposal.binding_constraint,
            "candidates": {k: Decimal(str(v)) for k, v in proposal.candidates.items()},
            "policy_id": proposal.policy_id, "policy_version": proposal.policy_version,
            "line_validity_years": proposal.line_validity_years, "created_on": rating["rated_on"],
            "currency": "CNY", "revolving": True, "holds_slot": True}
    subs = [line_repo.sub_item(line, s.product_id, s.limit, s.limit) for s in proposal.sub_lines]
    line["sub_limits"] = {s.product_id: s.limit for s in proposal.sub_lines}
    return line, subs


def creation_unit(campaign: dict[str, Any], household: dict[str, Any], outcome: vc.HouseholdOutcome,
                  cfg: Config) -> Unit:
    """The writes of one household's rating and, if eligible, its proposed line with the claim of the
    household's line slot. ``household["existing_line_id"]`` (the slot's owner as read, if any) means: no
    line, the rating names that line, and the transaction checks that it still owns the slot. Either way
    the condition, not the read, decides; a unit whose condition fails is rebuilt (``Unit.redo``)."""
    rating = rating_record(campaign, household, outcome, cfg)
    main, detail = rating_repo.split(rating)
    tx = dynamo.TxBuilder()
    stored = dynamo.put_versioned(tx, _core(), rating_repo.with_keys(main), expected_version=None, entity="rating")
    tx.put(_core(), detail)
    tx.audit(_audit_table(), _audit("rating", rating["rating_id"], "rating.created", SYSTEM_ACTOR, None,
                                    {k: stored[k] for k in ("status", "score", "grade", "auto_grade", "knocked_out",
                                                            "reasons", "proposed_limit", "campaign_id")},
                                    rating["org_path"]))
    unit = Unit(tx=tx, rated=1, grade=rating["grade"], household_id=outcome.household_id,
                redo=lambda owner: creation_unit(campaign, {**household, "existing_line_id": owner}, outcome, cfg))
    if outcome.proposal.eligible and not rating["line_id"]:
        line_repo.add_check_slot_owner(tx, outcome.household_id, rating["existing_line_id"])
    if outcome.proposal.eligible and rating["line_id"]:
        line, subs = line_records(rating, outcome.proposal)
        dynamo.put_versioned(tx, _core(), line_repo.with_keys(line), expected_version=None, entity="credit_line")
        line_repo.add_claim_slot(tx, line, at=utc_now_iso())
        for s in subs:
            tx.put(_core(), s)
        tx.audit(_audit_table(), _audit("credit_line", line["line_id"], "credit_line.proposed", SYSTEM_ACTOR, None,
                                        {"status": "proposed", "limit": line["limit"],
                                         "sub_limits": line["sub_limits"], "rating_id": rating["rating_id"]},
                                        rating["org_path"]))
        unit.lines, unit.limit = 1, line["limit"]
    return unit


def rate_batch(campaign_id: str, household_ids: list[str]) -> dict[str, Any]:
    """Rate and propose lines for a batch of households; per-household problems become failure records."""
    c = camp_repo.get_unscoped(campaign_id)
    if c is None:
        raise NotFound(f"campaign {campaign_id} not found", code="CAMPAIGN_NOT_FOUND")
    cfg = config(campaign_id)
    ids = list(dict.fromkeys(household_ids))
    rids = {h: vc.rating_id(campaign_id, h) for h in ids}
    existing = rating_repo.batch_get(rids.values())
    todo = [h for h in ids if rids[h] not in existing]
    households = households_by_id(todo)
    ledger = _ledger_overdue(todo, cfg.rated_on)
    slot_owners = line_repo.slot_owners(todo)  # a hint: each unit's condition on the slot decides
    units: list[Unit] = []
    failures: list[tuple[str, str, str]] = []
    for hid in todo:
        h = households.get(hid)
        if h is None:
            failures.append((hid, "HOUSEHOLD_NOT_FOUND", "the household was not found"))
            continue
        if h.get("village_code") != c["village_code"]:
            failures.append((hid, "HOUSEHOLD_NOT_IN_VILLAGE", "the household belongs to another village now"))
            continue
        if ledger.get(hid):
            h = {**h, "currently_overdue": True, "ledger_overdue_loans": ledger[hid]}
        if slot_owners.get(hid):
            h = {**h, "existing_line_id": slot_owners[hid]}
        try:
            outcome = vc.rate_household(h, cfg.averages, cfg.policies, today=cfg.rated_on,
                                        challenger_artifact=cfg.challenger_artifact)
            units.append(creation_unit(c, h, outcome, cfg))
        except DomainError as exc:
            failures.append((hid, exc.code, exc.message))
        except Exception as exc:  # noqa: BLE001 - a household must not stop the village: record it, go on
            _log().exception("rating a household failed", extra={"household_id": hid, "campaign_id": campaign_id})
            failures.append((hid, "INTERNAL_ERROR", type(exc).__name__))
    commit_units(campaign_id, units)
    record_failures(campaign_id, failures)
    return {"rated": len(units), "failed": len(failures), "already_rated": len(ids) - len(todo)}


def _ledger_overdue(household_ids: list[str], on: date) -> dict[str, list[str]]:
    """Household id → its loans at this institution past due on ``on``: such a household is *currently
    overdue* for the knock-out rule, whatever its file says. One key-range query per household on its own
    loan index (GSI1 ``HH#<id>#LOAN``), so loans booked under another village (the household moved) or
    written before loans carried a village count too."""
    from chalicelib.loans import public as loans

    out: dict[str, list[str]] = {}
    for hid in household_ids:
        late = [ln["loan_id"] for ln in loans.overdue_for_household(hid, on.isoformat())]
        if late:
            out[hid] = sorted(late)
    return out


def record_failures(campaign_id: str, failures: list[tuple[str, str, str]]) -> None:
    at = utc_now_iso()
    dynamo.batch_put(_core(), ({**camp_repo.failure_key(campaign_id, hid), "kind": "campaign_failure",
                                "campaign_id": campaign_id, "household_id": hid, "code": code,
                                "message": message[:500], "at": at} for hid, code, message in failures))


def record_batch_failure(campaign_id: str, household_ids: list[str], error: dict[str, Any] | None) -> dict[str, Any]:
    """Catch path of a batch: every household of it without a rating is recorded as failed."""
    error = error or {}
    code = str(error.get("Error") or "BATCH_FAILED")
    cause = str(error.get("Cause") or "")
    try:
        cause = json.loads(cause).get("errorMessage", cause)
    except (ValueError, AttributeError):
        pass
    existing = rating_repo.batch_get(vc.rating_id(campaign_id, h) for h in household_ids)
    missing = [h for h in household_ids if vc.rating_id(campaign_id, h) not in existing]
    record_failures(campaign_id, [(h, code, cause or "the batch failed") for h in missing])
    return {"failed": len(missing)}


# ================================================================================= task: evaluate

def evaluate(campaign_id: str) -> dict[str, Any]:
    """Credit household / village / township evaluation of the campaign (kept as history).

    Only a village (村民委员会, or a unit like one) is evaluated as a credit village (信用村): a residents'
    committee that an institution was allowed to run a campaign in (``check_campaign_unit``) gets no
    credit-village evaluation and does not count for its township; the campaign records why
    (``evaluation.applicable`` false, ``reason`` ``RESIDENTS_COMMITTEE``). The township's villages are its
    villagers' committees by the division-code rule (``divisions.unit_type``)."""
    from chalicelib.rating.domain.evaluation import VillageFacts, evaluate_township, evaluate_village
    from chalicelib.reference import divisions

    c = camp_repo.get_unscoped(campaign_id)
    if divisions.is_urban_unit(c["village_code"]):
        summary = {"applicable": False, "reason": "RESIDENTS_COMMITTEE",
                   "unit_type": divisions.unit_type(c["village_code"])}
        update_campaign(campaign_id, {"evaluation": summary}, actor=SYSTEM_ACTOR, action="campaign.evaluated",
                        expect_status=WORKFLOW_STATUSES)
        return {"is_credit_village": None, "is_credit_township": None}
    cfg = config(campaign_id)
    ratings = [r for r in rating_repo.list_for_campaign(campaign_id) if r["status"] != "withdrawn"]
    day = business_date()
    book = _loan_book(c["village_code"], ratings, day, cfg.classification_rule)
    household_count = int(c.get("total", 0)) + int(c.get("skipped", 0))
    facts = VillageFacts(
        household_count=max(household_count, len(ratings), book.borrower_count),
        credit_household_count=sum(1 for r in ratings if r.get("is_credit_household")),
        borrower_count=book.borrower_count, borrowers_without_arrears=book.borrowers_without_arrears,
        loan_balance=book.loan_balance, npl_balance=book.npl_balance)
    ev = evaluate_village(facts, cfg.policies.evaluation)
    now = utc_now_iso()
    base = {"village_code": c["village_code"], "village_name": c.get("village_name"),
            "township_code": c.get("township_code"), "org_path": c["org_path"], "campaign_id": campaign_id,
            "evaluated_at": now, "evaluated_on": day.isoformat(),
            "evaluation_id": cfg.policies.evaluation.evaluation_id,
            "evaluation_version": cfg.policies.evaluation.version,
            "parameter_version": cfg.policies.versions.get("credit_evaluation"),
            "facts": {"household_count": facts.household_count, "credit_household_count": facts.credit_household_count,
                      "borrower_count": facts.borrower_count,
                      "borrowers_without_arrears": facts.borrowers_without_arrears,
                      "loan_balance": facts.loan_balance, "npl_balance": facts.npl_balance,
                      "ledger": {"loans": book.ledger_loan_count, "borrowers": book.ledger_borrowers,
                                 "balance": book.ledger_balance, "overdue_loans": book.overdue_loan_count,
                                 "npl_loans": book.npl_loan_count, "balance_by_category": book.balance_by_category},
                      "household_files": {"borrowers_without_ledger_loans": book.file_only_borrowers,
                                          "declared_balance": book.declared_balance}},
            "credit_household_ratio": ev.credit_household_ratio,
            "borrowers_without_arrears_ratio": ev.borrowers_without_arrears_ratio, "npl_ratio": ev.npl_ratio,
            "is_credit_village": ev.is_credit_village, "failed": list(ev.failed)}
    hist_key, latest_key = camp_repo.village_evaluation_keys(c["village_code"], campaign_id)
    summary = {k: base[k] for k in ("credit_household_ratio", "borrowers_without_arrears_ratio", "npl_ratio",
                                    "is_credit_village", "failed")}
    summary["facts"] = base["facts"]
    tx = dynamo.TxBuilder()
    tx.put(_core(), {**hist_key, "kind": "village_evaluation", **base})
    tx.put(_core(), {**latest_key, "kind": "village_evaluation_latest", **base,
                     "GSI1PK": f"TOWNSHIP#{c.get('township_code')}#VILLAGEEVAL", "GSI1SK": c["village_code"]})
    township = None
    if c.get("township_code"):
        latest = {i["village_code"]: bool(i.get("is_credit_village"))
                  for i in camp_repo.latest_village_evaluations(c["township_code"])
                  if not divisions.is_urban_unit(i["village_code"])}
        latest[c["village_code"]] = ev.is_credit_village
        codes = {v.code for v in divisions.villages_in_county(c["township_code"][:6])
                 if v.township_code == c["township_code"]
                 and divisions.unit_type(v.code) == "villagers_committee"} | set(latest)
        te = evaluate_township(len(codes), sum(1 for v in latest.values() if v), cfg.policies.evaluation)
        township = {"township_code": c["township_code"], "township_name": c.get("township_name"),
                    "village_count": len(codes), "credit_village_count": sum(1 for v in latest.values() if v),
                    "evaluated_village_count": len(latest), "credit_village_ratio": te.credit_village_ratio,
                    "is_credit_township": te.is_credit_township, "failed": list(te.failed)}
        tx.put(_core(), {**camp_repo.township_evaluation_key(c["township_code"], campaign_id),
                         "kind": "township_evaluation", "org_path": c["org_path"], "campaign_id": campaign_id,
                         "evaluated_at": now, **township})
        summary["township"] = township
    _commit(tx)
    update_campaign(campaign_id, {"evaluation": summary}, actor=SYSTEM_ACTOR, action="campaign.evaluated",
                    expect_status=WORKFLOW_STATUSES)
    return {"is_credit_village": ev.is_credit_village,
            "is_credit_township": township["is_credit_township"] if township else None}


def _loan_book(village_code: str, ratings: list[dict[str, Any]], day: date,
                classification_rule: dict[str, Any] | None) -> Any:
    """The village's loan book on ``day``: its active loans (one index query), each classified with the
    campaign's rule and never better than the category post-loan assessed for it (one batch read of the
    post-loan states: healthy loans mostly have none)."""
    from chalicelib.loans import public as loans
    from chalicelib.postloan import public as postloan_repo
    from chalicelib.rating.domain.evaluation import village_loan_book

    ledger = loans.active_in_village(village_code)
    states = postloan_repo.states_by_id([ln["loan_id"] for ln in ledger]) if ledger else {}
    assessed = {k: v["assessed_category"] for k, v in states.items() if v.get("assessed_category")}
    return village_loan_book(ledger, ratings, today=day, classification_rule=classification_rule, assessed=assessed)


# ================================================================================= task: notice

def notice_keys(campaign_id: str) -> dict[str, str]:
    return {"csv": f"campaigns/{campaign_id}/notice.csv", "pdf": f"campaigns/{campaign_id}/notice.pdf"}


def _institution_name(org_path: str) -> str:
    from chalicelib.admin import public as orgs

    parts = org_path.strip("/").split("/")
    org = orgs.get_org(parts[1]) if len(parts) > 1 else None
    return org["name"] if org else ""


def publish_notice(campaign_id: str, *, actor: str = SYSTEM_ACTOR, reason: str | None = None) -> dict[str, Any]:
    """Render the public notice (CSV + PDF) from the current ratings and store both in S3."""
    from chalicelib.rating.domain.notice_document import NoticeHeader, render_csv, render_pdf

    c = camp_repo.get_unscoped(campaign_id)
    cfg = config(campaign_id)
    ratings = [r for r in rating_repo.list_for_campaign(campaign_id) if r["status"] not in ("withdrawn", "expired")]
    rows = vc.notice_rows(ratings)
    notice_from = date.fromisoformat(c["notice_from"]) if c.get("notice_from") else business_date()
    notice_until = notice_from + timedelta(days=cfg.notice_days - 1)
    header = NoticeHeader(campaign_id=campaign_id, village_code=c["village_code"],
                          village_name=c.get("village_name") or "", township_name=c.get("township_name") or "",
                          county_name=c.get("county_name") or "", institution_name=_institution_name(c["org_path"]),
                          notice_from=notice_from.isoformat(), notice_until=notice_until.isoformat(),
                          household_count=int(c.get("total", 0)), rated_count=len(ratings))
    keys = notice_keys(campaign_id)
    bucket = _settings().documents_bucket
    _s3().put_object(Bucket=bucket, Key=keys["csv"], Body=render_csv(header, rows), ContentType="text/csv; charset=utf-8")
    _s3().put_object(Bucket=bucket, Key=keys["pdf"], Body=render_pdf(header, rows), ContentType="application/pdf")
    update_campaign(campaign_id, {"notice_keys": keys, "notice_from": notice_from.isoformat(),
                                  "notice_until": notice_until.isoformat(), "notice_rows": len(rows),
                                  "notice_revision": int(c.get("notice_revision", 0)) + 1},
                    actor=actor, action="campaign.notice_published", reason=reason,
                    expect_status=WORKFLOW_STATUSES)
    return {"rows": len(rows), "notice_until": notice_until.isoformat()}


def notice_url(principal: Principal, campaign_id: str, fmt: str, *, expires: int = 300) -> dict[str, Any]:
    """A presigned GET URL of the notice (``csv`` or ``pdf``); 409 ``NOTICE_NOT_READY`` before it exists."""
    c = camp_repo.get(principal, campaign_id)
    if not c.get("notice_keys"):
        raise Conflict("the public notice has not been published yet", code="NOTICE_NOT_READY")
    key = c["notice_keys"][fmt]
    url = _s3().generate_presigned_url("get_object", Params={"Bucket": _settings().documents_bucket, "Key": key},
                                       ExpiresIn=expires)
    return {"campaign_id": campaign_id, "format": fmt, "url": url, "expires_in": expires,
            "revision": int(c.get("notice_revision", 1)), "notice_from": c.get("notice_from"),
            "notice_until": c.get("notice_until")}


# ================================================================================= task: wait for confirmation

def await_confirmation(campaign_id: str, task_token: str) -> dict[str, Any]:
    """Keep the task token server-side and mark the campaign as waiting for the institution."""
    try:
        update_campaign(campaign_id, {"task_token": task_token, "status": "awaiting_confirmation",
                                      "awaiting_since": utc_now_iso()},
                        actor=SYSTEM_ACTOR, action="campaign.awaiting_confirmation",
                        expect_status=("running", "awaiting_confirmation"))
    except Conflict:
        c = camp_repo.get_unscoped(campaign_id) or {}
        if c.get("confirmed_by"):  # confirmed by an earlier run: resume at once
            _sfn().send_task_success(taskToken=task_token, output=json.dumps(
                {"confirmed_by": c["confirmed_by"], "confirmed_at": c.get("confirmed_at")}))
            return {"resumed": True}
        raise
    return {"waiting": True}


def confirm(principal: Principal, campaign_id: str, comment: str | None) -> dict[str, Any]:
    """The institution confirms the list after the notice: the workflow resumes and activates.

    The campaign's update is conditioned on its status and on no adjusted rating waiting for a reviewer
    (``pending_adjustments`` 0 or missing), the count every adjustment changes in its own transaction on the
    same item: whichever of a confirmation and an adjustment is applied second is refused
    (docs/decisions/0011, decision 6). The reads before it only give early, itemised answers.
    Raises Conflict ``CAMPAIGN_NOT_AWAITING_CONFIRMATION``, ``OBJECTIONS_OPEN``, ``ADJUSTMENTS_PENDING``,
    ``CONFIRMATION_WINDOW_CLOSED``; Forbidden ``SEPARATION_OF_DUTIES`` (the starter may not confirm).
    """
    c = camp_repo.get(principal, campaign_id)
    if c["status"] != "awaiting_confirmation" or not c.get("task_token"):
        raise Conflict(f"the campaign is {c['status']}, not awaiting confirmation",
                       code="CAMPAIGN_NOT_AWAITING_CONFIRMATION", field="status")
    vc.check_separation_of_duties(principal.user_id, others={"campaign starter": c.get("started_by")})
    open_objections = [o for o in camp_repo.objections(campaign_id) if o["status"] == "open"]
    if open_objections:
        raise Conflict(f"{len(open_objections)} objection(s) are still open; decide them first",
                       code="OBJECTIONS_OPEN", details={"objection_ids": [o["objection_id"] for o in open_objections]})
    pending = _pending_adjustments(campaign_id)
    if pending is not None:
        raise pending
    token = c["task_token"]
    at = utc_now_iso()
    raced = Conflict("the campaign changed while it was being confirmed", code="CONFIRMATION_RACED")
    try:  # the decision is the campaign item's condition: still awaiting, and no adjusted rating pending
        updated = update_campaign(campaign_id, {"status": "activating", "confirmed_by": principal.user_id,
                                                "confirmed_by_username": principal.username, "confirmed_at": at,
                                                "confirmation_comment": comment},
                                  actor=principal.user_id, action="campaign.confirmed", reason=comment,
                                  expect_status=("awaiting_confirmation",), remove=("task_token",),
                                  condition=camp_repo.NO_PENDING_ADJUSTMENTS, cond_values=camp_repo.NO_PENDING_VALUES,
                                  on_fail=raced)
    except Conflict as exc:
        if exc.code != raced.code:
            raise
        now = camp_repo.get_unscoped(campaign_id) or {}
        if now.get("status") != "awaiting_confirmation":
            raise Conflict(f"the campaign is {now.get('status')}, not awaiting confirmation",
                           code="CAMPAIGN_NOT_AWAITING_CONFIRMATION", field="status") from None
        raise _pending_adjustments(campaign_id) or Conflict(
            "an adjusted rating was waiting for a reviewer's approval; confirm again", code="ADJUSTMENTS_PENDING",
            details={"rating_ids": []}) from None
    from botocore.exceptions import ClientError

    try:
        _sfn().send_task_success(taskToken=token, output=json.dumps({"confirmed_by": principal.user_id,
                                                                     "confirmed_at": at}))
    except ClientError as exc:
        _log().warning("confirmation could not resume the workflow", extra={"campaign_id": campaign_id,
                                                                            "code": exc.response["Error"]["Code"]})
        try:
            close(campaign_id, "expired", reason="the confirmation window had closed")
        except Conflict:  # the workflow's own expiry step is closing it at the same time
            _log().warning("closing the expired campaign met a concurrent change", extra={"campaign_id": campaign_id})
        raise Conflict("the confirmation window has closed; the campaign expired",
                       code="CONFIRMATION_WINDOW_CLOSED") from None
    return updated


def _pending_adjustments(campaign_id: str) -> Conflict | None:
    """409 ``ADJUSTMENTS_PENDING`` naming the campaign's adjusted ratings (read now), or None if it has none."""
    pending = [r["rating_id"] for r in rating_repo.list_for_campaign(campaign_id) if r["status"] == "adjusted"]
    if not pending:
        return None
    return Conflict(f"{len(pending)} adjusted rating(s) wait for a reviewer's approval",
                    code="ADJUSTMENTS_PENDING", details={"rating_ids": pending[:50]})


# ================================================================================= task: activate

def _minus_day(d: date) -> date:
    return d - timedelta(days=1)


def activate(campaign_id: str, confirmation: dict[str, Any] | None = None) -> dict[str, Any]:
    """Lines go live (and ratings become effective), except for households with an upheld objection.

    Lines take effect the day after the notice period ends (or today if later), so nothing can be
    drawn while the list is still posted. A line goes live only in the transaction that makes its rating
    effective (``auto``: approved by the confirmation; ``approved``: by a reviewer); a rating still ``adjusted``
    (which the confirmation's condition rules out) is withdrawn with its line, never activated at an unapproved
    limit.
    """
    c = camp_repo.get_unscoped(campaign_id)
    cfg = config(campaign_id)
    confirmer = (confirmation or {}).get("confirmed_by") or c.get("confirmed_by") or SYSTEM_ACTOR
    upheld = {o["household_id"] for o in camp_repo.objections(campaign_id) if o["status"] == "upheld"}
    today = business_date()
    notice_end = date.fromisoformat(c["notice_until"]) if c.get("notice_until") else today
    valid_from = max(today, notice_end + timedelta(days=1))
    rating_valid_to = _minus_day(add_years(valid_from, cfg.policies.credit_line.rating_validity_years))
    line_valid_to = _minus_day(add_years(valid_from, cfg.policies.credit_line.line_validity_years))
    lines = {ln["line_id"]: ln for ln in line_repo.list_for_campaign(campaign_id)}
    units: list[Unit] = []
    for r in rating_repo.list_for_campaign(campaign_id):
        tx = dynamo.TxBuilder()
        line = lines.get(r.get("line_id") or "")
        if r["household_id"] in upheld:
            if r["status"] in ("auto", "adjusted", "approved"):
                _put_rating(tx, r, {"status": "withdrawn", "withdrawn_reason": "OBJECTION_UPHELD"}, confirmer,
                            "rating.withdrawn", "objection upheld")
            if line and line["status"] == "proposed":
                _put_line(tx, line, {"status": "withdrawn", "available": Decimal("0"),
                                     "withdrawn_reason": "OBJECTION_UPHELD"}, confirmer, "credit_line.withdrawn",
                          "objection upheld")
        elif r["status"] == "adjusted":  # never approved: its limit must not go live (see confirm)
            _log().error("an adjusted rating reached activation unapproved; withdrawn",
                         extra={"campaign_id": campaign_id, "rating_id": r["rating_id"]})
            _put_rating(tx, r, {"status": "withdrawn", "withdrawn_reason": "ADJUSTMENT_NOT_APPROVED"}, confirmer,
                        "rating.withdrawn", "adjusted rating not approved at activation")
            if line and line["status"] == "proposed":
                _put_line(tx, line, {"status": "withdrawn", "available": Decimal("0"),
                                     "withdrawn_reason": "ADJUSTMENT_NOT_APPROVED"}, confirmer,
                          "credit_line.withdrawn", "adjusted rating not approved at activation")
        else:
            if r["status"] in ("auto", "approved"):
                change = {"status": "effective", "valid_from": valid_from.isoformat(),
                          "valid_to": rating_valid_to.isoformat(), "effective_at": utc_now_iso()}
                if r["status"] == "auto":
                    change.update(approved_by=confirmer, approved_at=utc_now_iso(),
                                  approval_basis="campaign_confirmation")
                _put_rating(tx, r, change, confirmer, "rating.effective", None)
            # a line goes live only in the transaction that makes its rating effective, guarded by the rating's
            # version: a rating that changed since this read cancels both
            if line and line["status"] == "proposed" and r["status"] in ("auto", "approved"):
                _put_line(tx, line, {"status": "active", "valid_from": valid_from.isoformat(),
                                     "valid_to": line_valid_to.isoformat(), "available": line["limit"],
                                     "activated_at": utc_now_iso(), "activated_by": confirmer},
                          confirmer, "credit_line.activated", None)
        if tx.ops:
            units.append(Unit(tx=tx))
    commit_units(campaign_id, units, counters=False)
    final = line_repo.list_for_campaign(campaign_id)
    active = [ln for ln in final if ln["status"] == "active"]
    result = {"activated": len(active), "withdrawn": sum(1 for ln in final if ln["status"] == "withdrawn"),
              "active_limit_total": sum((Decimal(str(ln["limit"])) for ln in active), Decimal("0")),
              "lines_valid_from": valid_from.isoformat()}
    update_campaign(campaign_id, {**result, "status": "completed", "completed_at": utc_now_iso()},
                    actor=confirmer, action="campaign.completed", expect_status=WORKFLOW_STATUSES)
    return {"activated": result["activated"], "withdrawn": result["withdrawn"]}


def _put_rating(tx: dynamo.TxBuilder, rating: dict[str, Any], change: dict[str, Any], actor: str, action: str,
                reason: str | None, *, remove: tuple[str, ...] = ()) -> dict[str, Any]:
    """Change a rating's attributes with an UpdateItem guarded by its ``version`` (optimistic lock),
    plus its audit record; maintains the expiry index (GSI3) of effective ratings. ``rating`` needs
    only ``rating_id``, ``status``, ``version``, ``org_path`` (and ``grade``) — a projection will do.
    Returns the rating as it will be stored (``rating`` with the change applied)."""
    names = {"#v": "version", "#u": "updated_at"}
    now = utc_now_iso()
    values: dict[str, Any] = {":v": rating["version"], ":v1": rating["version"] + 1, ":now": now}
    sets = ["#v = :v1", "#u = :now"]
    changed = {k: v for k, v in change.items() if v is not None}
    removes = [*remove, *(k for k, v in change.items() if v is None)]
    for n, (k, v) in enumerate(changed.items()):
        names[f"#c{n}"] = k
        values[f":c{n}"] = v
        sets.append(f"#c{n} = :c{n}")
    new_status = changed.get("status", rating["status"])
    if new_status == "effective" and changed.get("valid_to"):
        names.update({"#g3p": "GSI3PK", "#g3s": "GSI3SK"})
        values.update({":g3p": f"EXPIRY#{changed['valid_to']}", ":g3s": f"RATING#{rating['rating_id']}"})
        sets += ["#g3p = :g3p", "#g3s = :g3s"]
    elif rating["status"] == "effective" and new_status != "effective":
        removes += ["GSI3PK", "GSI3SK"]
    for n, k in enumerate(dict.fromkeys(removes)):
        names[f"#r{n}"] = k
    expr = "SET " + ", ".join(sets)
    if removes:
        expr += " REMOVE " + ", ".join(f"#r{n}" for n in range(len(dict.fromkeys(removes))))
    tx.update(_core(), rating_repo.key(rating["rating_id"]), expr, values=values, names=names,
              condition="#v = :v", on_fail=Conflict(f"rating {rating['rating_id']} was changed by someone else; "
                                                    "reload and retry", code="VERSION_CONFLICT", field="version"))
    stored = {k: v for k, v in rating.items() if k not in removes}
    stored.update(changed, version=rating["version"] + 1, updated_at=now)
    tx.audit(_audit_table(), _audit("rating", rating["rating_id"], action, actor,
                                    {k: rating.get(k) for k in ("status", "grade", "version", "proposed_limit")},
                                    {k: stored.get(k) for k in ("status", "grade", "version", "proposed_limit",
                                                                *changed) if k != "adjustments"},
                                    rating["org_path"], reason))
    return stored


def _put_line(tx: dynamo.TxBuilder, line: dict[str, Any], change: dict[str, Any], actor: str, action: str,
              reason: str | None, *, condition: str | None = None, cond_values: dict[str, Any] | None = None,
              cond_names: dict[str, str] | None = None, on_fail: DomainError | None = None) -> None:
    """Change a master line's status (and attributes) with an UpdateItem conditioned on its current
    status: the loans subsystem decrements ``available`` concurrently, so lines are never replaced whole
    once they can be drawn. Maintains the expiry index (GSI3) of active lines. A line leaving
    :data:`vc.LINE_SLOT_STATUSES` releases its household's line slot in the same transaction (if it holds
    it: ``holds_slot``, which the condition checks as read)."""
    status_to = change["status"]
    names = {"#st": "status", "#v": "version", "#u": "updated_at", "#hs": "holds_slot"}
    values: dict[str, Any] = {":from": line["status"], ":one": 1, ":now": utc_now_iso()}
    sets = ["#u = :now"]
    for n, (k, v) in enumerate(change.items()):
        names[f"#c{n}"] = k
        values[f":c{n}"] = v
        sets.append(f"#c{n} = :c{n}")
    removes = []
    if status_to == "active" and change.get("valid_to"):
        names.update({"#g3p": "GSI3PK", "#g3s": "GSI3SK"})
        values.update({":g3p": f"EXPIRY#{change['valid_to']}", ":g3s": f"LINE#{line['line_id']}"})
        sets += ["#g3p = :g3p", "#g3s = :g3s"]
    elif line["status"] == "active":
        names.update({"#g3p": "GSI3PK", "#g3s": "GSI3SK"})
        removes = ["#g3p", "#g3s"]
    holds = bool(line.get("holds_slot"))
    releases = holds and status_to not in vc.LINE_SLOT_STATUSES
    if releases:
        removes.append("#hs")
    expr = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "") + " ADD #v :one"
    cond = "#st = :from AND " + ("#hs = :true" if holds else "attribute_not_exists(#hs)")
    if holds:
        values[":true"] = True
    cond += f" AND ({condition})" if condition else ""
    values.update(cond_values or {})
    names.update(cond_names or {})
    tx.update(_core(), line_repo.key(line["line_id"]), expr, values=values, names=names, condition=cond,
              on_fail=on_fail or Conflict(f"credit line {line['line_id']} changed meanwhile",
                                          code="CREDIT_LINE_STATE_CONFLICT"))
    if releases:
        line_repo.add_release_slot(tx, line)
    tx.audit(_audit_table(), _audit("credit_line", line["line_id"], action, actor,
                                    {k: line.get(k) for k in ("status", "limit", "available", "version")},
                                    {"status": status_to, **{k: v for k, v in change.items() if k != "status"}},
                                    line["org_path"], reason))


# ================================================================================= task: close (expired / failed)

def _withdraw_proposals(campaign_id: str, *, rating_status: str, reason_code: str, actor: str, why: str) -> int:
    """Take every not-yet-effective rating of the campaign (auto | adjusted | approved) to ``rating_status`` and
    withdraw every proposed line (releasing its household's line slot), each household in one transaction with
    its audit records; returns how many households changed. Idempotent: what is no longer pending is skipped."""
    units: list[Unit] = []
    lines = {ln["line_id"]: ln for ln in line_repo.list_for_campaign(campaign_id)}
    for r in rating_repo.list_for_campaign(campaign_id):
        tx = dynamo.TxBuilder()
        if r["status"] in ("auto", "adjusted", "approved"):
            _put_rating(tx, r, {"status": rating_status, f"{rating_status}_reason": reason_code}, actor,
                        f"rating.{rating_status}", why)
        line = lines.pop(r.get("line_id") or "", None)
        if line and line["status"] == "proposed":
            _put_line(tx, line, {"status": "withdrawn", "available": Decimal("0"), "withdrawn_reason": reason_code},
                      actor, "credit_line.withdrawn", why)
        if tx.ops:
            units.append(Unit(tx=tx))
    for line in lines.values():  # a proposal whose rating is missing (written by a step that then died)
        if line["status"] == "proposed":
            tx = dynamo.TxBuilder()
            _put_line(tx, line, {"status": "withdrawn", "available": Decimal("0"), "withdrawn_reason": reason_code},
                      actor, "credit_line.withdrawn", why)
            units.append(Unit(tx=tx))
    commit_units(campaign_id, units, counters=False)
    return len(units)


def close(campaign_id: str, outcome: str, error: dict[str, Any] | None = None, *,
          reason: str = "no confirmation within the notice period and margin") -> dict[str, Any]:
    """End a campaign whose workflow is still in flight (:data:`vc.CAMPAIGN_IN_FLIGHT_STATUSES`) that was not
    confirmed in time (``expired``: proposed lines withdrawn, releasing their households' line slots, pending
    ratings expired, the village's lock released) or that failed (``failed``: the error is kept, and so are the
    village's lock and the proposals, ADR 0011 decision 9: starting it again resumes, and staff who do not want
    that cancel it, which frees both: :func:`cancel`).

    A campaign that is no longer in flight (closed, failed already, cancelled meanwhile) is left as it is; returns
    ``{"status"}``, the campaign's status afterwards."""
    current = camp_repo.get_unscoped(campaign_id)
    if current is None:
        raise NotFound(f"campaign {campaign_id} not found", code="CAMPAIGN_NOT_FOUND")
    if current["status"] not in vc.CAMPAIGN_IN_FLIGHT_STATUSES:
        return {"status": current["status"]}
    try:
        if outcome == "expired":
            _withdraw_proposals(campaign_id, rating_status="expired", reason_code="CAMPAIGN_NOT_CONFIRMED",
                                actor=SYSTEM_ACTOR, why="the campaign was not confirmed in time")
            update_campaign(campaign_id, {"status": "expired", "expired_at": utc_now_iso()}, actor=SYSTEM_ACTOR,
                            action="campaign.expired", remove=("task_token",), reason=reason,
                            expect_status=vc.CAMPAIGN_IN_FLIGHT_STATUSES)
            return {"status": "expired"}
        err = error or {}
        cause = str(err.get("Cause") or "")
        try:
            cause = json.loads(cause).get("errorMessage", cause)
        except (ValueError, AttributeError):
            pass
        update_campaign(campaign_id, {"status": "failed", "failed_at": utc_now_iso(),
                                      "error": {"Error": str(err.get("Error") or "FAILED"), "Cause": cause[:500]}},
                        actor=SYSTEM_ACTOR, action="campaign.failed", remove=("task_token",),
                        expect_status=vc.CAMPAIGN_IN_FLIGHT_STATUSES)
        return {"status": "failed"}
    except Conflict as exc:  # closed meanwhile (a cancellation, a concurrent close): it stays as it is
        if exc.code not in ("CAMPAIGN_STATE_CONFLICT", "CAMPAIGN_CANCELLED"):
            raise
        after = camp_repo.get_unscoped(campaign_id) or {}
        if after.get("status") in vc.CAMPAIGN_IN_FLIGHT_STATUSES:
            raise
        return {"status": after.get("status")}


#: Step Functions execution statuses of a workflow that has ended without a campaign status to show for it.
_DEAD_EXECUTION = ("FAILED", "TIMED_OUT", "ABORTED")


def settle_dead_execution(campaign: dict[str, Any]) -> dict[str, Any]:
    """A campaign still in flight whose Step Functions execution has ended (failed, timed out or aborted without
    reaching its failure step: a Lambda that kept failing in the failure step itself, an execution stopped by
    hand) is marked ``failed`` (error ``EXECUTION_<status>``), so it can be restarted or cancelled.
    Returns the campaign as it is afterwards (unchanged if its workflow is alive or it is not in flight)."""
    if campaign.get("status") not in vc.CAMPAIGN_IN_FLIGHT_STATUSES:
        return campaign
    status = execution_status(campaign)
    if status not in _DEAD_EXECUTION:
        return campaign
    _log().warning("a campaign's workflow ended without closing it; marked failed",
                   extra={"campaign_id": campaign["campaign_id"], "execution_status": status})
    close(campaign["campaign_id"], "failed", {"Error": f"EXECUTION_{status}",
                                              "Cause": f"the campaign's Step Functions execution is {status}"})
    return camp_repo.get_unscoped(campaign["campaign_id"]) or campaign


# ================================================================================= cancel (staff)

def cancel(principal: Principal, campaign_id: str, reason: str) -> dict[str, Any]:
    """Staff abandon a campaign that is not confirmed (running, awaiting confirmation or failed: a stuck or
    failed one that is not to be resumed). Returns the campaign, ``cancelled``.

    One transaction moves the campaign to ``cancelled`` (conditioned on its status and on no confirmation:
    a confirmation and a cancellation cannot both succeed) with the audit record (``reason``) and releases the
    village's lock if the campaign holds it. Then its not-yet-effective ratings are withdrawn and its proposed
    lines withdrawn, releasing their households' line slots, and its execution is stopped. A workflow step still
    in flight cannot add to it: the rating writes are conditioned on the campaign not being cancelled
    (:func:`_counter_update`), and so are the campaign's other workflow updates (:data:`WORKFLOW_STATUSES`).

    Idempotent: cancelling a cancelled campaign withdraws what an interrupted earlier cancellation left and
    returns it. Scoped: NotFound ``CAMPAIGN_NOT_FOUND`` outside the caller's organisation. Raises Conflict
    ``CAMPAIGN_CONFIRMED`` (confirmed: its lines are, or are being, activated) and ``CAMPAIGN_CLOSED`` (completed
    or expired)."""
    c = camp_repo.get(principal, campaign_id)
    if c["status"] != "cancelled":
        if c.get("confirmed_by") or c["status"] in ("activating", "completed"):
            raise Conflict(f"the campaign is confirmed ({c['status']}); it cannot be cancelled",
                           code="CAMPAIGN_CONFIRMED", field="status")
        if c["status"] not in vc.CAMPAIGN_CANCELLABLE_STATUSES:
            raise Conflict(f"the campaign is {c['status']} already", code="CAMPAIGN_CLOSED", field="status")
        raced = Conflict("the campaign changed while it was being cancelled", code="CANCELLATION_RACED")
        try:
            update_campaign(campaign_id, {"status": "cancelled", "cancelled_by": principal.user_id,
                                          "cancelled_at": utc_now_iso(), "cancellation_reason": reason},
                            actor=principal.user_id, action="campaign.cancelled", reason=reason,
                            expect_status=vc.CAMPAIGN_CANCELLABLE_STATUSES, remove=("task_token",),
                            condition="attribute_not_exists(confirmed_by)", on_fail=raced)
        except Conflict as exc:
            if exc.code != raced.code:
                raise
            now = camp_repo.get_unscoped(campaign_id) or {}
            if now.get("status") != "cancelled":  # confirmed or closed meanwhile: say which
                return cancel(principal, campaign_id, reason)
    _withdraw_proposals(campaign_id, rating_status="withdrawn", reason_code="CAMPAIGN_CANCELLED",
                        actor=principal.user_id, why=reason)
    _stop_execution(c)
    return camp_repo.get_unscoped(campaign_id) or c


def _stop_execution(campaign: dict[str, Any]) -> None:
    """Stop the campaign's execution (``campaign`` as read before the cancellation, with its ``task_token`` if it
    was waiting for the confirmation). The waiting task is also failed with its token: on AWS the stop has ended
    the execution already and the call is refused (ignored); moto's executor notices a stop only when the task
    it waits on returns, and then ends the execution without running its failure step."""
    from botocore.exceptions import ClientError

    arn = campaign.get("execution_arn")
    if not arn or execution_status(campaign) != "RUNNING":
        return
    calls = [lambda: _sfn().stop_execution(executionArn=arn, error="CampaignCancelled", cause="cancelled by staff")]
    if campaign.get("task_token"):
        calls.append(lambda: _sfn().send_task_failure(taskToken=campaign["task_token"], error="CampaignCancelled",
                                                      cause="cancelled by staff"))
    for call in calls:
        try:
            call()
        except ClientError as exc:  # ended meanwhile
            _log().info("the cancelled campaign's execution: a stop call was refused",
                        extra={"campaign_id": campaign["campaign_id"], "code": exc.response["Error"]["Code"]})
