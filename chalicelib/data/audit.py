"""Reading the append-only audit trail. Records are written only inside the transaction of the
change they describe (``dynamo.TxBuilder.audit``); nothing updates or deletes them."""
from __future__ import annotations

from chalicelib.auth import Principal
from chalicelib.data import dynamo


def trail(principal: Principal, entity_type: str, entity_id: str, *, limit: int, cursor: str | None) -> dynamo.Page:
    """Audit records of one entity, oldest first, filtered to the caller's organisation scope."""
    from chalicelib.settings import get_settings

    page = dynamo.query(get_settings().audit_table, pk_value=f"{entity_type}#{entity_id}", limit=limit, cursor=cursor)
    page.items = [i for i in page.items if i.get("org_path") == "/" or principal.can_see(org_path=i.get("org_path"))]
    return page
