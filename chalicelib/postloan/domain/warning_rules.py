"""Risk-warning rules (风险预警规则) as data: the same mechanism as the drawdown auto-approval rules.

The rule set is the ``warning_rules`` parameter document (versioned with effective dates; default
``chalicelib/reference/parameters/warning_rules.json``). Like ``approval_rules`` its ``decision`` member is
a GoRules JDM graph evaluated by zen-engine (compiled and cached by
:func:`chalicelib.platform.rules.compiled_decision`, facts converted by
:func:`chalicelib.platform.rules.facts_for`), with one decision table of hit policy ``collect``.

Every row names the ``subject_type`` it applies to (``loan`` | ``household`` | ``village`` |
``account_manager``) and outputs ``{"rule_id", "level", "reason"}``; several rows may share a
``rule_id`` with different thresholds (e.g. ``OVERDUE`` yellow above 0 days, orange above 30, red above
90): the strictest fired level of a rule is its level. Unlike auto-approval, a rule set that cannot be
evaluated raises :class:`WarningRulesInvalid`: a warning scan must fail loudly rather than report "no
warnings".

Evaluation is a pure function of the facts, so :class:`WarningRuleSet` memoises results by fact
values: most loans share the same few fact combinations, which keeps a scan of 100,000 loans cheap.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.platform.errors import ValidationFailed
from chalicelib.platform.rules import compiled_decision as _compiled_decision
from chalicelib.platform.rules import facts_for
from chalicelib.postloan.domain.postloan import LEVELS, SUBJECT_TYPES, level_rank


class WarningRulesInvalid(ValidationFailed):
    """The ``warning_rules`` document cannot be compiled or evaluated, or outputs an unknown level."""

    code = "WARNING_RULES_INVALID"


@dataclass(frozen=True)
class Firing:
    """One rule that fired for a subject: the strictest ``level`` of its fired rows and their reason."""

    rule_id: str
    level: str
    reason: str


class WarningRuleSet:
    """A compiled ``warning_rules`` document of one parameter version."""

    def __init__(self, document: Mapping[str, Any], version: int | None = None):
        self.document = document
        self.version = version
        self.rule_set = str(document.get("rule_set") or "warning-rules")
        try:
            self._decision = _compiled_decision(document)
        except Exception as exc:  # noqa: BLE001 - any compile fault of a business-edited document
            raise WarningRulesInvalid(f"the warning rules cannot be compiled: {str(exc)[:200]}") from None
        self._memo: dict[str, tuple[Firing, ...]] = {}
        self.evaluations = 0

    def evaluate(self, subject_type: str, facts: Mapping[str, Any]) -> list[Firing]:
        """Rules fired for one subject (one :class:`Firing` per ``rule_id``, strictest level)."""
        if subject_type not in SUBJECT_TYPES:
            raise ValueError(f"unknown subject type {subject_type}")
        plain = facts_for(subject_type=subject_type, **facts)
        key = json.dumps(plain, sort_keys=True, default=str)
        hit = self._memo.get(key)
        if hit is None:
            hit = self._evaluate(plain)
            if len(self._memo) < 200_000:
                self._memo[key] = hit
        return list(hit)

    def _evaluate(self, plain: dict[str, Any]) -> tuple[Firing, ...]:
        self.evaluations += 1
        try:
            result = self._decision.evaluate(plain)["result"]
        except Exception as exc:  # noqa: BLE001
            raise WarningRulesInvalid(f"the warning rules cannot be evaluated: {str(exc)[:200]}") from None
        rows = result if isinstance(result, list) else [result] if result else []
        best: dict[str, Firing] = {}
        for row in rows:
            rule_id, level = str(row.get("rule_id") or ""), str(row.get("level") or "")
            if not rule_id or level not in LEVELS:
                raise WarningRulesInvalid(f"a warning rule outputs rule_id {rule_id!r} with level {level!r}; "
                                          f"levels are {', '.join(LEVELS)}")
            current = best.get(rule_id)
            if current is None or level_rank(level) > level_rank(current.level):
                best[rule_id] = Firing(rule_id, level, str(row.get("reason") or ""))
        return tuple(sorted(best.values(), key=lambda f: f.rule_id))
