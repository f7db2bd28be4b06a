"""PAD sync receipts (离线采集同步): the :class:`~chalicelib.customers.data.models.SyncReceipt` of an applied
offline operation, written in the household's transaction so that a replayed operation is recognised."""
from __future__ import annotations

from typing import Any

from chalicelib.customers.data.households import Extra
from chalicelib.platform.errors import Conflict


def receipt(user_id: str, op_id: str, household_id: str, outcome: str, version: int, device_id: str) -> Extra:
    """The receipt of operation ``op_id`` of ``user_id`` for a household's transaction: written only if no receipt
    of that operation exists (else Conflict ``SYNC_OP_APPLIED``)."""
    from chalicelib.customers.data.models import SyncReceipt
    from chalicelib.platform.clock import utc_now_iso

    model = SyncReceipt(op_id=op_id, user_id=user_id, household_id=household_id, outcome=outcome, version=version,
                        device_id=device_id, at=utc_now_iso())
    return model, SyncReceipt.PK.does_not_exist(), Conflict("operation already applied", code="SYNC_OP_APPLIED")


def find(user_id: str, op_id: str) -> dict[str, Any] | None:
    """The receipt of an operation (``{op_id, user_id, household_id, outcome, version, device_id, at}``), or
    ``None``."""
    from chalicelib.customers.data.models import SyncReceipt

    found = SyncReceipt.find(*SyncReceipt.key(user_id, op_id))
    return found.state() if found else None
