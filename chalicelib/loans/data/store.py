"""The one way the loans context writes a versioned aggregate (drawdown, loan, loan task, reconciliation proposal)
into a transaction, with the errors of the old dict path: a create finds the item there → 409 ``<ENTITY>_EXISTS``;
an update finds another version stored → 409 ``VERSION_CONFLICT`` (field ``version``)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.platform.clock import utc_now_iso
from chalicelib.platform.dynamo.tx import Transaction, exists_error, version_conflict

if TYPE_CHECKING:
    from pynamodb.expressions.condition import Condition

    from chalicelib.loans.data.models import LoansModel


def save_versioned(tx: Transaction, model: LoansModel, *, expected_version: int | None, entity: str,
                   condition: Condition | None = None, on_fail: Exception | None = None) -> dict[str, Any]:
    """Add the put of ``model`` to ``tx``: new (``expected_version`` ``None``: version 1, ``created_at`` set) or
    replacing the version read (``expected_version``: stored as ``expected_version + 1``), ``updated_at`` now;
    ``condition`` is required too (its failure raises ``on_fail``). Returns the stored state (dict)."""
    now = utc_now_iso()
    if hasattr(model, "updated_at"):
        model.updated_at = now
    if expected_version is None:
        if hasattr(model, "created_at") and not model.created_at:
            model.created_at = now
        failure = on_fail or exists_error(entity)
    else:
        failure = on_fail or version_conflict(entity, expected_version)
    if expected_version is not None:  # a new model has no version (the put then requires that none is stored)
        model.version = expected_version  # type: ignore[attr-defined]  # every versioned model declares it
    tx.save(model, condition=condition, on_fail=failure)
    state = model.state()
    state["version"] = (expected_version or 0) + 1
    return state
