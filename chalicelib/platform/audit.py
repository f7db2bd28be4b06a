"""The append-only audit trail: who did what to which entity, with the state before and after.

A record is written only inside the transaction of the change it describes
(:meth:`chalicelib.platform.dynamo.tx.Transaction.record`, from a :class:`~chalicelib.platform.dynamo.tx.Audit`);
nothing updates or deletes one.

Item (audit table, template.yaml ``AuditTable``): ``PK`` ``<entity_type>#<entity_id>``, ``SK``
``<at>#<12 hex digits>`` (oldest first), ``GSI1PK`` ``ACTOR#<actor_id>`` / ``GSI1SK`` ``<at>`` (an actor's
actions); ``entity_type``, ``entity_id``, ``action``, ``actor_id``, ``at`` (ISO 8601 UTC), ``org_path`` (the
entity's scope; ``/`` for platform-wide records such as parameters), ``reason``, ``before``/``after`` (the
entity's state without its key attributes).
"""
from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from pynamodb.attributes import UnicodeAttribute

from chalicelib.platform.clock import utc_now_iso
from chalicelib.platform.dynamo.models import AuditTableModel, DocumentAttribute

if TYPE_CHECKING:
    from chalicelib.platform.access import Principal
    from chalicelib.platform.dynamo.pages import Page
    from chalicelib.platform.dynamo.tx import Audit


def _without_keys(state: dict[str, Any] | None) -> dict[str, Any] | None:
    if state is None:
        return None
    return {k: v for k, v in state.items() if k not in ("PK", "SK") and not k.startswith("GSI")}


class AuditRecord(AuditTableModel):
    """One record of the audit trail (see the module docstring). Its keys are set when it is made
    (:meth:`of`): the sort key holds a random suffix that no attribute repeats."""

    entity_type = UnicodeAttribute()
    entity_id = UnicodeAttribute()
    action = UnicodeAttribute()
    actor_id = UnicodeAttribute()
    at = UnicodeAttribute()
    org_path = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)
    before = DocumentAttribute(null=True)
    after = DocumentAttribute(null=True)

    @staticmethod
    def partition(entity_type: str, entity_id: str) -> str:
        """The partition key of one entity's trail."""
        return f"{entity_type}#{entity_id}"

    @classmethod
    def of(cls, audit: Audit) -> AuditRecord:
        """The record of ``audit``, stamped now."""
        at = utc_now_iso()
        return cls(PK=cls.partition(audit.entity_type, audit.entity_id), SK=f"{at}#{uuid.uuid4().hex[:12]}",
                   GSI1PK=f"ACTOR#{audit.actor_id}", GSI1SK=at, entity_type=audit.entity_type,
                   entity_id=audit.entity_id, action=audit.action, actor_id=audit.actor_id, at=at,
                   org_path=audit.org_path, reason=audit.reason, before=_without_keys(audit.before),
                   after=_without_keys(audit.after))

    def fill_keys(self) -> None:
        """The keys were set by :meth:`of`; a record is never rewritten."""
        if not (self.PK and self.SK):
            raise ValueError("an audit record is made with AuditRecord.of")


def trail(principal: Principal, entity_type: str, entity_id: str, *, limit: int, cursor: str | None) -> Page:
    """Audit records of one entity, oldest first, as plain dicts (:meth:`AuditRecord.state`): only those in the
    caller's organisation scope (and the platform-wide ones, ``org_path`` ``/``). The records the caller may not
    see are read past on the server (``chalicelib.platform.dynamo.pages``), so another organisation's entity
    answers exactly like one that never existed: no items and no cursor."""
    from chalicelib.platform.dynamo import pages

    page = pages.model_query(AuditRecord, pk_value=AuditRecord.partition(entity_type, entity_id), limit=limit,
                             cursor=cursor, where=pages.scope_filter(principal, global_records=True),
                             visible=lambda r: r.org_path == "/" or principal.can_see(org_path=r.org_path))
    return pages.Page([r.state() for r in page.items], page.cursor)
