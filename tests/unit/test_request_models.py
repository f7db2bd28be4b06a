"""Every field a client can send is governed (chalicelib.platform.inputs, chalicelib.platform.text): walks every body
and query model of every route of the registry, and every model nested in one, and fails on a field that no
input rule covers, so a new field cannot forget it. Pure, no sockets."""
from __future__ import annotations

import enum
import types
import typing
from datetime import date, datetime
from decimal import Decimal
from importlib import import_module
from uuid import UUID

import pytest
from pydantic import BaseModel, Field
from pydantic.fields import FieldInfo

from chalicelib.platform.inputs import Id, IsoDate, Money, RequestModel, Rule
from chalicelib.platform.text import text
from chalicelib.routes import all_specs

#: Leaf types and the rule each needs (``Rule.name`` in the field's metadata).
NEEDS_RULE = {date: {"date"}, datetime: {"datetime"}, UUID: {"uuid"}, Decimal: {"money", "quantity", "coordinate"}}


def _rules(metadata: list) -> set[str]:
    return {m.name for m in metadata if isinstance(m, Rule)}


def _has_pattern(metadata: list) -> bool:
    return any(getattr(m, "pattern", None) for m in metadata)


def _problems_of_type(t, metadata: list, where: str, seen: set) -> list[str]:
    origin = typing.get_origin(t)
    if origin is typing.Annotated:
        inner, *extra = typing.get_args(t)
        extra = [c for m in extra for c in ([m, *m.metadata] if isinstance(m, FieldInfo) else [m])]
        return _problems_of_type(inner, metadata + extra, where, seen)
    if "parsed" in _rules(metadata):
        parser = next(m.by for m in metadata if isinstance(m, Rule) and m.name == "parsed")
        module, _, name = parser.rpartition(".")
        return [] if callable(getattr(import_module(module), name, None)) else [f"{where}: no parser {parser}"]
    if origin in (typing.Union, types.UnionType):
        return [p for a in typing.get_args(t) if a is not type(None)
                for p in _problems_of_type(a, metadata, where, seen)]
    if origin is typing.Literal or (isinstance(t, type) and issubclass(t, enum.Enum)):
        return []
    if origin in (list, tuple, set, frozenset):
        return [p for a in typing.get_args(t) if a is not Ellipsis for p in _problems_of_type(a, [], f"{where}[]", seen)]
    if isinstance(t, type) and issubclass(t, BaseModel):
        return model_problems(t, where, seen)
    if t is str:
        ok = "text" in _rules(metadata) or _has_pattern(metadata)
        return [] if ok else [f"{where}: free text without the text rule or a pattern"]
    if t in (bool, int):
        # strict models: JSON true/false, JSON integers (queries: chalicelib.platform.http.routing.query_values)
        return []
    if t in NEEDS_RULE:
        ok = bool(_rules(metadata) & NEEDS_RULE[t])
        return [] if ok else [f"{where}: {t.__name__} without a shared input type ({sorted(NEEDS_RULE[t])})"]
    return [f"{where}: {t!r} is not a governed input type"]


def model_problems(model: type[BaseModel], where: str, seen: set | None = None) -> list[str]:
    """Every ungoverned field of ``model`` and the models it nests (field paths in ``where``)."""
    seen = set() if seen is None else seen
    if model in seen:
        return []
    seen.add(model)
    problems = []
    if model.model_config.get("extra") != "forbid" or model.model_config.get("strict") is not True:
        problems.append(f"{where} ({model.__name__}): not strict with unknown fields refused (derive from "
                        "chalicelib.platform.inputs.RequestModel)")
    for name, info in model.model_fields.items():
        problems += _problems_of_type(info.annotation, list(info.metadata), f"{where}.{name}", seen)
    return problems


def _request_models():
    out = []
    for _group, spec in all_specs():
        for part, model in (("body", spec.body), ("query", spec.query)):
            if model is not None:
                out.append(pytest.param(model, id=f"{spec.method} {spec.path} {part}"))
    return out


@pytest.mark.parametrize("model", _request_models())
def test_every_field_of_every_request_model_is_governed(model):
    assert model_problems(model, model.__name__) == []


def test_the_walk_finds_what_a_new_field_could_forget():
    """The walk above bites: each of these is a field a request model could be given by mistake."""

    class Nested(BaseModel):  # not strict: lax coercion would be back
        note: text(max_length=10)

    class Careless(RequestModel):
        comment: str = Field(max_length=100)                       # free text without the rule
        names: list[str] = Field(default_factory=list)             # inside a list too
        when: date | None = None                                   # lax date (would read 0 as 1970-01-01)
        amount: Decimal = Decimal(0)                               # money without the money type
        nested: Nested | None = None
        fine_id: Id = "x"
        fine_text: text(max_length=10) = "x"
        fine_date: IsoDate | None = None
        fine_money: Money = Decimal(0)

    assert model_problems(Careless, "Careless") == [
        "Careless.comment: free text without the text rule or a pattern",
        "Careless.names[]: free text without the text rule or a pattern",
        "Careless.when: date without a shared input type (['date'])",
        "Careless.amount: Decimal without a shared input type (['coordinate', 'money', 'quantity'])",
        "Careless.nested (Nested): not strict with unknown fields refused (derive from "
        "chalicelib.platform.inputs.RequestModel)"]


def test_a_named_parser_must_exist():
    class Delegated(RequestModel):
        token: typing.Annotated[str, Rule("parsed", by="chalicelib.platform.dynamo.cursors.no_such_function")]

    assert model_problems(Delegated, "Delegated") == ["Delegated.token: no parser chalicelib.platform.dynamo.cursors.no_such_function"]
