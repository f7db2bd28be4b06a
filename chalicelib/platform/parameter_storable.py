"""What the parameter store can keep as sent, whatever the parameter (``PARAMETER_VALUE`` with the field, e.g.
``value.x``), checked before a document's model (:mod:`chalicelib.platform.parameter_models`) when a version is
added. The route parses numbers as ``Decimal`` (``chalicelib.platform.http.routing``, every body), so nothing is
rounded through float; a number must be finite and fit a DynamoDB number, text must be valid Unicode, nesting and
size are bounded (the limits below). Pure: no I/O.
"""
from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

from chalicelib.platform.parameter_models import brief, refuse, shown

# ------------------------------------------------------------------------------------------ storable documents
#: A parameter version is one DynamoDB item whose attribute ``value`` holds the document. Limits from the
#: DynamoDB Developer Guide, "Service, account, and table quotas" (Constraints): an item is at most 400 KB;
#: a number has at most 38 digits of precision and a magnitude from 1E-130 to 9.99…E+125 (boto3 serialises
#: with exactly that context, ``boto3.dynamodb.types.DYNAMODB_CONTEXT``, trapping Rounded / Underflow /
#: Overflow, and writes an integer with all its digits); nested attributes go at most 32 levels deep, the
#: scalar at the bottom counting (31 maps or lists around it; the ``value`` object itself is the first).
#: Text must be valid Unicode: a lone surrogate (``"\ud800"``) is valid JSON but cannot be encoded as UTF-8.
#: Decision: a document is at most 200 KB as UTF-8 JSON, half an item, leaving room for the version's other
#: attributes and the audit record (the largest shipped document, ``lpr_fixings``, is about 4 KB).
MAX_DOCUMENT_BYTES = 200 * 1024
MAX_CONTAINER_DEPTH = 31
MAX_NUMBER_DIGITS = 38
NUMBER_ADJUSTED_EXPONENT = (-130, 125)


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _number_problem(value: Any) -> str | None:
    """Why the JSON number ``value`` (int, Decimal or float) cannot be stored as it was sent, or None."""
    if isinstance(value, int):
        return None if abs(value) < 10 ** MAX_NUMBER_DIGITS else f"more than {MAX_NUMBER_DIGITS} digits"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "not a finite number"
        value = Decimal(repr(value))
    if not value.is_finite():
        return "not a finite number (NaN and Infinity are not JSON numbers)"
    _sign, digits, exponent = value.as_tuple()
    if len(digits) > MAX_NUMBER_DIGITS:
        return f"more than {MAX_NUMBER_DIGITS} significant digits (DynamoDB numbers keep 38)"
    low, high = NUMBER_ADJUSTED_EXPONENT
    magnitude = value.adjusted() if value else exponent
    if not low <= magnitude <= high:
        return "out of the range DynamoDB numbers can hold (1E-130 to 9.99E+125 in magnitude)"
    return None


def check_storable(value: Any, field: str = "value") -> None:
    """Refuse (``PARAMETER_VALUE``, field path such as ``value.rates[2]``) a document the store cannot keep as
    sent: numbers that are not finite or do not fit a DynamoDB number, strings or keys that are not valid
    Unicode, nesting deeper than :data:`MAX_CONTAINER_DEPTH` objects/arrays, more than
    :data:`MAX_DOCUMENT_BYTES`. Iterative: any depth is refused without recursion."""
    pending: list[tuple[Any, str, int]] = [(value, field, 1)]
    while pending:
        node, path, depth = pending.pop()
        if isinstance(node, (dict, list)):
            if depth > MAX_CONTAINER_DEPTH:
                raise refuse(path, f"nested deeper than {MAX_CONTAINER_DEPTH} levels of objects and arrays "
                                    "(DynamoDB keeps 32 levels)")
            if isinstance(node, dict):
                children = []
                for key, child in node.items():
                    if not isinstance(key, str) or not _is_text(key):
                        raise refuse(f"{path}.{shown(str(key))}", "a key that is not valid Unicode text")
                    children.append((child, f"{path}.{shown(key)}", depth + 1))
            else:
                children = [(child, f"{path}[{i}]", depth + 1) for i, child in enumerate(node)]
            pending.extend(reversed(children))  # the first problem in document order is reported
        elif isinstance(node, str):
            if not _is_text(node):
                raise refuse(path, "a string that is not valid Unicode text (lone surrogate)")
        elif node is None or isinstance(node, bool):
            continue
        elif isinstance(node, (int, float, Decimal)):
            problem = _number_problem(node)
            if problem:
                raise refuse(path, f"the number {brief(str(node))[:60]} is {problem}")
        else:
            raise refuse(path, f"{type(node).__name__} is not a JSON value")
    size = len(json.dumps(value, ensure_ascii=False, default=str).encode("utf-8"))
    if size > MAX_DOCUMENT_BYTES:
        raise refuse(field, f"the document is {size} bytes as JSON; at most {MAX_DOCUMENT_BYTES} are stored")
