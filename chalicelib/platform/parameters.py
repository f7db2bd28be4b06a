"""Versioned parameter store with effective dates (products, thresholds, dictionaries, rules, templates).

Items: the models of :mod:`chalicelib.platform.parameter_items` (a head counting the versions of a parameter,
one item per version).

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

from chalicelib.platform.access import Principal
from chalicelib.platform.clock import utc_now_iso
from chalicelib.platform.dynamo import pages
from chalicelib.platform.dynamo.tx import Audit, Transaction
from chalicelib.platform.errors import Forbidden, NotFound, ValidationFailed

NAME_PATTERN = r"^[a-z][a-z0-9_]{2,63}$"


def _plain(value: Any) -> Any:
    """JSON document with Decimals (as stored) → JSON-ready (ints stay ints, others as Decimal)."""
    return json.loads(json.dumps(value, default=lambda d: str(d) if isinstance(d, Decimal) else d),
                      parse_float=Decimal)


def get_effective(name: str, on: date) -> dict[str, Any]:
    """The version in force on ``on``: ``{"name", "version", "effective_from", "value"}``.

    Raises NotFound(``PARAMETER_NOT_FOUND``) when no version is effective yet.
    """
    from chalicelib.platform.parameter_items import ParameterVersion

    page = pages.model_query(ParameterVersion, pk_value=ParameterVersion.partition(name), sk_op="between",
                             sk_value=ParameterVersion.in_force_range(on), forward=False, limit=1, consistent=True)
    if not page.items:
        raise NotFound(f"parameter {name} has no version effective on {on}", code="PARAMETER_NOT_FOUND",
                       field="name")
    item = page.items[0]
    return {"name": name, "version": item.version, "effective_from": item.effective_from,
            "value": _plain(item.value)}


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
    from chalicelib.platform.parameter_items import ParameterVersion

    found = pages.model_query_all(ParameterVersion, pk_value=ParameterVersion.partition(name), sk_op="begins_with",
                                  sk_value=ParameterVersion.prefix(), forward=False)
    return [{"name": name, "version": v.version, "effective_from": v.effective_from, "created_by": v.created_by,
             "created_at": v.created_at, "comment": v.comment, "value": _plain(v.value)} for v in found]


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
    from chalicelib.platform.parameter_items import ParameterHead, ParameterVersion

    head = ParameterHead.find(*ParameterHead.key(name))
    latest = head.latest_version if head else 0
    version = latest + 1
    stored_value = json.loads(json.dumps(value, default=str), parse_float=Decimal)
    item = ParameterVersion(name=name, version=version, effective_from=effective_from.isoformat(), value=stored_value,
                            created_by=actor.user_id, created_at=utc_now_iso(), comment=comment)
    t = Transaction()
    if head:  # the counter moves only from the number read: a concurrent writer's transaction is cancelled
        head.name = name
        t.update_model(head, [ParameterHead.latest_version.set(version)],
                       condition=ParameterHead.latest_version == latest)
    else:
        t.save(ParameterHead(name=name, latest_version=version), condition=ParameterHead.PK.does_not_exist())
    t.save(item, condition=ParameterVersion.PK.does_not_exist())
    t.record(Audit("parameter", name, "parameter.version_added", actor.user_id, before=None,
                   after={"version": version, "effective_from": effective_from.isoformat()}, org_path="/",
                   reason=comment))
    t.commit()
    return {"name": name, "version": version, "effective_from": effective_from.isoformat(), "value": _plain(item.value)}


def list_names() -> list[str]:
    """Names of the shipped default parameter documents."""
    return sorted(p.name[:-5] for p in resources.files("chalicelib.reference.parameters").iterdir()
                  if p.name.endswith(".json"))


@cache
def default_document(name: str) -> dict[str, Any]:
    """The shipped default of ``name`` from ``chalicelib/reference/parameters/<name>.json``."""
    from chalicelib.reference.parameters import shipped

    return shipped(name)
