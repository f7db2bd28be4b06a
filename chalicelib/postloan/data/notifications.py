"""Notification outbox (通知): every post-loan reminder or alert is recorded once, then sent.

The item is the ``Notification`` model (:mod:`chalicelib.postloan.data.models`): ``notification_id``
(deterministic: template, reference, recipient and the date it is about, so a re-run finds it), ``template``,
``channel`` (sms | push), the recipient, ``reference`` (loan, line, rating or warning id), ``business_date``,
``text``, ``status`` (pending | sent | failed), ``message_id`` (the adapter's), ``error``, ``created_at``,
``sent_at``.

Exactly once: the record is put on condition that it does not exist before sending and marked ``sent`` after;
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


def notification_id_for(template: str, reference: str, recipient_id: str, about: str) -> str:
    """The deterministic id of a notification: template, reference, recipient and the date it is about."""
    return "N" + stable_id(template, reference, recipient_id, about, length=19)


def send_once(*, template: str, channel: str, recipient_type: str, recipient_id: str, reference: str, about: str,
              day: date, text: str, org_path: str, household_id: str | None = None) -> str:
    """Record and send one notification; ``sent`` (now), ``duplicate`` (already sent), or ``failed``."""
    from chalicelib.postloan.data.models import Notification

    nid = notification_id_for(template, reference, recipient_id, about)
    item = Notification(notification_id=nid, template=template, channel=channel, recipient_type=recipient_type,
                        recipient_id=recipient_id, reference=reference, about=about, business_date=day.isoformat(),
                        text=text, status="pending", created_at=utc_now_iso(), org_path=org_path,
                        household_id=household_id)
    tx = dynamo.Transaction().save(item, condition=Notification.PK.does_not_exist(),
                                   on_fail=Conflict("exists", code="NOTIFICATION_EXISTS"))
    try:
        tx.commit()
    except Conflict:
        existing = Notification.find(*Notification.key(nid))
        if existing is not None and existing.status == "sent":
            return "duplicate"
    return _deliver(item, channel, recipient_id, text, reference)


def _deliver(item: Any, channel: str, recipient_id: str, text: str, reference: str) -> str:
    try:
        if channel == "sms":
            from chalicelib.adapters import sms

            message_id = sms.send(recipient_id, text, reference=reference)
        else:
            from chalicelib.adapters import push

            message_id = push.send(recipient_id, text, reference=reference)
    except Exception as exc:  # noqa: BLE001 - a gateway fault is recorded and retried, never fatal
        from chalicelib.platform.observability import logger

        logger().exception("notification failed", extra={"notification_id": item.notification_id, "channel": channel})
        _mark(item, "failed", error=f"{type(exc).__name__}: {str(exc)[:300]}")
        return "failed"
    _mark(item, "sent", message_id=message_id)
    return "sent"


def _mark(item: Any, status: str, **values: Any) -> None:
    """Set the status (and ``message_id`` or ``error``) of the stored notification: one UpdateItem."""
    from chalicelib.postloan.data.models import Notification

    now = utc_now_iso()
    actions = [Notification.status.set(status), Notification.updated_at.set(now)]
    actions += [getattr(Notification, k).set(v) for k, v in values.items()]
    if status == "sent":
        actions.append(Notification.sent_at.set(now))
    item.fill_keys()
    item.update(actions=actions)


def for_recipient(principal: Principal, recipient_type: str, recipient_id: str) -> list[dict[str, Any]]:
    """Notifications to a household or a member of staff, newest first, in the caller's scope. A household
    must exist and be in scope: 404 ``HOUSEHOLD_NOT_FOUND`` (field ``household_id``) otherwise, whether it
    is unknown or another organisation's."""
    from chalicelib.platform.dynamo.pages import model_query_all
    from chalicelib.postloan.data.models import Notification

    if recipient_type == "household":
        from chalicelib.customers import public as households

        households.get(principal, recipient_id)
    found = model_query_all(Notification, index="GSI1", forward=False,
                            pk_value=Notification.recipient_partition(recipient_type, recipient_id))
    return [m.as_dict() for m in found if principal.can_see(org_path=m.org_path, household_id=m.household_id)]
