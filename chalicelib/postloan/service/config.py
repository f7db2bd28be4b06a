"""The parameter documents the post-loan jobs read (``postloan_policy``, ``classification_rule``, ``warning_rules``,
``notification_templates``), each read once per job and business date (a one-minute cache), as the models of
:mod:`chalicelib.postloan.domain.parameters` through the one loader (:func:`chalicelib.platform.parameters.load`)."""
from __future__ import annotations

from datetime import date
from typing import Any

from chalicelib.postloan.domain.parameters import PostLoanPolicyDocument
from chalicelib.postloan.domain.postloan import PostLoanPolicy
from chalicelib.postloan.domain.warning_rules import WarningRuleSet

_PARAM_CACHE: dict[tuple[str, date], tuple[float, tuple[Any, int | None]]] = {}
_PARAM_TTL_SECONDS = 60.0


def _parameter(name: str, day: date) -> tuple[Any, int | None]:
    """``(model, version)`` of a parameter on ``day`` (the shipped default, version ``None``, if none is stored);
    the look-up is cached for a minute so that a job reads each document once."""
    import time

    from chalicelib.platform import parameters

    hit = _PARAM_CACHE.get((name, day))
    if hit and hit[0] > time.monotonic():
        return hit[1]
    value = parameters.load(name, day)
    _PARAM_CACHE[(name, day)] = (time.monotonic() + _PARAM_TTL_SECONDS, value)
    return value


def policy(day: date) -> PostLoanPolicy:
    """The ``postloan_policy`` in force on ``day``."""
    policy_doc: PostLoanPolicyDocument = _parameter("postloan_policy", day)[0]
    return policy_doc.policy


def classification_rule(day: date) -> tuple[dict[str, Any], int | None]:
    """``(document, version)`` of the ``classification_rule`` in force on ``day`` (version ``None``: the default)."""
    rule, version = _parameter("classification_rule", day)
    return rule.document, version


def warning_rules(day: date) -> WarningRuleSet:
    """The compiled ``warning_rules`` decision table in force on ``day`` (recording its version)."""
    rules, version = _parameter("warning_rules", day)
    return rules.rule_set(version)


def notification_templates(day: date) -> dict[str, Any]:
    """The ``notification_templates`` document in force on ``day``."""
    return _parameter("notification_templates", day)[0].document
