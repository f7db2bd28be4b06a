"""Risk-warning signals (风险预警信号) and their lifecycle: open → acknowledged → resolved | dismissed.

Items (core table):

- ``WARNSIG#<signal_id>`` / ``SIGNAL``: ``signal_id`` (deterministic: rule, subject and the business date
  it was raised), ``rule_id``, ``rule_set``, ``rule_version`` (the ``warning_rules`` parameter version),
  ``level`` (yellow | orange | red), ``reason``, ``subject_type`` (loan | household | village |
  account_manager), ``subject_id``, ``loan_id``/``household_id``/``village_code`` where they apply,
  ``assignee_id`` (the responsible account manager), ``org_path``, ``institution_id``, ``status``,
  ``raised_on`` (business date), ``raised_at``, ``evidence`` (the facts the rules saw), ``levels`` (level
  history), ``last_fired_on``, ``cleared_on`` (the condition no longer held on that date), the handling
  (``acknowledged_by``/``_at``/``note``, ``closed_by``/``_at``, ``resolution`` or ``dismiss_reason``),
  ``version``.
  GSI1 ``HH#<household_id>#WARNING`` (loan and household subjects), ``VILLAGE#<code>#WARNING`` or
  ``AM#<user_id>#WARNING`` / ``<raised_on>#<signal_id>``: the history of a household, village or account
  manager (the loans subsystem reads open red ones of a household before auto-approving).
  While active (open or acknowledged): GSI2 ``AMQ#<assignee_id>#WARN`` / ``<level rank>#<raised_on>#<id>``
  (the account manager's queue) and GSI3 ``WARNACT#<institution_id>`` / ``<org_path>#<village_code>#<id>``
  (active warnings of an organisation subtree or village; also what the scan preloads).
- ``WARNKEY#<rule_id>#<subject_type>#<subject_id>`` / ``KEY``: the one-active-signal guard. Raising a
  signal puts it with ``attribute_not_exists`` (or, after the previous signal was closed, on condition
  that it is closed and the re-raise is allowed) in the same transaction as the signal, so a re-run never
  duplicates an active signal. ``signal_id``, ``state`` (active | closed), ``level``, ``suppress_until``.

Every state change is written with its audit record (entity type ``warning``) in one transaction.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from chalicelib.platform import dynamo
from chalicelib.platform.access import Principal
from chalicelib.platform.clock import utc_now_iso
from chalicelib.platform.errors import Conflict, Forbidden, NotFound, ValidationFailed
from chalicelib.postloan.data.postloan import query_page
from chalicelib.postloan.domain.postloan import institution_of, level_rank, stable_id

ACTIVE = ("open", "acknowledged")
ENTITY = "warning"


def _settings():
    from chalicelib.platform.settings import get_settings

    return get_settings()


def _table() -> str:
    return _settings().core_table


def signal_id_for(rule_id: str, subject_type: str, subject_id: str, day: date) -> str:
    return "W" + stable_id(rule_id, subject_type, subject_id, day.isoformat(), length=19)


def key(signal_id: str) -> dict[str, str]:
    return {"PK": f"WARNSIG#{signal_id}", "SK": "SIGNAL"}


def guard_key(rule_id: str, subject_type: str, subject_id: str) -> dict[str, str]:
    return {"PK": f"WARNKEY#{rule_id}#{subject_type}#{subject_id}", "SK": "KEY"}


def history_partition(subject_type: str, subject_id: str, household_id: str | None) -> str:
    if subject_type in ("loan", "household"):
        return f"HH#{household_id}#WARNING"
    if subject_type == "village":
        return f"VILLAGE#{subject_id}#WARNING"
    return f"AM#{subject_id}#WARNING"


def with_keys(item: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in item.items() if not k.startswith("GSI")}
    out.update(key(item["signal_id"]), kind="warning_signal",
               GSI1PK=history_partition(out["subject_type"], out["subject_id"], out.get("household_id")),
               GSI1SK=f"{out['raised_on']}#{out['signal_id']}")
    if out.get("status") in ACTIVE:
        if out.get("assignee_id"):
            out.update(GSI2PK=f"AMQ#{out['assignee_id']}#WARN",
                       GSI2SK=f"{level_rank(out['level'])}#{out['raised_on']}#{out['signal_id']}")
        out.update(GSI3PK=f"WARNACT#{out['institution_id']}",
                   GSI3SK=f"{out['org_path']}#{out.get('village_code') or '-'}#{out['signal_id']}")
    return out


def get_unscoped(signal_id: str) -> dict[str, Any] | None:
    return dynamo.get(_table(), *key(signal_id).values())


def get(principal: Principal, signal_id: str) -> dict[str, Any]:
    return principal.ensure_can_see(get_unscoped(signal_id), "warning")


def get_for_change(principal: Principal, signal_id: str) -> dict[str, Any]:
    """The signal if in scope (404 ``WARNING_NOT_FOUND``) and the caller may handle it: an account manager
    only a signal assigned to them or unassigned (403 ``NOT_ASSIGNEE``), and never a signal about an account
    manager's own portfolio — those are handled by the institution (403 ``SUBJECT_OF_WARNING``, field
    ``subject_type``), though the manager sees them in their queue."""
    signal = principal.ensure_may_change(get(principal, signal_id), "warning")
    if principal.role == "account_manager" and signal.get("subject_type") == "account_manager":
        raise Forbidden("a warning about an account manager's portfolio is handled by the institution",
                        code="SUBJECT_OF_WARNING", field="subject_type")
    return signal


def _summary(item: dict[str, Any]) -> dict[str, Any]:
    return {k: item.get(k) for k in ("status", "level", "rule_id", "subject_type", "subject_id", "assignee_id",
                                     "version") if item.get(k) is not None}


# ------------------------------------------------------------------------------------------------ raising
def raise_signal(*, rule_id: str, level: str, reason: str, rule_set: str, rule_version: int | None,
                 subject_type: str, subject_id: str, org_path: str, day: date, evidence: dict[str, Any],
                 assignee_id: str | None = None, loan_id: str | None = None, household_id: str | None = None,
                 village_code: str | None = None, reraise_after_days: int = 30,
                 known_active: dict[str, Any] | None = None,
                 preloaded: bool = False) -> tuple[str, dict[str, Any] | None]:
    """Raise a signal for a fired rule, or update the active one for the same rule and subject.

    Returns ``(outcome, signal)``: ``raised`` (new signal), ``escalated`` (the active signal's level went
    up), ``refreshed`` (active, its condition had been marked cleared and holds again), ``unchanged``
    (active at the same or a higher level), ``suppressed`` (closed recently at the same or a higher
    level: not raised again before ``reraise_after_days``), ``exists`` (this very signal id was raised
    and closed earlier on the same business date).

    ``preloaded``: the caller read every active signal (``known_active`` is ``None`` because there is
    none), so the guard is not read first: the conditional put decides.
    """
    s = _settings()
    active = known_active
    if active is None and not preloaded:
        guard = dynamo.get(s.core_table, *guard_key(rule_id, subject_type, subject_id).values())
        if guard and guard.get("state") == "active":
            active = get_unscoped(guard["signal_id"])
            if active is not None and active.get("status") not in ACTIVE:
                active = None  # a guard left behind cannot happen (same transaction), but never trust it blindly
        elif guard and guard.get("state") == "closed":
            allowed = level_rank(level) > level_rank(guard.get("level", "red")) or \
                day.isoformat() >= str(guard.get("suppress_until") or "")
            if not allowed:
                return "suppressed", None
    if active is not None:
        return _update_active(active, level=level, reason=reason, day=day, evidence=evidence,
                              rule_version=rule_version)
    signal_id = signal_id_for(rule_id, subject_type, subject_id, day)
    item = {"signal_id": signal_id, "rule_id": rule_id, "rule_set": rule_set, "rule_version": rule_version,
            "level": level, "reason": reason, "subject_type": subject_type, "subject_id": subject_id,
            "loan_id": loan_id, "household_id": household_id, "village_code": village_code,
            "assignee_id": assignee_id, "org_path": org_path, "institution_id": institution_of(org_path),
            "status": "open", "raised_on": day.isoformat(), "raised_at": utc_now_iso(), "evidence": evidence,
            "levels": [{"level": level, "on": day.isoformat()}], "last_fired_on": day.isoformat()}
    tx = dynamo.TxBuilder()
    gk = guard_key(rule_id, subject_type, subject_id)
    guard_item = {**gk, "kind": "warning_guard", "signal_id": signal_id, "state": "active", "level": level,
                  "level_rank": level_rank(level), "rule_id": rule_id, "subject_type": subject_type,
                  "subject_id": subject_id}
    tx.put(s.core_table, guard_item, condition="attribute_not_exists(PK) OR (#st = :closed AND "
                                               "(:day >= suppress_until OR :rank > level_rank))",
           names={"#st": "state"}, values={":closed": "closed", ":day": day.isoformat(), ":rank": level_rank(level)},
           on_fail=Conflict("an active signal exists", code="WARNING_ACTIVE_EXISTS"))
    stored = dynamo.put_versioned(tx, s.core_table, with_keys(item), expected_version=None, entity="warning")
    tx.audit(s.audit_table, dynamo.Audit(ENTITY, signal_id, "warning.raised", "system", before=None,
                                         after=_summary(stored), org_path=org_path, reason=reason))
    try:
        tx.commit()
    except Conflict as exc:
        if exc.code == "WARNING_EXISTS":
            return "exists", get_unscoped(signal_id)
        if exc.code == "WARNING_ACTIVE_EXISTS":
            guard = dynamo.get(s.core_table, *gk.values()) or {}
            current = get_unscoped(guard["signal_id"]) if guard.get("state") == "active" else None
            if current is None:
                if guard.get("signal_id") == signal_id:
                    return "exists", get_unscoped(signal_id)
                return "suppressed", None
            return _update_active(current, level=level, reason=reason, day=day, evidence=evidence,
                                  rule_version=rule_version)
        raise
    return "raised", stored


def _update_active(active: dict[str, Any], *, level: str, reason: str, day: date, evidence: dict[str, Any],
                   rule_version: int | None) -> tuple[str, dict[str, Any]]:
    escalate = level_rank(level) > level_rank(active["level"])
    refresh = bool(active.get("cleared_on"))
    if not escalate and not refresh:
        return "unchanged", active
    s = _settings()
    after = dict(active)
    after.pop("cleared_on", None)
    after["last_fired_on"] = day.isoformat()
    if escalate:
        after.update(level=level, reason=reason, evidence=evidence, rule_version=rule_version,
                     levels=list(active.get("levels") or []) + [{"level": level, "on": day.isoformat()}])
    tx = dynamo.TxBuilder()
    stored = dynamo.put_versioned(tx, s.core_table, with_keys(after), expected_version=active["version"],
                                  entity="warning")
    if escalate:
        tx.update(s.core_table, guard_key(active["rule_id"], active["subject_type"], active["subject_id"]),
                  "SET #lv = :lv, level_rank = :r", names={"#lv": "level"}, values={":lv": level, ":r": level_rank(level)})
    tx.audit(s.audit_table, dynamo.Audit(ENTITY, active["signal_id"], "warning.escalated" if escalate else
                                         "warning.fired_again", "system", before=_summary(active),
                                         after=_summary(stored), org_path=active["org_path"],
                                         reason=reason if escalate else f"the condition holds again on {day}"))
    tx.commit()
    return ("escalated" if escalate else "refreshed"), stored


def mark_cleared(active: dict[str, Any], day: date) -> dict[str, Any] | None:
    """Note that the signal's condition no longer held on ``day`` (it stays active for people to close)."""
    if active.get("cleared_on"):
        return None
    s = _settings()
    after = {**active, "cleared_on": day.isoformat()}
    tx = dynamo.TxBuilder()
    stored = dynamo.put_versioned(tx, s.core_table, with_keys(after), expected_version=active["version"],
                                  entity="warning")
    tx.audit(s.audit_table, dynamo.Audit(ENTITY, active["signal_id"], "warning.condition_cleared", "system",
                                         before=_summary(active), after=_summary(stored), org_path=active["org_path"],
                                         reason=f"the rule no longer fires on {day}"))
    try:
        tx.commit()
    except Conflict:
        return None
    return stored


