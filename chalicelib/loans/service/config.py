"""The parameter documents loans decide with, each with the version in force (recorded on decisions)."""
from __future__ import annotations

from datetime import date
from typing import Any

from chalicelib.loans.domain.rates import LprTable
from chalicelib.platform.clock import business_date

PRODUCTS = "products"
APPROVAL_RULES = "approval_rules"
AUTHORITY = "approval_authority"
WORKFLOW = "loan_workflow"
CONTRACT_TEMPLATE = "contract_template"
LPR_FIXINGS = "lpr_fixings"


_BY_VERSION: dict[tuple[str, int], dict[str, Any]] = {}


def document(name: str, on: date | None = None) -> tuple[dict[str, Any], int]:
    """``(value, version)`` of parameter ``name`` in force on ``on`` (default: today's business date)."""
    from chalicelib.platform import parameters

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
        from chalicelib.platform import parameters

        for v in parameters.list_versions(name):
            _BY_VERSION[(name, int(v["version"]))] = v["value"]
    return _BY_VERSION[key]


#: Parsed LPR tables by ``lpr_fixings`` version (``None``: the shipped default). A version never changes, so an
#: entry stays valid; the cache is emptied when it holds a few versions.
_LPR_TABLES: dict[int | None, LprTable] = {}
_LPR_TABLES_KEPT = 4


def lpr_table(on: date | None = None) -> tuple[LprTable, int | None]:
    """``(table, version)``: the LPR fixings (parameter ``lpr_fixings``) in force on ``on`` (default: today's
    business date), parsed. ``version`` is the stored version, or ``None`` when no version is stored yet and the
    shipped default (``chalicelib/reference/parameters/lpr_fixings.json``) is used. The version is looked up on
    every call (a fixing added by operations applies from its effective date); the parsed table is cached per
    version. Raises ValidationFailed ``LPR_TABLE_INVALID`` for a malformed stored document."""
    from chalicelib.loans.domain.rates import parse_lpr_table
    from chalicelib.platform import parameters

    value, version = parameters.effective_or_default(LPR_FIXINGS, on or business_date())
    table = _LPR_TABLES.get(version)
    if table is None:
        table = parse_lpr_table(value)
        if len(_LPR_TABLES) >= _LPR_TABLES_KEPT:
            _LPR_TABLES.clear()
        _LPR_TABLES[version] = table
    return table, version


def workflow_input(workflow: dict[str, Any]) -> dict[str, Any]:
    """The ``config`` part of a state-machine input from the ``loan_workflow`` document."""
    timeouts = workflow.get("task_timeout_seconds") or {}
    waits = [int(w) for w in workflow.get("query_wait_seconds") or [5]]
    return {"timeouts": {stage: max(1, int(timeouts.get(stage, 86400)))
                         for stage in ("investigation", "review", "approval")},
            "max_escalations": int(workflow.get("max_escalations", 1)), "query_waits": waits, "max_queries": len(waits)}
