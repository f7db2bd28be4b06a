"""Risk-warning signals (风险预警信号) and their lifecycle: open → acknowledged → resolved | dismissed.

Items (models in :mod:`chalicelib.postloan.data.models`): the signal (``WarningSignal``: ``signal_id`` deterministic
from the rule, the subject and the business date it was raised; ``rule_version`` the ``warning_rules`` parameter
version; ``level`` yellow | orange | red; ``evidence`` the facts the rules saw; ``levels`` the level history;
``cleared_on`` the date the condition no longer held; the handling) and the one-active-signal guard
(``WarningGuard``). Raising a signal puts the guard on condition that none exists (or, after the previous signal was
closed, that it is closed and the re-raise is allowed) in the same transaction as the signal, so a re-run never
duplicates an active signal. Every state change is written with its audit record (entity type ``warning``) in one
transaction.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from chalicelib.platform import dynamo
from chalicelib.platform.access import Principal
from chalicelib.platform.clock import utc_now_iso
from chalicelib.platform.errors import Conflict, Forbidden, NotFound, ValidationFailed
from chalicelib.postloan.data.store import Items, dicts, save_versioned
from chalicelib.postloan.domain.postloan import institution_of, level_rank, stable_id

if TYPE_CHECKING:
    from chalicelib.postloan.data.models import WarningGuard

ACTIVE = ("open", "acknowledged")
ENTITY = "warning"
Outcome = tuple[str, dict[str, Any] | None]


def signal_id_for(rule_id: str, subject_type: str, subject_id: str, day: date) -> str:
    """The deterministic id of the signal of a rule and subject raised on ``day``."""
    return "W" + stable_id(rule_id, subject_type, subject_id, day.isoformat(), length=19)


def get_unscoped(signal_id: str) -> dict[str, Any] | None:
    """A signal by id (any scope), or ``None``."""
    from chalicelib.postloan.data.models import WarningSignal

    found = WarningSignal.find(*WarningSignal.key(signal_id))
    return found.as_dict() if found else None


def _guard(rule_id: str, subject_type: str, subject_id: str) -> WarningGuard | None:
    from chalicelib.postloan.data.models import WarningGuard

    return WarningGuard.find(*WarningGuard.key(rule_id, subject_type, subject_id))


def get(principal: Principal, signal_id: str) -> dict[str, Any]:
    """A signal in the caller's scope; 404 ``WARNING_NOT_FOUND`` when unknown or out of scope."""
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


def _save(tx: dynamo.Transaction, item: dict[str, Any], expected_version: int | None) -> dict[str, Any]:
    from chalicelib.postloan.data.models import WarningSignal

    return save_versioned(tx, WarningSignal.of(item), expected_version=expected_version, entity="warning")


# ------------------------------------------------------------------------------------------------ raising
def _active_or_suppressed(rule_id: str, subject_type: str, subject_id: str, level: str,
                          day: date) -> tuple[dict[str, Any] | None, bool]:
    """``(the active signal, suppressed)`` of a rule and subject, from its guard."""
    guard = _guard(rule_id, subject_type, subject_id)
    if guard and guard.guard_state == "active":
        active = get_unscoped(guard.signal_id)
        if active is not None and active.get("status") not in ACTIVE:
            active = None  # a guard left behind cannot happen (same transaction), but never trust it blindly
        return active, False
    if guard and guard.guard_state == "closed":
        allowed = level_rank(level) > level_rank(guard.level or "red") or day.isoformat() >= str(guard.suppress_until or "")
        return None, not allowed
    return None, False


def _after_refused(signal_id: str, rule_id: str, subject_type: str, subject_id: str) -> tuple[str | None, dict[str, Any] | None]:
    """After the guard refused a new signal: ``(None, the active signal)``, or the outcome ``exists`` /
    ``suppressed`` with the signal (if any)."""
    guard = _guard(rule_id, subject_type, subject_id)
    current = get_unscoped(guard.signal_id) if guard and guard.guard_state == "active" else None
    if current is not None:
        return None, current
    if guard and guard.signal_id == signal_id:
        return "exists", get_unscoped(signal_id)
    return "suppressed", None


