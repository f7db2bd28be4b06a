"""Reading the append-only audit trail. Records are written only inside the transaction of the
change they describe (``dynamo.TxBuilder.audit``); nothing updates or deletes them."""
from __future__ import annotations

from chalicelib.platform import dynamo
from chalicelib.platform.access import Principal


def trail(principal: Principal, entity_type: str, entity_id: str, *, limit: int, cursor: str | None) -> dynamo.Page:
    """Audit records of one entity, oldest first: only those in the caller's organisation scope (and the
    platform-wide ones, ``org_path`` ``/``). The records the caller may not see are read past on the server
    (``dynamo.query_page``), so another organisation's entity answers exactly like one that never existed:
    no items and no cursor."""
    from chalicelib.platform.settings import get_settings

    return dynamo.query(get_settings().audit_table, pk_value=f"{entity_type}#{entity_id}", limit=limit, cursor=cursor,
                        where=dynamo.scope_filter(principal, global_records=True),
                        visible=lambda i: i.get("org_path") == "/" or principal.can_see(org_path=i.get("org_path")))
