"""The parameter documents the post-loan jobs read (``postloan_policy``, ``classification_rule``, ``warning_rules``,
``notification_templates``), each read once per job and business date (a one-minute cache)."""
from __future__ import annotations

from datetime import date
from typing import Any

from chalicelib.postloan.domain.postloan import PostLoanPolicy
from chalicelib.postloan.domain.warning_rules import WarningRuleSet

_PARAM_CACHE: dict[tuple[str, date], tuple[float, tuple[dict[str, Any], int | None]]] = {}
_PARAM_TTL_SECONDS = 60.0


def _parameter(name: str, day: date) -> tuple[dict[str, Any], int | None]:
    """``(value, version)`` of a parameter on ``day`` (the shipped default, version ``None``, if none is
    stored); cached for a minute so that a job reads each document once."""
    import time

    from chalicelib.platform import parameters

    hit = _PARAM_CACHE.get((name, day))
    if hit and hit[0] > time.monotonic():
        return hit[1]
    value = parameters.effective_or_default(name, day)
    _PARAM_CACHE[(name, day)] = (time.monotonic() + _PARAM_TTL_SECONDS, value)
    return value


def policy(day: date) -> PostLoanPolicy:
    """The ``postloan_policy`` in force on ``day``."""
    return PostLoanPolicy.from_document(_parameter("postloan_policy", day)[0])


def classification_rule(day: date) -> tuple[dict[str, Any], int | None]:
    """``(document, version)`` of the ``classification_rule`` in force on ``day`` (version ``None``: the default)."""
    return _parameter("classification_rule", day)


def warning_rules(day: date) -> WarningRuleSet:
    """The ``warning_rules`` decision table in force on ``day``."""
    doc, version = _parameter("warning_rules", day)
    return WarningRuleSet(doc, version)


def notification_templates(day: date) -> dict[str, Any]:
    """The ``notification_templates`` document in force on ``day``."""
    templates, _ = _parameter("notification_templates", day)
    return templates
