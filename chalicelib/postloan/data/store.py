"""What the post-loan repositories share: the versioned save of an aggregate model and model pages as dicts."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.platform.dynamo.pages import Page
    from chalicelib.platform.dynamo.tx import Transaction
    from chalicelib.postloan.data.models import VersionedItem

Items = tuple[list[dict[str, Any]], str | None]


def save_versioned(tx: Transaction, model: VersionedItem, *, expected_version: int | None, entity: str) -> dict[str, Any]:
    """Add the put of an aggregate with optimistic locking to ``tx``; return the item as stored (a dict).

    ``expected_version`` ``None`` means create (409 ``<ENTITY>_EXISTS`` if present, ``created_at`` set); otherwise the
    stored ``version`` must equal it (409 ``VERSION_CONFLICT``). The item gets ``version = expected + 1`` (1 on
    create) and ``updated_at`` (the same rule as ``chalicelib.platform.dynamo.tx.put_versioned``)."""
    from chalicelib.platform.clock import utc_now_iso
    from chalicelib.platform.dynamo.tx import exists_error, version_conflict

    cls = type(model)
    model.updated_at = utc_now_iso()
    if expected_version is None:
        model.version = 1
        model.created_at = model.created_at or model.updated_at
        tx.save(model, condition=cls.PK.does_not_exist(), on_fail=exists_error(entity))
    else:
        model.version = expected_version + 1
        tx.save(model, condition=cls.version == expected_version, on_fail=version_conflict(entity, expected_version))
    return model.as_dict()


def dicts(page: Page) -> Items:
    """A page of models as ``(dicts, cursor)``."""
    return [m.as_dict() for m in page.items], page.cursor
