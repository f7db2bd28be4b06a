"""The parameter documents loans decide with, each with the version in force (recorded on decisions)."""
from __future__ import annotations

import json
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

from chalicelib.clock import business_date

PRODUCTS = "products"
APPROVAL_RULES = "approval_rules"
AUTHORITY = "approval_authority"
WORKFLOW = "loan_workflow"
CONTRACT_TEMPLATE = "contract_template"


_BY_VERSION: dict[tuple[str, int], dict[str, Any]] = {}


def document(name: str, on: date | None = None) -> tuple[dict[str, Any], int]:
    """``(value, version)`` of parameter ``name`` in force on ``on`` (default: today's business date)."""
    from chalicelib.data import parameters

    found = parameters.get_effective(name, on or business_date())
    _BY_VERSION[(name, int(found["version"]))] = found["value"]
    return found["value"], int(found["version"])


def recorded(name: str, item: dict[str, Any]) -> dict[str, Any]:
    """The version of parameter ``name`` recorded on ``item`` (``parameter_versions``): the later steps of a
    drawdown use the terms it was requested under. Versions never change, so they are cached per process;
    without a recorded version, the version in force today."""
    version = (item.get("parameter_versions") or {}).get(name)
    if version is None:
        return document(name)[0]
    key = (name, int(version))
    if key not in _BY_VERSION:
        from chalicelib.data import parameters

        for v in parameters.list_versions(name):
            _BY_VERSION[(name, int(v["version"]))] = v["value"]
    return _BY_VERSION[key]


@cache
def lpr_table():
    """The shipped LPR fixings (chalicelib/reference/lpr_history.json), parsed once per process."""
    from chalicelib.domain.rates import parse_lpr_table

    text = (resources.files("chalicelib.reference") / "lpr_history.json").read_text(encoding="utf-8")
    return parse_lpr_table(json.loads(text))


def workflow_input(workflow: dict[str, Any]) -> dict[str, Any]:
    """The ``config`` part of a state-machine input from the ``loan_workflow`` document."""
    timeouts = workflow.get("task_timeout_seconds") or {}
    waits = [int(w) for w in workflow.get("query_wait_seconds") or [5]]
    return {"timeouts": {stage: max(1, int(timeouts.get(stage, 86400)))
                         for stage in ("investigation", "review", "approval")},
            "max_escalations": int(workflow.get("max_escalations", 1)), "query_waits": waits, "max_queries": len(waits)}
