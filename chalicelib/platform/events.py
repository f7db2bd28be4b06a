"""In-process domain events: one context announces that something happened, others react, and the announcer
imports none of them (issue 12: the dependency between contexts runs one way; an event carries news the other way).

:func:`publish` calls every handler :func:`subscribe`-d to the event's name, in the order they subscribed, in the
publisher's process and thread, after the publisher's own change has been committed. A handler's failure is logged
and swallowed: the publisher's change stands, and whatever the handler missed its owner's daily jobs catch up on.
Subscriptions are made by the composition root (``chalicelib.subscriptions.wire``), which the API functions and the
task functions that publish run once per process.

Events (name → payload):

* ``loan.opened``: a loan account was opened by a disbursement; payload the loan as the loans context stored it
  (a dict: ``loan_id``, ``household_id``, ``start_date``, ``org_path``, ``account_manager_id``, ...).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

Handler = Callable[[dict[str, Any]], object]

LOAN_OPENED = "loan.opened"

_handlers: dict[str, list[Handler]] = {}


def subscribe(name: str, handler: Handler) -> None:
    """Have ``handler(payload)`` called on every :func:`publish` of ``name`` (subscribing the same handler twice
    registers it once)."""
    handlers = _handlers.setdefault(name, [])
    if handler not in handlers:
        handlers.append(handler)


def subscribers(name: str) -> list[Handler]:
    """The handlers subscribed to ``name``, in call order (a copy)."""
    return list(_handlers.get(name, ()))


def publish(name: str, payload: dict[str, Any]) -> int:
    """Call every handler of ``name`` with ``payload``; returns how many ran without raising. A handler that
    raises is logged (``event handler failed``, with the event name) and the next one runs."""
    ok = 0
    for handler in subscribers(name):
        try:
            handler(payload)
            ok += 1
        except Exception:  # noqa: BLE001 - a subscriber must never undo or break the publisher's committed change
            from chalicelib.platform.observability import logger

            logger().exception("event handler failed", extra={"event": name})
    return ok


def unsubscribe_all(name: str | None = None) -> None:
    """Forget the handlers of ``name`` (every event's when ``None``): for tests of the wiring itself."""
    if name is None:
        _handlers.clear()
    else:
        _handlers.pop(name, None)
