"""Auto-approval of drawdowns as data: a GoRules JDM decision table evaluated by zen-engine.

The rule set is the ``approval_rules`` parameter document (versioned, with effective dates; default
``chalicelib/reference/parameters/approval_rules.json``). Its ``decision`` member is a JDM graph whose
decision table has hit policy ``collect``: every row whose conditions match the facts *fires* and
outputs ``{"rule_id", "outcome", "reason"}``. The combined outcome is the strictest fired outcome:
``decline`` > ``manual`` > ``approve``; no fired row at all means ``manual`` (fail safe). A rule set that
cannot be loaded or evaluated also gives ``manual`` with the pseudo-rule ``RULE_SET_INVALID``, so a bad
edit by a business user can never auto-approve anything. See docs/decisions/0011-rules-as-data.md.

Facts (:func:`chalicelib.platform.rules.facts_for`) are plain JSON values (money as float only at the engine's
boundary: see that module).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from chalicelib.platform.rules import compiled_decision

OUTCOMES = ("approve", "manual", "decline")
_SEVERITY = {"approve": 0, "manual": 1, "decline": 2}


@dataclass(frozen=True)
class RuleDecision:
    """Outcome of one evaluation: ``outcome``, the ``fired`` rows, and the ``facts`` they saw."""

    outcome: str
    fired: list[dict[str, str]] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def reasons(self) -> list[str]:
        return [f["reason"] for f in self.fired if f.get("outcome") == self.outcome and f.get("reason")]


def evaluate(document: Mapping[str, Any], facts: Mapping[str, Any]) -> RuleDecision:
    """Evaluate the rule set ``document`` on ``facts`` (already :func:`facts_for`-converted)."""
    try:
        result = compiled_decision(document).evaluate(dict(facts))["result"]
        rows = result if isinstance(result, list) else [result] if result else []
        fired = [{"rule_id": str(r.get("rule_id")), "outcome": str(r.get("outcome")),
                  "reason": str(r.get("reason") or "")} for r in rows]
        if any(f["outcome"] not in OUTCOMES for f in fired):
            raise ValueError("a rule outputs an unknown outcome")
    except Exception as exc:  # noqa: BLE001 - any fault of the rule set routes to people, never auto-approves
        return RuleDecision("manual", [{"rule_id": "RULE_SET_INVALID", "outcome": "manual",
                                        "reason": f"the rule set could not be evaluated: {str(exc)[:200]}"}],
                            dict(facts))
    if not fired:
        return RuleDecision("manual", [{"rule_id": "NO_RULE_FIRED", "outcome": "manual",
                                        "reason": "no rule matched: manual review"}], dict(facts))
    outcome = max((f["outcome"] for f in fired), key=_SEVERITY.__getitem__)
    return RuleDecision(outcome, fired, dict(facts))
