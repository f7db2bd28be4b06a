"""The models of parameter documents: their base class, the registry name → model, and parsing with the errors the
parameter API answers. Pure (pydantic only: no I/O), so domain modules define and register their models here.

Every parameter document (``chalicelib/reference/parameters/<name>.json`` and each stored version) is validated
by ONE pydantic model, a :class:`ParameterDocument` defined by the context that owns the document in its
``domain/parameters.py`` and registered there with :func:`parameter_document` (name, or a name prefix such as
``scorecard_``). Another context that reads the document through its own view registers that view with
:func:`parameter_view`: a new version must pass the owner's model and every view, so no reader can be handed a
document it cannot read. The composition root (``chalicelib.routes``) installs a catalogue that imports every
context's models (:func:`use_catalogue`), so the parameter API knows them all without importing a context.

Errors (:func:`parse`), every one a ValidationFailed (422) with its field relative to the document (``fixings[85]``;
the parameter API prefixes ``value.``):

* a rule of the model raised as ``ValidationFailed`` (a domain code such as ``LPR_TABLE_INVALID``,
  ``PRODUCTS_INVALID``, ``SCORECARD_INVALID``, and the field it names) keeps its code and field;
* a pydantic error of a field (type, range, pattern, missing member) is ``PARAMETER_VALUE`` with the pydantic
  location as the field (dict keys as ``.key``, list items as ``[i]``); a wrong value is reported before a missing
  member;
* anything else a model's rules raise (a document a domain parser cannot read) is ``PARAMETER_VALUE`` naming no
  field (the whole document).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, ClassVar, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    ModelWrapValidatorHandler,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from chalicelib.platform.errors import ValidationFailed

PARAMETER_VALUE = "PARAMETER_VALUE"


class ParameterDocument(BaseModel):
    """Base of every parameter document model: frozen; members the model does not name are kept (a document
    carries its own ``title``, ``basis`` and ``source`` texts). :attr:`document` is the document as validated
    (set by :func:`parse`), for what reads the document itself: a decision engine, a renderer, a snapshot."""

    model_config = ConfigDict(frozen=True, extra="allow")

    #: The parameter name (or name prefix) the model is registered under (set by :func:`parameter_document`).
    parameter_name: ClassVar[str] = ""
    _document: dict[str, Any] = PrivateAttr(default_factory=dict)

    @property
    def document(self) -> dict[str, Any]:
        """The validated document as a plain dict (numbers as the store gives them back)."""
        return self._document


class DomainParsed(ParameterDocument):
    """A document whose rules live in a domain parser (``domain_parser``: the document → the domain object, raising
    ValidationFailed with the document's own code, e.g. ``SCORECARD_INVALID``): the parser runs before the model's
    own fields are checked, and its result is kept as :attr:`parsed`. A subclass names the parser
    (``domain_parser = staticmethod(load_scorecard)``) and may give ``parsed`` a domain name (``scorecard``)."""

    domain_parser: ClassVar[Any]  # a function: document → domain object
    _parsed_value: Any = PrivateAttr(default=None)

    @model_validator(mode="wrap")
    @classmethod
    def _parse_domain(cls, data: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
        value = cls.domain_parser(data)
        model = handler(data)
        model._parsed_value = value
        return model

    @property
    def parsed(self) -> Any:
        """What :attr:`domain_parser` made of the document."""
        return self._parsed_value


D = TypeVar("D", bound=ParameterDocument)

_MODELS: dict[str, type[ParameterDocument]] = {}
_PREFIX_MODELS: dict[str, type[ParameterDocument]] = {}
_VIEWS: dict[str, list[type[ParameterDocument]]] = {}
_catalogue: list[Callable[[], None]] = []


def parameter_document(name: str, *, prefix: bool = False) -> Callable[[type[D]], type[D]]:
    """Class decorator: register the model of parameter ``name`` (``prefix=True``: of every name starting with
    ``name``, e.g. ``scorecard_``). Registering a second model for a name raises RuntimeError."""
    def register(model: type[D]) -> type[D]:
        table = _PREFIX_MODELS if prefix else _MODELS
        if table.get(name, model) is not model:
            raise RuntimeError(f"parameter {name} already has the model {table[name].__name__}")
        model.parameter_name = name
        table[name] = model
        return model
    return register


def parameter_view(name: str) -> Callable[[type[D]], type[D]]:
    """Class decorator: register a view of parameter ``name`` read by a context that does not own it (the rating
    context's sub-line products of the ``products`` document): a new version must pass it too."""
    def register(model: type[D]) -> type[D]:
        views = _VIEWS.setdefault(name, [])
        if model not in views:
            views.append(model)
        model.parameter_name = name
        return model
    return register


def use_catalogue(load_all: Callable[[], None]) -> None:
    """Install the composition root's catalogue: a function importing every context's parameter models (run once,
    the first time a name is looked up that no imported module registered)."""
    _catalogue[:] = [load_all]


def _registered(name: str) -> type[ParameterDocument] | None:
    if name in _MODELS:
        return _MODELS[name]
    return next((m for p, m in _PREFIX_MODELS.items() if name.startswith(p)), None)


def model_for(name: str) -> type[ParameterDocument] | None:
    """The model of parameter ``name`` (exact name, else the first matching prefix); None for a name no context
    models (stored as any JSON object). Runs the catalogue first if ``name`` is not registered yet."""
    found = _registered(name)
    if found is None and _catalogue:
        _catalogue.pop()()
        found = _registered(name)
    return found


def views_of(name: str) -> tuple[type[ParameterDocument], ...]:
    """The views other contexts registered for ``name`` (after :func:`model_for` ran the catalogue)."""
    return tuple(_VIEWS.get(name, ()))


def registered_names() -> dict[str, str]:
    """``{name or prefix*: model class name}`` of every registered model (the catalogue run first)."""
    model_for("")
    return {**{n: m.__name__ for n, m in _MODELS.items()}, **{p + "*": m.__name__ for p, m in _PREFIX_MODELS.items()}}


def effective_from(info: ValidationInfo) -> date | None:
    """The effective date of the version being stored, from the validation context (None when reading)."""
    context = info.context if isinstance(info.context, Mapping) else {}
    value = context.get("effective_from")
    return value if isinstance(value, date) else None


def brief(exc: BaseException | str) -> str:
    """One line of at most 300 characters (zen-engine appends a native stack trace to its messages)."""
    text = str(exc).split("Stack backtrace")[0]
    return re.sub(r"\s+", " ", text).strip()[:300] or type(exc).__name__


def shown(key: str) -> str:
    """``key`` safe to echo in a field path: lone surrogates escaped, at most 64 characters."""
    text = key.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= 64 else text[:64] + "…"


def refuse(field: str, message: str, code: str = PARAMETER_VALUE) -> ValidationFailed:
    """The error of a model rule that names its own field (a path inside the document)."""
    return ValidationFailed(f"{field}: {message}", code=code, field=field)


def field_path(loc: Any, root: str = "") -> str:
    """A pydantic location as a field path: ``("a", 1, "b")`` → ``a[1].b`` (dict-key markers dropped)."""
    out = root
    for part in loc:
        if part == "[key]":
            continue
        out += f"[{part}]" if isinstance(part, int) else (f".{shown(str(part))}" if out else shown(str(part)))
    return out


def _pydantic_error(name: str, exc: ValidationError) -> ValidationFailed:
    errors = exc.errors()
    first = next((e for e in errors if e["type"] != "missing"), errors[0])
    field = field_path(first["loc"]) or None
    message = f"{name}: {field + ': ' if field else ''}{first['msg']}"
    return ValidationFailed(message, code=PARAMETER_VALUE, field=field)


def parse(name: str, document: Mapping[str, Any], model: type[D], *, effective_from: date | None = None) -> D:
    """``document`` validated by ``model`` (``effective_from``: the date a new version would take effect, for rules
    about it; None when a stored version is read). Raises ValidationFailed (422) as the module docstring says,
    fields relative to the document."""
    context = {"effective_from": effective_from} if effective_from else None
    try:
        parsed = model.model_validate(document, context=context)
    except ValidationFailed:
        raise
    except ValidationError as exc:
        raise _pydantic_error(name, exc) from None
    except Exception as exc:  # noqa: BLE001 - a document a parser cannot read is the caller's error, not a 500
        raise ValidationFailed(f"{name}: the document cannot be read: {brief(exc)}", code=PARAMETER_VALUE) from None
    parsed._document = dict(document)
    return parsed
