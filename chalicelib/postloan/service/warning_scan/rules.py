"""The warning rules applied to one subject (a loan, a household, a village, an account manager): signals raised,
escalated, refreshed or marked cleared, and the assignee notified of a new or escalated signal of a level the
``postloan_policy`` names (``notify_levels``). Rules: the ``warning_rules`` decision table
(:class:`chalicelib.postloan.domain.warning_rules.WarningRuleSet`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from chalicelib.admin import public as jobs
from chalicelib.platform.errors import DomainError
from chalicelib.postloan.data import inspections, notifications, postloan
from chalicelib.postloan.data import warnings as warning_repo
from chalicelib.postloan.domain import notification_templates as nt
from chalicelib.postloan.domain.postloan import ZERO, PostLoanPolicy
from chalicelib.postloan.domain.warning_rules import Firing, WarningRuleSet
from chalicelib.postloan.service.common import Item
from chalicelib.postloan.service.config import notification_templates, policy, warning_rules

Active = dict[tuple[str, str], dict[str, Item]]
"""Active signals by ``(subject_type, subject_id)``, then by rule id."""


@dataclass
class Scan:
    """What every rule family of a scan shares: the date, the rules and policy in force, the active signals
    (preloaded by the scan; empty for a single evaluation) and the job run (``None`` outside the scan)."""

    day: date
    rules: WarningRuleSet
    pol: PostLoanPolicy
    active: Active = field(default_factory=dict)
    jr: jobs.JobRun | None = None

    def count(self, name: str, n: int = 1) -> None:
        if self.jr is not None:
            self.jr.count(name, n)

    def active_of(self, subject_type: str) -> dict[str, Item]:
        """One active signal per subject of ``subject_type``, by subject id."""
        return {sid: next(iter(r.values())) for (kind, sid), r in self.active.items() if kind == subject_type and r}

    def apply(self, subject_type: str, subject_id: str, facts: dict[str, Any], meta: dict[str, Any]) -> list[str]:
        """Evaluate one subject; raise/escalate fired rules; mark active signals whose rule no longer fires.
        ``meta``: ``org_path`` (required), ``assignee_id``, ``loan_id``, ``household_id``, ``village_code``,
        ``village_name``. Returns the outcome of each fired rule (see :func:`warning_repo.raise_signal`)."""
        fired: list[Firing] = self.rules.evaluate(subject_type, facts)
        mine = self.active.get((subject_type, subject_id), {})
        evidence = {k: (str(v) if isinstance(v, Decimal) else v) for k, v in facts.items()}
        outcomes = [self._fire(f, subject_type, subject_id, evidence, meta, mine) for f in fired]
        fired_ids = {f.rule_id for f in fired}
        for rule_id, signal in list(mine.items()):
            if rule_id not in fired_ids and signal.get("status") in warning_repo.ACTIVE and \
                    warning_repo.mark_cleared(signal, self.day) is not None:
                self.count("signals_cleared")
        return outcomes

    def _fire(self, f: Firing, subject_type: str, subject_id: str, evidence: dict[str, Any], meta: dict[str, Any],
              mine: dict[str, Item]) -> str:
        outcome, signal = warning_repo.raise_signal(
            rule_id=f.rule_id, level=f.level, reason=f.reason, rule_set=self.rules.rule_set,
            rule_version=self.rules.version, subject_type=subject_type, subject_id=subject_id,
            org_path=meta["org_path"], day=self.day, evidence=evidence, assignee_id=meta.get("assignee_id"),
            loan_id=meta.get("loan_id"), household_id=meta.get("household_id"), village_code=meta.get("village_code"),
            reraise_after_days=self.pol.reraise_after_days, known_active=mine.get(f.rule_id),
            preloaded=self.jr is not None)
        self.count(f"signals_{outcome}")
        self.count(f"fired_{f.rule_id}")
        if signal is not None:
            mine[f.rule_id] = signal
        if outcome in ("raised", "escalated") and signal and f.level in self.pol.notify_levels \
                and signal.get("assignee_id"):
            _notify_signal(signal, self.day, meta)
        return outcome


def loan_rule_facts(state: Item | None, task: Item | None, day: date, *,
                    as_last_classified: bool = False) -> dict[str, Any]:
    """Rule facts of a loan on ``day``: days past due and arrears from its state when the classification
    of that day saw it (or, ``as_last_classified``, from its last classification), else none."""
    current = bool(state) and (state or {}).get("status") == "active" and (
        as_last_classified or (state or {}).get("classified_on") == day.isoformat())
    overdue_days = 0
    if task and task.get("status") == "open":
        overdue_days = max(0, (day - date.fromisoformat(task["due_on"])).days)
    st = state or {}
    purpose = st.get("purpose_confirmed") if st.get("status") == "active" else None
    return {"dpd": int(st.get("dpd") or 0) if current else 0,
            "interest_arrears": Decimal(str(st.get("overdue_interest") or 0)) if current else ZERO,
            "inspection_overdue_days": overdue_days,
            "purpose_confirmed": purpose if purpose is False else None,
            "category": st.get("category", "pass") if current else "pass"}


def loan_meta(state: Item | None, task: Item | None, signal: Item | None = None) -> dict[str, Any]:
    """Where a loan subject belongs (org path, household, village) and who handles it."""
    src = state or task or signal or {}
    return {"org_path": src["org_path"], "household_id": src.get("household_id"), "loan_id": src.get("loan_id"),
            "village_code": src.get("village_code"),
            "assignee_id": (state or {}).get("account_manager_id") or (task or {}).get("assignee_id")
            or (signal or {}).get("assignee_id")}


def _subject_label(signal: Item, meta: dict[str, Any]) -> str:
    kind, sid = signal["subject_type"], signal["subject_id"]
    if kind == "loan":
        return f"贷款尾号{nt.ref(sid)}"
    if kind == "household":
        return f"农户尾号{nt.ref(sid)}"
    if kind == "village":
        return str(meta.get("village_name") or f"村{sid}")
    return "客户经理管户贷款"


def _notify_signal(signal: Item, day: date, meta: dict[str, Any]) -> None:
    try:
        channel, text = nt.render(notification_templates(day), "warning_raised", {
            "level_zh": nt.LEVEL_ZH[signal["level"]], "reason": signal["reason"],
            "subject": _subject_label(signal, meta)})
        notifications.send_once(template="warning_raised", channel=channel, recipient_type="user",
                                recipient_id=signal["assignee_id"], reference=signal["signal_id"],
                                about=signal["level"], day=day, text=text, org_path=signal["org_path"],
                                household_id=signal.get("household_id"))
    except DomainError:
        from chalicelib.platform.observability import logger

        logger().exception("warning notification not sent", extra={"signal_id": signal["signal_id"]})


def preload_active() -> Active:
    """Every active signal of every institution (the scan's view, so that a rule not firing any more is seen)."""
    out: Active = {}
    for inst in postloan.institutions():
        for sig in warning_repo.active_for_institution(inst):
            out.setdefault((sig["subject_type"], sig["subject_id"]), {})[sig["rule_id"]] = sig
    return out


def evaluate_loan_now(loan_id: str, day: date) -> list[str]:
    """Evaluate the warning rules for one loan at once (after an inspection finding)."""
    state = postloan.get_state(loan_id)
    if state is None:
        return []
    scan = Scan(day, warning_rules(day), policy(day))
    task = inspections.open_for_loan(loan_id)
    facts = loan_rule_facts(state, task, day, as_last_classified=True)
    return scan.apply("loan", loan_id, facts, loan_meta(state, task))
