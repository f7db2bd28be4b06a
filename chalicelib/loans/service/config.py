"""The parameter documents loans decide with (models of :mod:`chalicelib.loans.domain.parameters`), each with the
version in force (recorded on decisions)."""
from __future__ import annotations

from datetime import date
from typing import Any

from chalicelib.loans.domain import parameters as models
from chalicelib.loans.domain.rates import LprTable
from chalicelib.platform.clock import business_date

PRODUCTS = "products"
APPROVAL_RULES = "approval_rules"
AUTHORITY = "approval_authority"
WORKFLOW = "loan_workflow"
CONTRACT_TEMPLATE = "contract_template"
LPR_FIXINGS = "lpr_fixings"


def document(name: str, on: date | None = None) -> tuple[Any, int | None]:
    """``(model, version)`` of parameter ``name`` in force on ``on`` (default: today's business date): the loader's
    one policy (:func:`chalicelib.platform.parameters.load`: the stored version, else the shipped default with
    version ``None``). The model is the one registered in :mod:`chalicelib.loans.domain.parameters`."""
    from chalicelib.platform import parameters

    return parameters.load(name, on or business_date())


def recorded(name: str, item: dict[str, Any]) -> Any:
    """The model of the version of parameter ``name`` recorded on ``item`` (``parameter_versions``): the later
    steps of a drawdown use the terms it was requested under (versions never change: cached per process);
    without a recorded version (none was stored when it was requested), the version in force today."""
    from chalicelib.platform import parameters

    version = (item.get("parameter_versions") or {}).get(name)
    if version is None:
        return document(name)[0]
    return parameters.load_version(name, int(version))


def known(versions: dict[str, int | None]) -> dict[str, int]:
    """The stored versions of ``versions`` (a decision made with a shipped default records no version for it)."""
    return {name: int(v) for name, v in versions.items() if v is not None}


def lpr_table(on: date | None = None) -> tuple[LprTable, int | None]:
    """``(table, version)``: the LPR fixings (parameter ``lpr_fixings``) in force on ``on`` (default: today's
    business date), parsed. ``version`` is the stored version, or ``None`` when no version is stored yet and the
    shipped default (``chalicelib/reference/parameters/lpr_fixings.json``) is used. The version is looked up on
    every call (a fixing added by operations applies from its effective date); the parsed model is cached per
    version by the loader. Raises ValidationFailed ``LPR_TABLE_INVALID`` for a malformed stored document."""
    from chalicelib.platform import parameters

    fixings, version = parameters.load(LPR_FIXINGS, on or business_date(), models.LprFixings)
    return fixings.table, version