def raise_signal(*, rule_id: str, level: str, reason: str, rule_set: str, rule_version: int | None,
                 subject_type: str, subject_id: str, org_path: str, day: date, evidence: dict[str, Any],
                 assignee_id: str | None = None, loan_id: str | None = None, household_id: str | None = None,
                 village_code: str | None = None, reraise_after_days: int = 30,
                 known_active: dict[str, Any] | None = None, preloaded: bool = False) -> Outcome:
    """Raise a signal for a fired rule, or update the active one for the same rule and subject.

    Returns ``(outcome, signal)``: ``raised`` (new signal), ``escalated`` (the active signal's level went
    up), ``refreshed`` (active, its condition had been marked cleared and holds again), ``unchanged``
    (active at the same or a higher level), ``suppressed`` (closed recently at the same or a higher
    level: not raised again before ``reraise_after_days``), ``exists`` (this very signal id was raised
    and closed earlier on the same business date).

    ``preloaded``: the caller read every active signal (``known_active`` is ``None`` because there is
    none), so the guard is not read first: the conditional put decides.
    """
    active = known_active
    if active is None and not preloaded:
        active, suppressed = _active_or_suppressed(rule_id, subject_type, subject_id, level, day)
        if suppressed:
            return "suppressed", None
    if active is not None:
        return _update_active(active, level=level, reason=reason, day=day, evidence=evidence, rule_version=rule_version)
    signal_id = signal_id_for(rule_id, subject_type, subject_id, day)
    item = {"signal_id": signal_id, "rule_id": rule_id, "rule_set": rule_set, "rule_version": rule_version,
            "level": level, "reason": reason, "subject_type": subject_type, "subject_id": subject_id,
            "loan_id": loan_id, "household_id": household_id, "village_code": village_code,
            "assignee_id": assignee_id, "org_path": org_path, "institution_id": institution_of(org_path),
            "status": "open", "raised_on": day.isoformat(), "raised_at": utc_now_iso(), "evidence": evidence,
            "levels": [{"level": level, "on": day.isoformat()}], "last_fired_on": day.isoformat()}
    try:
        return "raised", _put_new(item, day)
    except Conflict as exc:
        if exc.code == "WARNING_EXISTS":
            return "exists", get_unscoped(signal_id)
        if exc.code != "WARNING_ACTIVE_EXISTS":
            raise
    outcome, current = _after_refused(signal_id, rule_id, subject_type, subject_id)
    if outcome is not None or current is None:
        return outcome or "suppressed", current
    return _update_active(current, level=level, reason=reason, day=day, evidence=evidence, rule_version=rule_version)


def _put_new(item: dict[str, Any], day: date) -> dict[str, Any]:
    """The new signal with its guard and audit record, in one transaction (409 ``WARNING_ACTIVE_EXISTS`` when the
    guard refuses, ``WARNING_EXISTS`` when the signal id exists)."""
    from chalicelib.postloan.data.models import WarningGuard

    rank = level_rank(item["level"])
    guard = WarningGuard(signal_id=item["signal_id"], guard_state="active", level=item["level"], level_rank=rank,
                         rule_id=item["rule_id"], subject_type=item["subject_type"], subject_id=item["subject_id"])
    tx = dynamo.Transaction()
    tx.save(guard, condition=WarningGuard.PK.does_not_exist() | (
        (WarningGuard.guard_state == "closed")
        & ((WarningGuard.suppress_until <= day.isoformat()) | (WarningGuard.level_rank < rank))),
        on_fail=Conflict("an active signal exists", code="WARNING_ACTIVE_EXISTS"))
    stored = _save(tx, item, None)
    tx.record(dynamo.Audit(ENTITY, item["signal_id"], "warning.raised", "system", before=None,
                           after=_summary(stored), org_path=item["org_path"], reason=item["reason"]))
    tx.commit()
    return stored


def _update_active(active: dict[str, Any], *, level: str, reason: str, day: date, evidence: dict[str, Any],
                   rule_version: int | None) -> tuple[str, dict[str, Any]]:
    from chalicelib.postloan.data.models import WarningGuard

    escalate = level_rank(level) > level_rank(active["level"])
    refresh = bool(active.get("cleared_on"))
    if not escalate and not refresh:
        return "unchanged", active
    after = dict(active)
    after.pop("cleared_on", None)
    after["last_fired_on"] = day.isoformat()
    if escalate:
        after.update(level=level, reason=reason, evidence=evidence, rule_version=rule_version,
                     levels=list(active.get("levels") or []) + [{"level": level, "on": day.isoformat()}])
    tx = dynamo.Transaction()
    stored = _save(tx, after, active["version"])
    if escalate:
        tx.update_model(WarningGuard.of_signal(active), [WarningGuard.level.set(level),
                                                         WarningGuard.level_rank.set(level_rank(level))])
    tx.record(dynamo.Audit(ENTITY, active["signal_id"], "warning.escalated" if escalate else "warning.fired_again",
                           "system", before=_summary(active), after=_summary(stored), org_path=active["org_path"],
                           reason=reason if escalate else f"the condition holds again on {day}"))
    tx.commit()
    return ("escalated" if escalate else "refreshed"), stored