def active_page(institution_id: str, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """Active signals of an institution (system use)."""
    return query_page(pk_attr="GSI3PK", pk_value=f"WARNACT#{institution_id}", index="GSI3", limit=None, cursor=cursor)


def active_for_institution(institution_id: str) -> list[dict[str, Any]]:
    out, cursor = [], None
    while True:
        items, cursor = active_page(institution_id, cursor)
        out.extend(items)
        if not cursor:
            return out


# ------------------------------------------------------------------------------------------------ lifecycle
def _transition(principal: Principal, signal_id: str, *, allowed_from: tuple[str, ...], to: str, version: int,
                changes: dict[str, Any], action: str, reason: str | None, reraise_after_days: int) -> dict[str, Any]:
    s = _settings()
    current = get_for_change(principal, signal_id)
    if current["status"] not in allowed_from:
        raise Conflict(f"the warning is {current['status']}; it cannot become {to}", code="WARNING_STATE",
                       details={"status": current["status"]})
    if int(current["version"]) != int(version):
        raise Conflict(f"the warning was changed by someone else (now version {current['version']}); reload",
                       code="VERSION_CONFLICT", field="version")
    after = {**current, **changes, "status": to}
    tx = dynamo.TxBuilder()
    stored = dynamo.put_versioned(tx, s.core_table, with_keys(after), expected_version=int(version), entity="warning")
    if to not in ACTIVE:
        from chalicelib.platform.clock import business_date

        # suppression counts from the later of today and the last business date the rule fired (the
        # scan's dates), so a re-run of a past date cannot re-raise a signal people just closed
        fired = date.fromisoformat(str(current.get("last_fired_on") or current["raised_on"]))
        until = max(business_date(), fired) + timedelta(days=reraise_after_days)
        tx.update(s.core_table, guard_key(current["rule_id"], current["subject_type"], current["subject_id"]),
                  "SET #st = :closed, suppress_until = :until, closed_on = :on",
                  names={"#st": "state"}, values={":closed": "closed", ":until": until.isoformat(),
                                                  ":on": business_date().isoformat(), ":sid": signal_id},
                  condition="signal_id = :sid")
    tx.audit(s.audit_table, dynamo.Audit(ENTITY, signal_id, action, principal.user_id, before=_summary(current),
                                         after=_summary(stored), org_path=current["org_path"], reason=reason))
    tx.commit()
    return stored


def acknowledge(principal: Principal, signal_id: str, *, version: int, note: str | None) -> dict[str, Any]:
    return _transition(principal, signal_id, allowed_from=("open",), to="acknowledged", version=version,
                       changes={"acknowledged_by": principal.user_id, "acknowledged_at": utc_now_iso(),
                                "acknowledge_note": note}, action="warning.acknowledged", reason=note,
                       reraise_after_days=0)


def resolve(principal: Principal, signal_id: str, *, version: int, resolution: str,
            reraise_after_days: int) -> dict[str, Any]:
    return _transition(principal, signal_id, allowed_from=ACTIVE, to="resolved", version=version,
                       changes={"closed_by": principal.user_id, "closed_at": utc_now_iso(), "resolution": resolution},
                       action="warning.resolved", reason=resolution, reraise_after_days=reraise_after_days)


def dismiss(principal: Principal, signal_id: str, *, version: int, reason: str,
            reraise_after_days: int) -> dict[str, Any]:
    if not reason or len(reason.strip()) < 2:
        raise ValidationFailed("a dismissal needs a reason", code="DISMISS_REASON_REQUIRED", field="reason")
    return _transition(principal, signal_id, allowed_from=ACTIVE, to="dismissed", version=version,
                       changes={"closed_by": principal.user_id, "closed_at": utc_now_iso(), "dismiss_reason": reason},
                       action="warning.dismissed", reason=reason, reraise_after_days=reraise_after_days)


# ------------------------------------------------------------------------------------------------ queries
def list_active(principal: Principal, *, org_path: str, institution_ids: list[str], village_code: str | None,
                level: str | None, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """Active signals in an organisation subtree (or one village), optionally of one level.
    Raises BadRequest ``INVALID_CURSOR`` (field ``cursor``) for a cursor not issued by this listing."""
    pos, inner = dynamo.decode_unit_cursor(cursor, units=len(institution_ids))
    prefix = org_path if not village_code else f"{org_path}#{village_code}#"
    out: list[dict[str, Any]] = []
    while pos < len(institution_ids) and len(out) < limit:
        items, inner = _active_query(principal, institution_ids[pos], prefix, level, limit - len(out), inner)
        out.extend(items)
        if inner is None:
            pos += 1
    return out, dynamo.encode_unit_cursor(pos, inner) if pos < len(institution_ids) else None


def _active_query(principal: Principal, inst: str, prefix: str, level: str | None, limit: int, cursor: str | None):
    """The sort key starts with the signal's own org_path, which extends every ancestor's path, so a
    prefix match on a subtree's path finds all of its organisations (a village adds ``#<code>#``)."""
    kwargs: dict[str, Any] = {}
    if level:
        kwargs = dict(filter_expr="#lv = :lv", filter_values={":lv": level}, filter_names={"#lv": "level"})
    return query_page(pk_attr="GSI3PK", pk_value=f"WARNACT#{inst}", index="GSI3", sk_attr="GSI3SK",
                      sk_op="begins_with", sk_value=prefix, limit=limit, cursor=cursor,
                      visible=lambda i: principal.can_see(org_path=i.get("org_path"), household_id=i.get("household_id")),
                      **kwargs)


def list_assigned(principal: Principal, assignee_id: str, *, level: str | None, limit: int,
                  cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """Active signals assigned to one account manager, red first, in the caller's scope: the queue of a
    manager of another organisation (or of nobody) answers like an empty one (no items, no cursor)."""
    kwargs: dict[str, Any] = dict(forward=False)
    if level:
        kwargs.update(sk_attr="GSI2SK", sk_op="begins_with", sk_value=f"{level_rank(level)}#")
    return query_page(pk_attr="GSI2PK", pk_value=f"AMQ#{assignee_id}#WARN", index="GSI2", limit=limit, cursor=cursor,
                      where=dynamo.scope_filter(principal),
                      visible=lambda i: principal.can_see(org_path=i.get("org_path"), household_id=i.get("household_id")),
                      **kwargs)


def for_household(principal: Principal, household_id: str) -> list[dict[str, Any]]:
    """Every signal (any status) of a household and its loans, newest first. The household must exist and
    be in the caller's scope: 404 ``HOUSEHOLD_NOT_FOUND`` (field ``household_id``) for an unknown and for an
    out-of-scope household alike."""
    from chalicelib.customers import public as households

    households.get(principal, household_id)
    return history(principal, f"HH#{household_id}#WARNING")


def history(principal: Principal, partition: str, *, loan_id: str | None = None) -> list[dict[str, Any]]:
    """Every signal (any status) of a household (optionally one loan), village or account manager,
    newest first, in the caller's scope."""
    items = dynamo.query_all(_table(), index="GSI1", pk_value=partition, forward=False)
    items = [i for i in items if i.get("kind") == "warning_signal"]
    if loan_id:
        items = [i for i in items if i.get("loan_id") == loan_id]
    visible = [i for i in items if principal.can_see(org_path=i.get("org_path"), household_id=i.get("household_id"))]
    if items and not visible:
        raise NotFound("not found", code="NOT_FOUND")
    return visible


def open_for_household(household_id: str) -> list[dict[str, Any]]:
    """Active signals of a household and its loans (system use, e.g. auto-approval)."""
    items = dynamo.query_all(_table(), index="GSI1", pk_value=f"HH#{household_id}#WARNING")
    return [i for i in items if i.get("status") in ACTIVE]
