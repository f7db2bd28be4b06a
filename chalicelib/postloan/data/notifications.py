"""Notification outbox (通知): every post-loan reminder or alert is recorded once, then sent.

Item (core table): ``NOTIF#<notification_id>`` / ``NOTIF``: ``notification_id`` (deterministic: template,
reference, recipient and the date it is about, so a re-run finds it), ``template``, ``channel`` (sms |
push), ``recipient_type`` (household | user), ``recipient_id``, ``reference`` (loan, line, rating or
warning id), ``business_date``, ``text``, ``status`` (pending | sent | failed), ``message_id`` (the
adapter's), ``error``, ``created_at``, ``sent_at``, ``org_path``, ``household_id``.
GSI1 ``HH#<household_id>#NOTIF`` or ``USER#<user_id>#NOTIF`` / ``<business_date>#<notification_id>``.

Exactly once: the record is put with ``attribute_not_exists`` before sending and marked ``sent`` after;
a run that finds it ``sent`` does nothing, one that finds it ``pending`` (a crash between the two
writes) sends again (at least once towards the gateway; the gateway sandbox shows any duplicate).
"""
from __future__ import annotations

from datetime import date
from typing import Any

from chalicelib.platform import dynamo
from chalicelib.platform.access import Principal
from chalicelib.platform.clock import utc_now_iso
from chalicelib.platform.errors import Conflict
from chalicelib.postloan.domain.postloan import stable_id


def _table() -> str:
    from chalicelib.platform.settings import get_settings

    return get_settings().core_table


def notification_id_for(template: str, reference: str, recipient_id: str, about: str) -> str:
    return "N" + stable_id(template, reference, recipient_id, about, length=19)


def key(notification_id: str) -> dict[str, str]:
    return {"PK": f"NOTIF#{notification_id}", "SK": "NOTIF"}


def send_once(*, template: str, channel: str, recipient_type: str, recipient_id: str, reference: str, about: str,
              day: date, text: str, org_path: str, household_id: str | None = None) -> str:
    """Record and send one notification; ``sent`` (now), ``duplicate`` (already sent), or ``failed``."""
    nid = notification_id_for(template, reference, recipient_id, about)
    item = {**key(nid), "kind": "notification", "notification_id": nid, "template": template, "channel": channel,
            "recipient_type": recipient_type, "recipient_id": recipient_id, "reference": reference, "about": about,
            "business_date": day.isoformat(), "text": text, "status": "pending", "created_at": utc_now_iso(),
            "org_path": org_path, "household_id": household_id,
            "GSI1PK": f"HH#{recipient_id}#NOTIF" if recipient_type == "household" else f"USER#{recipient_id}#NOTIF",
            "GSI1SK": f"{day.isoformat()}#{nid}"}
    tx = dynamo.TxBuilder().put(_table(), item, condition="attribute_not_exists(PK)",
                                on_fail=Conflict("exists", code="NOTIFICATION_EXISTS"))
    try:
        tx.commit()
    except Conflict:
        existing = dynamo.get(_table(), *key(nid).values()) or {}
        if existing.get("status") == "sent":
            return "duplicate"
    return _deliver(nid, channel, recipient_id, text, reference)


def _deliver(nid: str, channel: str, recipient_id: str, text: str, reference: str) -> str:
    try:
        if channel == "sms":
            from chalicelib.adapters import sms

            message_id = sms.send(recipient_id, text, reference=reference)
        else:
            from chalicelib.adapters import push

            message_id = push.send(recipient_id, text, reference=reference)
    except Exception as exc:  # noqa: BLE001 - a gateway fault is recorded and retried, never fatal
        from chalicelib.platform.observability import logger

        logger().exception("notification failed", extra={"notification_id": nid, "channel": channel})
        _mark(nid, "failed", error=f"{type(exc).__name__}: {str(exc)[:300]}")
        return "failed"
    _mark(nid, "sent", message_id=message_id)
    return "sent"


def _mark(nid: str, status: str, **values: Any) -> None:
    sets = ["#s = :s", "updated_at = :at"] + [f"{k} = :{k}" for k in values]
    if status == "sent":
        sets.append("sent_at = :at")
    dynamo.client().update_item(TableName=_table(), Key=dynamo.to_item(key(nid)), UpdateExpression="SET " + ", ".join(sets),
                                ExpressionAttributeNames={"#s": "status"},
                                ExpressionAttributeValues=dynamo.to_item({":s": status, ":at": utc_now_iso(),
                                                                         **{f":{k}": v for k, v in values.items()}}))


def for_recipient(principal: Principal, recipient_type: str, recipient_id: str) -> list[dict[str, Any]]:
    """Notifications to a household or a member of staff, newest first, in the caller's scope. A household
    must exist and be in scope: 404 ``HOUSEHOLD_NOT_FOUND`` (field ``household_id``) otherwise, whether it
    is unknown or another organisation's."""
    if recipient_type == "household":
        from chalicelib.customers import public as households

        households.get(principal, recipient_id)
    pk = f"HH#{recipient_id}#NOTIF" if recipient_type == "household" else f"USER#{recipient_id}#NOTIF"
    items = dynamo.query_all(_table(), index="GSI1", pk_value=pk, forward=False)
    return [i for i in items if principal.can_see(org_path=i.get("org_path"), household_id=i.get("household_id"))]