def mark_cleared(active: dict[str, Any], day: date) -> dict[str, Any] | None:
    """Note that the signal's condition no longer held on ``day`` (it stays active for people to close)."""
    if active.get("cleared_on"):
        return None
    tx = dynamo.Transaction()
    stored = _save(tx, {**active, "cleared_on": day.isoformat()}, active["version"])
    tx.record(dynamo.Audit(ENTITY, active["signal_id"], "warning.condition_cleared", "system",
                           before=_summary(active), after=_summary(stored), org_path=active["org_path"],
                           reason=f"the rule no longer fires on {day}"))
    try:
        tx.commit()
    except Conflict:
        return None
    return stored


def active_page(institution_id: str, cursor: str | None) -> Items:
    """Active signals of an institution (system use)."""
    from chalicelib.platform.dynamo.pages import model_query
    from chalicelib.postloan.data.models import WarningSignal

    return dicts(model_query(WarningSignal, pk_value=WarningSignal.active_partition(institution_id), index="GSI3",
                             limit=None, cursor=cursor))


def active_for_institution(institution_id: str) -> list[dict[str, Any]]:
    """Every active signal of an institution (all pages)."""
    out: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        items, cursor = active_page(institution_id, cursor)
        out.extend(items)
        if not cursor:
            return out


# ------------------------------------------------------------------------------------------------ lifecycle
def _transition(principal: Principal, signal_id: str, *, allowed_from: tuple[str, ...], to: str, version: int,
                changes: dict[str, Any], action: str, reason: str | None, reraise_after_days: int) -> dict[str, Any]:
    """Move a signal the caller may handle from ``allowed_from`` to ``to`` with ``changes``, its guard closed (and
    the re-raise suppressed) when it leaves the active states, and its audit record, in one transaction. Raises
    NotFound ``WARNING_NOT_FOUND``, Forbidden ``NOT_ASSIGNEE`` / ``SUBJECT_OF_WARNING``, Conflict ``WARNING_STATE``
    (not in ``allowed_from``), ``VERSION_CONFLICT`` (field ``version``: not the version the caller read)."""
    from chalicelib.postloan.data.models import WarningGuard

    current = get_for_change(principal, signal_id)
    if current["status"] not in allowed_from:
        raise Conflict(f"the warning is {current['status']}; it cannot become {to}", code="WARNING_STATE",
                       details={"status": current["status"]})
    if int(current["version"]) != int(version):
        raise Conflict(f"the warning was changed by someone else (now version {current['version']}); reload",
                       code="VERSION_CONFLICT", field="version")
    tx = dynamo.Transaction()
    stored = _save(tx, {**current, **changes, "status": to}, int(version))
    if to not in ACTIVE:
        from chalicelib.platform.clock import business_date

        # suppression counts from the later of today and the last business date the rule fired (the
        # scan's dates), so a re-run of a past date cannot re-raise a signal people just closed
        fired = date.fromisoformat(str(current.get("last_fired_on") or current["raised_on"]))
        until = max(business_date(), fired) + timedelta(days=reraise_after_days)
        tx.update_model(WarningGuard.of_signal(current), [
            WarningGuard.guard_state.set("closed"), WarningGuard.suppress_until.set(until.isoformat()),
            WarningGuard.closed_on.set(business_date().isoformat())], condition=WarningGuard.signal_id == signal_id)
    tx.record(dynamo.Audit(ENTITY, signal_id, action, principal.user_id, before=_summary(current),
                           after=_summary(stored), org_path=current["org_path"], reason=reason))
    tx.commit()
    return stored


def acknowledge(principal: Principal, signal_id: str, *, version: int, note: str | None) -> dict[str, Any]:
    """Acknowledge an open signal (see :func:`_transition` for the errors)."""
    return _transition(principal, signal_id, allowed_from=("open",), to="acknowledged", version=version,
                       changes={"acknowledged_by": principal.user_id, "acknowledged_at": utc_now_iso(),
                                "acknowledge_note": note}, action="warning.acknowledged", reason=note,
                       reraise_after_days=0)


def resolve(principal: Principal, signal_id: str, *, version: int, resolution: str,
            reraise_after_days: int) -> dict[str, Any]:
    """Resolve an active signal with what was done; no re-raise for ``reraise_after_days``."""
    return _transition(principal, signal_id, allowed_from=ACTIVE, to="resolved", version=version,
                       changes={"closed_by": principal.user_id, "closed_at": utc_now_iso(), "resolution": resolution},
                       action="warning.resolved", reason=resolution, reraise_after_days=reraise_after_days)


