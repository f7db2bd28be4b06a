"""Versioned parameter store with effective dates (products, thresholds, dictionaries, rules, templates).

Items (parameters table):
- ``PARAM#<name>`` / ``HEAD``: ``latest_version`` (a counter guarded by a condition).
- ``PARAM#<name>`` / ``V#<effective_from>#<version:06d>``: ``value`` (the JSON document),
  ``effective_from`` (business date), ``version``, ``created_by``, ``created_at``, ``comment``.

The value in force on a business date is the one with the greatest ``(effective_from, version)``
whose ``effective_from`` is on or before that date. Versions are never changed or deleted, so every
decision can name the exact version it used.
"""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from chalicelib.platform import dynamo
from chalicelib.platform.access import Principal
from chalicelib.platform.clock import utc_now_iso
from chalicelib.platform.errors import Forbidden, NotFound, ValidationFailed

NAME_PATTERN = r"^[a-z][a-z0-9_]{2,63}$"


def _table() -> str:
    from chalicelib.platform.settings import get_settings

    return get_settings().parameters_table


def _audit_table() -> str:
    from chalicelib.platform.settings import get_settings

    return get_settings().audit_table


def _plain(value: Any) -> Any:
    """JSON document with Decimals (as stored) → JSON-ready (ints stay ints, others as Decimal)."""
    return json.loads(json.dumps(value, default=lambda d: str(d) if isinstance(d, Decimal) else d),
                      parse_float=Decimal)


def get_effective(name: str, on: date) -> dict[str, Any]:
    """The version in force on ``on``: ``{"name", "version", "effective_from", "value"}``.

    Raises NotFound(``PARAMETER_NOT_FOUND``) when no version is effective yet.
    """
    page = dynamo.query(_table(), pk_value=f"PARAM#{name}", sk_between=("V#0000", f"V#{on.isoformat()}#999999"),
                        forward=False, limit=1, consistent=True)
    if not page.items:
        raise NotFound(f"parameter {name} has no version effective on {on}", code="PARAMETER_NOT_FOUND",
                       field="name")
    item = page.items[0]
    return {"name": name, "version": item["version"], "effective_from": item["effective_from"],
            "value": _plain(item["value"])}


def effective_or_default(name: str, on: date) -> tuple[dict[str, Any], int | None]:
    """``(value, version)`` in force on ``on``; the shipped default with version ``None`` while no version
    is stored (a reader then still works on a fresh store)."""
    try:
        found = get_effective(name, on)
    except NotFound:
        return default_document(name), None
    return found["value"], int(found["version"])


def list_versions(name: str) -> list[dict[str, Any]]:
    """Every version of ``name``, newest effective date first."""
    items = dynamo.query_all(_table(), pk_value=f"PARAM#{name}", sk_prefix="V#", forward=False)
    return [{"name": name, "version": i["version"], "effective_from": i["effective_from"],
             "created_by": i.get("created_by"), "created_at": i.get("created_at"), "comment": i.get("comment"),
             "value": _plain(i["value"])} for i in items]


def put_version(name: str, value: dict[str, Any], *, effective_from: date, actor: Principal,
                comment: str | None = None) -> dict[str, Any]:
    """Append a new version (number = latest + 1) effective from ``effective_from``; audited.

    Parameters are global (every institution prices, rates and warns with them), so only a principal whose scope
    is the root of the organisation tree (``/JL/``: province staff, the system) may add a version: Forbidden
    ``PERMISSION_DENIED`` otherwise. Raises ValidationFailed(``PARAMETER_VALUE``) when ``value`` is not a JSON
    object.
    """
    if not (actor.org_path.startswith("/") and actor.org_path.count("/") == 2 and len(actor.org_path) > 2):
        raise Forbidden("parameters are global: only province staff may add a version", code="PERMISSION_DENIED")
    if not isinstance(value, dict):
        raise ValidationFailed("a parameter value is a JSON object", code="PARAMETER_VALUE", field="value")
    head = dynamo.get(_table(), f"PARAM#{name}", "HEAD")
    latest = head["latest_version"] if head else 0
    version = latest + 1
    stored_value = json.loads(json.dumps(value, default=str), parse_float=Decimal)
    item = {"PK": f"PARAM#{name}", "SK": f"V#{effective_from.isoformat()}#{version:06d}", "name": name,
            "version": version, "effective_from": effective_from.isoformat(), "value": stored_value,
            "created_by": actor.user_id, "created_at": utc_now_iso(), "comment": comment}
    tx = dynamo.TxBuilder()
    if head:
        tx.update(_table(), {"PK": f"PARAM#{name}", "SK": "HEAD"}, "SET latest_version = :n",
                  values={":n": version, ":o": latest}, condition="latest_version = :o")
    else:
        tx.put(_table(), {"PK": f"PARAM#{name}", "SK": "HEAD", "latest_version": version},
               condition="attribute_not_exists(PK)")
    tx.put(_table(), item, condition="attribute_not_exists(PK)")
    tx.audit(_audit_table(), dynamo.Audit("parameter", name, "parameter.version_added", actor.user_id,
                                          before=None, after={"version": version,
                                                              "effective_from": effective_from.isoformat()},
                                          org_path="/", reason=comment))
    tx.commit()
    return {"name": name, "version": version, "effective_from": effective_from.isoformat(), "value": _plain(item["value"])}


def list_names() -> list[str]:
    """Names of the shipped default parameter documents."""
    return sorted(p.name[:-5] for p in resources.files("chalicelib.reference.parameters").iterdir()
                  if p.name.endswith(".json"))


@cache
def default_document(name: str) -> dict[str, Any]:
    """The shipped default of ``name`` from ``chalicelib/reference/parameters/<name>.json``."""
    from chalicelib.reference.parameters import shipped

    return shipped(name)
