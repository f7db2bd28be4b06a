"""Versioned parameter store with effective dates (products, thresholds, dictionaries, rules, templates), and the
ONE loader every reader uses.

Items: the models of :mod:`chalicelib.platform.parameter_items` (a head counting the versions of a parameter,
one item per version).

The value in force on a business date is the one with the greatest ``(effective_from, version)``
whose ``effective_from`` is on or before that date. Versions are never changed or deleted, so every
decision can name the exact version it used.

Readers call :func:`load` (``(model, version)`` in force on a date) or :func:`load_version` (the version a decision
recorded): the document comes back validated by its model (:mod:`chalicelib.platform.parameter_models`), and when
no version is stored yet, the shipped default (``chalicelib/reference/parameters/<name>.json``) with version
``None``: one policy for every reader. Defaults live only in those files; models have no defaults of their own.
A new version is checked by :func:`check_document` (storable, then the model and every view) before
:func:`put_version` stores it.
"""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any, overload

from chalicelib.platform.access import Principal
from chalicelib.platform.clock import utc_now_iso
from chalicelib.platform.dynamo import pages
from chalicelib.platform.dynamo.tx import Audit, Transaction
from chalicelib.platform.errors import FieldError, Forbidden, NotFound, ValidationFailed
from chalicelib.platform.parameter_models import D, ParameterDocument, brief, model_for, parse, views_of

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


def _document_in_force(name: str, on: date) -> tuple[dict[str, Any], int | None]:
    """``(value, version)`` in force on ``on``; the shipped default with version ``None`` while no version is
    stored. NotFound ``PARAMETER_NOT_FOUND`` when neither exists."""
    try:
        found = get_effective(name, on)
    except NotFound:
        try:
            return default_document(name), None
        except FileNotFoundError:
            raise NotFound(f"parameter {name} has no version effective on {on} and no shipped default",
                           code="PARAMETER_NOT_FOUND", field="name") from None
    return found["value"], int(found["version"])


def _model(name: str, model: type[ParameterDocument] | None) -> type[ParameterDocument]:
    model = model or model_for(name)
    if model is None:
        raise RuntimeError(f"no model is registered for parameter {name}: its context's domain/parameters.py "
                           "registers it (chalicelib.routes lists them all)")
    return model


@overload
def load(name: str, on: date) -> tuple[ParameterDocument, int | None]: ...
@overload
def load(name: str, on: date, model: type[D]) -> tuple[D, int | None]: ...
def load(name: str, on: date, model: type[ParameterDocument] | None = None) -> tuple[ParameterDocument, int | None]:
    """``(model, version)`` of parameter ``name`` in force on business date ``on``: the stored version (its
    number), else the shipped default (version ``None``). ``model``: the model class to read it with (the
    registered one, named for its type, or the view of a context reading a document another context owns;
    default: the registered model). Parsed models are cached per version
    (versions never change). Raises NotFound ``PARAMETER_NOT_FOUND`` (no version, no shipped default),
    ValidationFailed (the document breaks its model: the model's code and field, ``details`` naming the parameter
    and version), RuntimeError (no model)."""
    kind = _model(name, model)
    value, version = _document_in_force(name, on)
    return _parsed(name, version, value, kind), version


@overload
def load_version(name: str, version: int | None) -> ParameterDocument: ...
@overload
def load_version(name: str, version: int | None, model: type[D]) -> D: ...
def load_version(name: str, version: int | None, model: type[ParameterDocument] | None = None) -> ParameterDocument:
    """The model of version ``version`` of parameter ``name`` (``None``: the shipped default), e.g. the version a
    drawdown recorded when it was requested. Versions never change, so they are cached per process; an unknown
    version reads every version of ``name`` once (one query). Raises NotFound ``PARAMETER_NOT_FOUND``."""
    kind = _model(name, model)
    hit = _PARSED.get((name, version, kind))
    if hit is not None:
        return hit
    if version is None:
        return _parsed(name, None, default_document(name), kind)
    for v in list_versions(name):
        if int(v["version"]) == version:
            return _parsed(name, version, v["value"], kind)
    raise NotFound(f"parameter {name} has no version {version}", code="PARAMETER_NOT_FOUND", field="version")


#: Parsed documents by ``(name, version, model)``; emptied when it holds many (a version never changes).
_PARSED: dict[tuple[str, int | None, type[ParameterDocument]], ParameterDocument] = {}
_PARSED_KEPT = 64


def _parsed(name: str, version: int | None, value: dict[str, Any],
            model: type[ParameterDocument]) -> ParameterDocument:
    key = (name, version, model)
    hit = _PARSED.get(key)
    if hit is not None:
        return hit
    try:
        parsed = parse(name, value, model)
    except ValidationFailed as exc:  # name the version at fault (a reader may record it, e.g. a fail-safe decision)
        exc.details = {**exc.details, "parameter": name, "version": version}
        raise
    if len(_PARSED) >= _PARSED_KEPT:
        _PARSED.clear()
    _PARSED[key] = parsed
    return parsed


def _as_stored(value: dict[str, Any]) -> dict[str, Any]:
    """``value`` as the store gives it back: fractions are stored as Decimal and read as strings (:func:`_plain`)."""
    stored = json.loads(json.dumps(value, default=str), parse_float=Decimal)
    return dict(_plain(stored))


def check_document(name: str, value: dict[str, Any], *, effective_from: date) -> None:
    """Refuse a new version ``value`` of ``name`` effective from ``effective_from`` before it is stored: what the
    store cannot keep (:func:`chalicelib.platform.parameter_storable.check_storable`), then the document as the
    store will give it back through its registered model and every registered view (a name no context models is
    any JSON object). Raises ValidationFailed (422) with the model's code and the field under ``value.``
    (``value`` when the rule names none)."""
    from chalicelib.platform.parameter_storable import check_storable

    check_storable(value)
    model = model_for(name)
    if model is None:
        return
    stored = _as_stored(value)
    try:
        for m in (model, *views_of(name)):
            parse(name, stored, m, effective_from=effective_from)
    except ValidationFailed as exc:
        message = brief(exc.message)
        fields = [FieldError(f"value.{f.field}" if f.field else "value", f.code, brief(f.message))
                  for f in exc.fields]
        raise ValidationFailed(message if message.startswith(f"{name}:") else f"{name}: {message}", code=exc.code,
                               fields=fields or [FieldError("value", exc.code, message)]) from None


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