def dismiss(principal: Principal, signal_id: str, *, version: int, reason: str,
            reraise_after_days: int) -> dict[str, Any]:
    """Dismiss an active signal with a reason (ValidationFailed ``DISMISS_REASON_REQUIRED``, field ``reason``);
    no re-raise for ``reraise_after_days``."""
    if not reason or len(reason.strip()) < 2:
        raise ValidationFailed("a dismissal needs a reason", code="DISMISS_REASON_REQUIRED", field="reason")
    return _transition(principal, signal_id, allowed_from=ACTIVE, to="dismissed", version=version,
                       changes={"closed_by": principal.user_id, "closed_at": utc_now_iso(), "dismiss_reason": reason},
                       action="warning.dismissed", reason=reason, reraise_after_days=reraise_after_days)


# ------------------------------------------------------------------------------------------------ queries
def _visible(principal: Principal) -> Any:
    return lambda m: principal.can_see(org_path=m.org_path, household_id=m.household_id)


def list_active(principal: Principal, *, org_path: str, institution_ids: list[str], village_code: str | None,
                level: str | None, limit: int, cursor: str | None) -> Items:
    """Active signals in an organisation subtree (or one village), optionally of one level.
    Raises BadRequest ``INVALID_CURSOR`` (field ``cursor``) for a cursor not issued by this listing."""
    from chalicelib.platform.dynamo.pages import model_query
    from chalicelib.postloan.data.models import WarningSignal

    pos, inner = dynamo.decode_unit_cursor(cursor, units=len(institution_ids))
    where = dynamo.Filter("#lv = :lv", {"#lv": "level"}, {":lv": level}) if level else None
    out: list[dict[str, Any]] = []
    while pos < len(institution_ids) and len(out) < limit:
        items, inner = dicts(model_query(
            WarningSignal, pk_value=WarningSignal.active_partition(institution_ids[pos]), index="GSI3",
            sk_op="begins_with", sk_value=WarningSignal.active_prefix(org_path, village_code), limit=limit - len(out),
            cursor=inner, where=where, visible=_visible(principal)))
        out.extend(items)
        if inner is None:
            pos += 1
    return out, dynamo.encode_unit_cursor(pos, inner) if pos < len(institution_ids) else None


def list_assigned(principal: Principal, assignee_id: str, *, level: str | None, limit: int,
                  cursor: str | None) -> Items:
    """Active signals assigned to one account manager, red first, in the caller's scope: the queue of a
    manager of another organisation (or of nobody) answers like an empty one (no items, no cursor)."""
    from chalicelib.platform.dynamo.pages import model_query
    from chalicelib.postloan.data.models import WarningSignal

    sort: dict[str, Any] = dict(sk_op="begins_with", sk_value=WarningSignal.queue_prefix(level)) if level else {}
    return dicts(model_query(WarningSignal, pk_value=WarningSignal.queue_partition(assignee_id), index="GSI2",
                             limit=limit, cursor=cursor, forward=False, where=dynamo.scope_filter(principal),
                             visible=_visible(principal), **sort))


def for_household(principal: Principal, household_id: str) -> list[dict[str, Any]]:
    """Every signal (any status) of a household and its loans, newest first. The household must exist and
    be in the caller's scope: 404 ``HOUSEHOLD_NOT_FOUND`` (field ``household_id``) for an unknown and for an
    out-of-scope household alike."""
    from chalicelib.customers import public as households

    households.get(principal, household_id)
    return history(principal, "household", household_id)


def _subject_signals(subject_type: str, subject_id: str, *, forward: bool) -> list[dict[str, Any]]:
    from chalicelib.platform.dynamo.pages import model_query_all
    from chalicelib.postloan.data.models import WarningSignal

    found = model_query_all(WarningSignal, index="GSI1", pk_value=WarningSignal.history_partition(subject_type, subject_id),
                            forward=forward)
    return [m.as_dict() for m in found if m.kind == "warning_signal"]


def history(principal: Principal, subject_type: str, subject_id: str, *,
            loan_id: str | None = None) -> list[dict[str, Any]]:
    """Every signal (any status) of a household (``subject_type`` ``household``; optionally one loan), village or
    account manager, newest first, in the caller's scope."""
    items = _subject_signals(subject_type, subject_id, forward=False)
    if loan_id:
        items = [i for i in items if i.get("loan_id") == loan_id]
    visible = [i for i in items if principal.can_see(org_path=i.get("org_path"), household_id=i.get("household_id"))]
    if items and not visible:
        raise NotFound("not found", code="NOT_FOUND")
    return visible


def open_for_household(household_id: str) -> list[dict[str, Any]]:
    """Active signals of a household and its loans (system use, e.g. auto-approval)."""
    return [i for i in _subject_signals("household", household_id, forward=True) if i.get("status") in ACTIVE]

