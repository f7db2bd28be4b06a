"""Checks of parameter documents before a new version is stored (``POST /parameters/{name}/versions``).

:data:`CHECKS` is the one registry: parameter name → the existing domain parser of that document, called as
``check(document, effective_from)``; it raises ``ValidationFailed`` when the document would break the code
that reads it. Names without a parser (``approval_authority``, ``contract_template``, ``loan_workflow``,
``notification_templates``, ``village_campaign``, new names) are stored as any JSON object.

:func:`check` runs the parser on the document as the store will give it back (JSON numbers with a
fraction become strings, see ``chalicelib.data.parameters``) and reports every refusal as a 422
``ValidationFailed``:

* the parser's ``ValidationFailed`` keeps its code (``LPR_TABLE_INVALID``, ``PRODUCTS_INVALID``,
  ``SCORECARD_INVALID``, ...); its field is prefixed with ``value.`` (the request member holding the
  document), ``value`` when the parser names none;
* any other exception of a parser (pydantic ``ValidationError``, ``KeyError``, ``ValueError``, ...) becomes
  ``PARAMETER_VALUE`` with the field it names (pydantic location, missing key) or ``value``.

Pure: no I/O; parsers are imported when first used.
"""
from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from typing import Any, Callable, Mapping

from chalicelib.errors import FieldError, ValidationFailed

Check = Callable[[Mapping[str, Any], date], None]


def _lpr_fixings(doc: Mapping[str, Any], effective_from: date) -> None:
    """``parse_lpr_table``; also refuses a fixing (or ``as_of``) dated after the version's effective date: a
    fixing is published on its date, and a future date would keep the table from ever going stale."""
    from chalicelib.domain.rates import parse_lpr_table

    table = parse_lpr_table(doc)
    for index, row in enumerate(doc["fixings"]):
        if date.fromisoformat(row[0]) > effective_from:
            raise ValidationFailed(f"fixings[{index}]: the fixing of {row[0]} is after the effective date "
                                   f"{effective_from}", code="LPR_TABLE_INVALID", field=f"fixings[{index}]")
    if table.as_of > effective_from:
        raise ValidationFailed(f"as_of {table.as_of} is after the effective date {effective_from}",
                               code="LPR_TABLE_INVALID", field="as_of")


def _products(doc: Mapping[str, Any], effective_from: date) -> None:
    """The loans parser (``load_products``) and the rating parser of the sub-line products."""
    from pydantic import ValidationError

    from chalicelib.domain.credit_line import Product
    from chalicelib.domain.products import load_products
    from chalicelib.domain.village_credit import village_credit_products

    load_products(doc)
    for p in village_credit_products(doc):
        try:
            Product.model_validate(p)
        except ValidationError as exc:
            raise ValidationFailed(f"product {p['product_id']}: {exc.errors()[0]['msg']}", code="PRODUCTS_INVALID",
                                   field="products") from None


def _scorecard(doc: Mapping[str, Any], effective_from: date) -> None:
    from chalicelib.domain.scorecard import load_scorecard

    load_scorecard(doc)


def _credit_line_policy(doc: Mapping[str, Any], effective_from: date) -> None:
    from chalicelib.domain.credit_line import load_policy

    load_policy(doc)


def _credit_evaluation(doc: Mapping[str, Any], effective_from: date) -> None:
    from chalicelib.domain.evaluation import load_evaluation_policy

    load_evaluation_policy(doc)


def _classification_rule(doc: Mapping[str, Any], effective_from: date) -> None:
    from chalicelib.domain.classification import classify

    classify(0, doc)  # validates the dpd_more_than thresholds


def _warning_rules(doc: Mapping[str, Any], effective_from: date) -> None:
    from chalicelib.domain.warning_rules import WarningRuleSet

    WarningRuleSet(doc)


def _approval_rules(doc: Mapping[str, Any], effective_from: date) -> None:
    """Compiles the decision graph (at evaluation time a broken graph sends every drawdown to people)."""
    from chalicelib.domain.approval_rules import _decision

    if "decision" not in doc:
        raise KeyError("decision")
    try:
        _decision(doc)
    except Exception as exc:  # noqa: BLE001 - zen-engine reports graph faults as RuntimeError
        raise ValidationFailed(f"the decision graph cannot be compiled: {_brief(exc)}", code="PARAMETER_VALUE",
                               field="decision") from None


def _postloan_policy(doc: Mapping[str, Any], effective_from: date) -> None:
    from chalicelib.domain.postloan import PostLoanPolicy

    PostLoanPolicy.from_document(doc)


CHECKS: dict[str, Check] = {
    "lpr_fixings": _lpr_fixings,
    "products": _products,
    "scorecard_expert": _scorecard,
    "credit_line_policy": _credit_line_policy,
    "credit_evaluation": _credit_evaluation,
    "classification_rule": _classification_rule,
    "warning_rules": _warning_rules,
    "approval_rules": _approval_rules,
    "postloan_policy": _postloan_policy,
}

#: The codes :func:`check` can answer with (listed on the route).
ERROR_CODES = ("PARAMETER_VALUE", "LPR_TABLE_INVALID", "PRODUCTS_INVALID", "SCORECARD_INVALID",
               "CREDIT_LINE_POLICY_INVALID", "EVALUATION_POLICY_INVALID", "CLASSIFICATION_RULE_INVALID",
               "WARNING_RULES_INVALID")


def _brief(exc: BaseException | str) -> str:
    """One line of at most 300 characters (zen-engine appends a native stack trace to its messages)."""
    text = str(exc).split("Stack backtrace")[0]
    return re.sub(r"\s+", " ", text).strip()[:300] or type(exc).__name__


def _as_stored(value: Mapping[str, Any]) -> dict[str, Any]:
    """``value`` as the parameter store gives it back: fractions are stored as Decimal and read as strings."""
    stored = json.loads(json.dumps(value, default=str), parse_float=Decimal)
    return json.loads(json.dumps(stored, default=lambda d: str(d) if isinstance(d, Decimal) else d))


def _field(loc: Any) -> str:
    out = "value"
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def check(name: str, value: Mapping[str, Any], *, effective_from: date) -> None:
    """Run the registered parser of parameter ``name`` (if any) on ``value``, a new version effective from
    ``effective_from``. Raises ValidationFailed (422): the parser's code with its field under ``value.``, or
    ``PARAMETER_VALUE`` for any other exception of the parser."""
    from pydantic import ValidationError

    parser = CHECKS.get(name)
    if parser is None:
        return
    try:
        parser(_as_stored(value), effective_from)
    except ValidationFailed as exc:
        message = _brief(exc.message)
        fields = [FieldError(_field([f.field]) if f.field else "value", f.code, _brief(f.message))
                  for f in exc.fields]
        raise ValidationFailed(f"{name}: {message}", code=exc.code,
                               fields=fields or [FieldError("value", exc.code, message)]) from None
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ValidationFailed(f"{name}: {first['msg']}", code="PARAMETER_VALUE", field=_field(first["loc"])) from None
    except KeyError as exc:
        key = exc.args[0] if exc.args else None
        raise ValidationFailed(f"{name}: missing member {key!r}", code="PARAMETER_VALUE",
                               field=_field([key]) if isinstance(key, (str, int)) else "value") from None
    except Exception as exc:  # noqa: BLE001 - a document a parser cannot read is the caller's error, not a 500
        raise ValidationFailed(f"{name}: the document cannot be read: {_brief(exc)}", code="PARAMETER_VALUE",
                               field="value") from None
