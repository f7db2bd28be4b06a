"""Checks of parameter documents before a new version is stored (``POST /parameters/{name}/versions``).

:data:`CHECKS` is the one registry: parameter name → the existing domain parser of that document (or a check
written here for documents whose readers have none: ``loan_workflow``, ``village_campaign``, the ranges of
``postloan_policy``, the outputs of ``warning_rules``), called as ``check(document, effective_from)``; it
raises ``ValidationFailed`` when the document would break the code that reads it. :data:`PREFIX_CHECKS` does
the same for families of names (every ``scorecard_*`` document is a scorecard: ``village_campaign`` may name
any of them). Names without a check (``approval_authority``, ``contract_template``,
``notification_templates``, new names) are stored as any JSON object.

Before any of these, :func:`check_storable` refuses what the store cannot keep as sent, whatever the name
(``PARAMETER_VALUE`` with the field, e.g. ``value.x``): the route parses numbers as ``Decimal``
(``chalicelib.platform.http.routing``, every body), so nothing is rounded through float; a number must be finite
and fit a DynamoDB number, text must be valid Unicode, nesting and size are bounded (see the limits below).

:func:`check` runs the parser on the document as the store will give it back (JSON numbers with a
fraction become strings, see ``chalicelib.platform.parameters``) and reports every refusal as a 422
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
import math
import re
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from chalicelib.platform.errors import FieldError, ValidationFailed

Check = Callable[[Mapping[str, Any], date], None]

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


def _refuse(field: str, message: str, code: str = "PARAMETER_VALUE") -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", code=code, field=field)


def _shown(key: str) -> str:
    """``key`` safe to echo in a field path: lone surrogates escaped, at most 64 characters."""
    text = key.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= 64 else text[:64] + "…"


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
                raise _refuse(path, f"nested deeper than {MAX_CONTAINER_DEPTH} levels of objects and arrays "
                                    "(DynamoDB keeps 32 levels)")
            if isinstance(node, dict):
                children = []
                for key, child in node.items():
                    if not isinstance(key, str) or not _is_text(key):
                        raise _refuse(f"{path}.{_shown(str(key))}", "a key that is not valid Unicode text")
                    children.append((child, f"{path}.{_shown(key)}", depth + 1))
            else:
                children = [(child, f"{path}[{i}]", depth + 1) for i, child in enumerate(node)]
            pending.extend(reversed(children))  # the first problem in document order is reported
        elif isinstance(node, str):
            if not _is_text(node):
                raise _refuse(path, "a string that is not valid Unicode text (lone surrogate)")
        elif node is None or isinstance(node, bool):
            continue
        elif isinstance(node, (int, float, Decimal)):
            problem = _number_problem(node)
            if problem:
                raise _refuse(path, f"the number {_brief(str(node))[:60]} is {problem}")
        else:
            raise _refuse(path, f"{type(node).__name__} is not a JSON value")
    size = len(json.dumps(value, ensure_ascii=False, default=str).encode("utf-8"))
    if size > MAX_DOCUMENT_BYTES:
        raise _refuse(field, f"the document is {size} bytes as JSON; at most {MAX_DOCUMENT_BYTES} are stored")


def _integer(doc: Mapping[str, Any], name: str, low: int, high: int, *, code: str = "PARAMETER_VALUE",
             where: str | None = None) -> None:
    """``doc[name]``, when present, is an integer in ``[low, high]`` (JSON ``true`` and ``1.5`` are not)."""
    if name not in doc:
        return
    value = doc[name]
    field = where or name
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _refuse(field, f"must be a whole number from {low} to {high}, not {_brief(repr(value))[:60]}", code)


def _integers(doc: Mapping[str, Any], name: str, low: int, high: int, *, max_items: int = 50,
              non_empty: bool = False) -> None:
    """``doc[name]``, when present, is a list (at most ``max_items``) of integers in ``[low, high]``."""
    if name not in doc:
        return
    values = doc[name]
    if not isinstance(values, list) or len(values) > max_items or (non_empty and not values):
        raise _refuse(name, f"must be a list of {'1 to ' if non_empty else 'at most '}{max_items} whole numbers")
    for index, value in enumerate(values):
        _integer({"item": value}, "item", low, high, where=f"{name}[{index}]")


#: Plausible LPR fixings, in percent a year. Every fixing since the reform of 2019-08-20 lies well inside:
#: 1Y 3.00-4.25 %, 5Y 3.50-4.85 % (the table ``chalicelib/reference/parameters/lpr_fixings.json``, sources in
#: ``chalicelib/reference/SOURCES.md``). Decision: 0.5-20 % refuses a fraction typed for a percent ("0.0345"),
#: an extra digit ("34.5") or an exponent slip ("1e3" = 1000 %), and keeps the priced rate far from any
#: Decimal overflow, while leaving room for any rate the PBOC regime could plausibly publish.
LPR_PERCENT_RANGE = (Decimal("0.5"), Decimal("20"))
_PLAIN_DECIMAL = re.compile(r"^[0-9]{1,2}(\.[0-9]{1,4})?$")


def _lpr_fixings(doc: Mapping[str, Any], effective_from: date) -> None:
    """``parse_lpr_table``; also refuses a fixing (or ``as_of``) dated after the version's effective date (a
    fixing is published on its date, and a future date would keep the table from ever going stale) and a rate
    that is not written in plain decimal notation (``"3.45"``: no exponent, at most 4 decimals) or lies outside
    :data:`LPR_PERCENT_RANGE`."""
    from chalicelib.loans.domain.rates import parse_lpr_table

    table = parse_lpr_table(doc)
    low, high = LPR_PERCENT_RANGE
    for index, row in enumerate(doc["fixings"]):
        if date.fromisoformat(row[0]) > effective_from:
            raise ValidationFailed(f"fixings[{index}]: the fixing of {row[0]} is after the effective date "
                                   f"{effective_from}", code="LPR_TABLE_INVALID", field=f"fixings[{index}]")
        for rate in row[1:]:
            text = str(rate)
            if not _PLAIN_DECIMAL.match(text) or not low <= Decimal(text) <= high:
                raise ValidationFailed(f"fixings[{index}]: the rate {_brief(text)[:40]!r} is not a percent from "
                                       f"{low} to {high} in plain decimal notation (e.g. \"3.45\")",
                                       code="LPR_TABLE_INVALID", field=f"fixings[{index}]")
    if table.as_of > effective_from:
        raise ValidationFailed(f"as_of {table.as_of} is after the effective date {effective_from}",
                               code="LPR_TABLE_INVALID", field="as_of")


def _products(doc: Mapping[str, Any], effective_from: date) -> None:
    """The loans parser (``load_products``, which holds the product rules: rates, spreads, day count,
    allocation order, penalty uplift, grace, amounts) and the rating parser of the sub-line products."""
    from pydantic import ValidationError

    from chalicelib.loans.domain.products import load_products
    from chalicelib.rating.domain.credit_line import Product
    from chalicelib.rating.domain.village_credit import village_credit_products

    load_products(doc)
    for p in village_credit_products(doc):
        try:
            Product.model_validate(p)
        except ValidationError as exc:
            raise ValidationFailed(f"product {p['product_id']}: {exc.errors()[0]['msg']}", code="PRODUCTS_INVALID",
                                   field="products") from None


def _scorecard(doc: Mapping[str, Any], effective_from: date) -> None:
    from chalicelib.rating.domain.scorecard import load_scorecard

    load_scorecard(doc)


def _credit_line_policy(doc: Mapping[str, Any], effective_from: date) -> None:
    from chalicelib.rating.domain.credit_line import load_policy

    load_policy(doc)


def _credit_evaluation(doc: Mapping[str, Any], effective_from: date) -> None:
    from chalicelib.rating.domain.evaluation import load_evaluation_policy

    load_evaluation_policy(doc)


def _classification_rule(doc: Mapping[str, Any], effective_from: date) -> None:
    from chalicelib.postloan.domain.classification import classify

    classify(0, doc)  # validates the dpd_more_than thresholds


_STRING_LITERAL = re.compile(r'^\s*"([^"\\]*)"\s*$')


def _literals(cell: Any) -> list[str] | None:
    """The strings of a decision-table cell made of string literals (``"red"``; ``"loan", "village"``), else
    None (an expression, a number, ...)."""
    if not isinstance(cell, str) or not cell.strip():
        return None
    values = []
    for part in cell.split(","):
        match = _STRING_LITERAL.match(part)
        if match is None:
            return None
        values.append(match.group(1))
    return values


def _warning_rules(doc: Mapping[str, Any], effective_from: date) -> None:
    """Compiles the graph (``WarningRuleSet``) and checks statically what the scan requires of every row when it
    evaluates it (``WarningRuleSet._evaluate``: else the daily warning scan fails with WarningRulesInvalid):
    the graph holds decision tables only (between its input and output nodes), each with a ``subject_type``
    input and ``rule_id`` and ``level`` outputs; in every row the subject type is one or more string literals
    of :data:`chalicelib.postloan.domain.postloan.SUBJECT_TYPES` (the module docstring: every row names its subject
    type), ``rule_id`` a non-empty string literal and ``level`` a string literal of
    :data:`chalicelib.postloan.domain.postloan.LEVELS`."""
    from chalicelib.postloan.domain.postloan import LEVELS, SUBJECT_TYPES
    from chalicelib.postloan.domain.warning_rules import WarningRuleSet

    WarningRuleSet(doc)
    code = "WARNING_RULES_INVALID"
    nodes = doc["decision"].get("nodes") if isinstance(doc.get("decision"), Mapping) else None
    if not isinstance(nodes, list):
        raise _refuse("decision.nodes", "must be the list of the graph's nodes", code)
    tables = 0
    for i, node in enumerate(nodes):
        where = f"decision.nodes[{i}]"
        kind = node.get("type") if isinstance(node, Mapping) else None
        if kind in ("inputNode", "outputNode"):
            continue
        if kind != "decisionTableNode":
            raise _refuse(where, f"a {_brief(str(kind))[:40]} node: the warning rules are decision tables only "
                                 "(their outputs are checked when stored)", code)
        tables += 1
        content = node.get("content") if isinstance(node.get("content"), Mapping) else {}
        columns = {}
        for member, field in (("inputs", "subject_type"), ("outputs", "rule_id"), ("outputs", "level")):
            ids = [c.get("id") for c in content.get(member) or [] if isinstance(c, Mapping) and c.get("field") == field]
            if len(ids) != 1:
                raise _refuse(f"{where}.content.{member}", f"needs one column with field {field!r}", code)
            columns[field] = ids[0]
        for j, row in enumerate(content.get("rules") or []):
            at = f"{where}.content.rules[{j}]"
            if not isinstance(row, Mapping):
                raise _refuse(at, "a rule is an object", code)
            subjects = _literals(row.get(columns["subject_type"]))
            if not subjects or any(s not in SUBJECT_TYPES for s in subjects):
                raise _refuse(f"{at}.{columns['subject_type']}", "must name the subject type(s) as string literals: "
                                                                 + ", ".join(f'"{s}"' for s in SUBJECT_TYPES), code)
            rule_id = _literals(row.get(columns["rule_id"]))
            if not rule_id or len(rule_id) != 1 or not rule_id[0].strip():
                raise _refuse(f"{at}.{columns['rule_id']}", 'must be a non-empty string literal (e.g. "OVERDUE")',
                              code)
            level = _literals(row.get(columns["level"]))
            if not level or len(level) != 1 or level[0] not in LEVELS:
                raise _refuse(f"{at}.{columns['level']}", "must be one string literal of "
                                                          + ", ".join(f'"{v}"' for v in LEVELS), code)
    if not tables:
        raise _refuse("decision.nodes", "the graph has no decision table", code)


def _approval_rules(doc: Mapping[str, Any], effective_from: date) -> None:
    """Compiles the decision graph (at evaluation time a broken graph sends every drawdown to people)."""
    from chalicelib.platform.rules import compiled_decision as _decision

    if "decision" not in doc:
        raise KeyError("decision")
    # The shape first, so the field at fault is named whatever the engine version words its errors as
    # (zen-engine 0.17 answers a string for nodes with "invalid type: string, expected a sequence").
    graph = doc["decision"]
    if not isinstance(graph, Mapping):
        raise _refuse("decision", "must be a JDM decision graph: an object with nodes and edges")
    for member in ("nodes", "edges"):
        if not isinstance(graph.get(member), list):
            raise _refuse(f"decision.{member}", f"must be the list of the graph's {member}")
    try:
        _decision(doc)
    except Exception as exc:  # noqa: BLE001 - zen-engine reports graph faults as RuntimeError
        raise ValidationFailed(f"the decision graph cannot be compiled: {_brief(exc)}", code="PARAMETER_VALUE",
                               field="decision") from None


#: Ranges of the day counts of ``postloan_policy`` (meaning of each in the document's ``fields`` member,
#: ``chalicelib/reference/parameters/postloan_policy.json``). Decision, not regulation: the shipped values are
#: 0-180 days; a day count above a year is a typo (and the warning scan walks the windows day by day, so a huge
#: window would never end); ``timedelta`` fails beyond 999,999,999 days. 0 is allowed where it means "none"
#: (no reminder repetition, no re-raise delay, the day itself).
POSTLOAN_DAYS: dict[str, tuple[int, int]] = {
    "first_inspection_within_days": (1, 365),
    "overdue_reminder_every_days_after": (0, 365),
    "line_expiring_window_days": (0, 365),
    "rating_expired_lookback_days": (0, 365),
    "short_cycle_days": (1, 365),
    "cycling_window_days": (1, 730),
    "portfolio_compare_days": (1, 365),
    "reraise_after_days": (0, 365),
}
#: Lists of day counts: reminders before a due date / an expiry, and the days past due of overdue reminders
#: (up to 1,095 days: three years, past the 360 days of the worst classification).
POSTLOAN_DAY_LISTS: dict[str, tuple[int, int]] = {
    "repayment_reminder_days_before": (0, 365),
    "line_expiry_reminder_days_before": (0, 365),
    "rating_expiry_reminder_days_before": (0, 365),
    "overdue_reminder_dpd": (1, 1095),
}
#: Days between periodic inspections, by five-category classification.
INSPECTION_INTERVAL_DAYS = (1, 730)
#: Any other member named ``*_days``, ``*_count`` or ``*_dpd`` is an integer in this range.
OTHER_COUNT_RANGE = (0, 3650)


def _postloan_policy(doc: Mapping[str, Any], effective_from: date) -> None:
    """Every day count of the policy is an integer in its range (:data:`POSTLOAN_DAYS`,
    :data:`POSTLOAN_DAY_LISTS`, :data:`INSPECTION_INTERVAL_DAYS` keyed by classification), ``notify_levels``
    are warning levels; then the reader, ``PostLoanPolicy.from_document``."""
    from chalicelib.postloan.domain.classification import Category
    from chalicelib.postloan.domain.postloan import LEVELS, PostLoanPolicy

    for name, (low, high) in POSTLOAN_DAYS.items():
        _integer(doc, name, low, high)
    for name, (low, high) in POSTLOAN_DAY_LISTS.items():
        _integers(doc, name, low, high)
    for name in doc:
        if name not in POSTLOAN_DAYS and name not in POSTLOAN_DAY_LISTS and \
                name.endswith(("_days", "_count", "_dpd")) and name != "inspection_interval_days":
            if isinstance(doc[name], list):
                _integers(doc, name, *OTHER_COUNT_RANGE)
            else:
                _integer(doc, name, *OTHER_COUNT_RANGE)
    if "inspection_interval_days" in doc:
        intervals = doc["inspection_interval_days"]
        categories = [c.value for c in Category]
        if not isinstance(intervals, Mapping):
            raise _refuse("inspection_interval_days", f"must map {', '.join(categories)} to days")
        for category in intervals:
            if category not in categories:
                raise _refuse(f"inspection_interval_days.{_shown(category)}",
                              f"not a classification ({', '.join(categories)})")
            _integer(intervals, category, *INSPECTION_INTERVAL_DAYS, where=f"inspection_interval_days.{category}")
    if "notify_levels" in doc:
        levels = doc["notify_levels"]
        if not isinstance(levels, list) or any(level not in LEVELS for level in levels):
            raise _refuse("notify_levels", f"must be a list of warning levels ({', '.join(LEVELS)})")
    PostLoanPolicy.from_document(doc)


#: ``loan_workflow`` (read by ``chalicelib.loans.service.config.workflow_input``). Decisions, not regulation:
#: a human step (investigation, review, approval) times out after 1 minute to 30 days (shipped: 2-3 days; Step
#: Functions needs a positive whole number of seconds); a step is escalated at most 3 times (outlet → branch →
#: institution → province: the levels of the organisation tree); the disbursement saga queries an unknown
#: transfer after 1 to 20 waits of 1 second to 1 day each (shipped: 5 s .. 600 s).
WORKFLOW_STAGES = ("investigation", "review", "approval")
TASK_TIMEOUT_SECONDS = (60, 30 * 86400)
MAX_ESCALATIONS = (0, 3)
QUERY_WAIT_SECONDS = (1, 86400)
MAX_QUERIES = 20


def _loan_workflow(doc: Mapping[str, Any], effective_from: date) -> None:
    """Types and ranges of what the drawdown state machines are started with (:data:`TASK_TIMEOUT_SECONDS`,
    :data:`MAX_ESCALATIONS`, :data:`QUERY_WAIT_SECONDS`); texts are strings. Then ``workflow_input`` itself."""
    from chalicelib.loans.service.config import workflow_input

    timeouts = doc.get("task_timeout_seconds", {})
    if not isinstance(timeouts, Mapping):
        raise _refuse("task_timeout_seconds", f"must map {', '.join(WORKFLOW_STAGES)} to seconds")
    for stage in timeouts:
        if stage not in WORKFLOW_STAGES:
            raise _refuse(f"task_timeout_seconds.{_shown(stage)}", f"not a stage ({', '.join(WORKFLOW_STAGES)})")
        _integer(timeouts, stage, *TASK_TIMEOUT_SECONDS, where=f"task_timeout_seconds.{stage}")
    _integer(doc, "max_escalations", *MAX_ESCALATIONS)
    _integers(doc, "query_wait_seconds", *QUERY_WAIT_SECONDS, max_items=MAX_QUERIES, non_empty=True)
    if "disbursing_account" in doc and (not isinstance(doc["disbursing_account"], str)
                                        or not doc["disbursing_account"].strip()):
        raise _refuse("disbursing_account", "must be the account number as a non-empty string")
    texts = doc.get("sms", {})
    if not isinstance(texts, Mapping):
        raise _refuse("sms", "must map notification names to texts")
    for key, text in texts.items():
        if not isinstance(text, str):
            raise _refuse(f"sms.{_shown(key)}", "must be a text")
    workflow_input(dict(doc))


#: ``village_campaign`` (read by ``chalicelib.rating.service.campaign``). Decisions: the public notice lasts 1-30
#: days (shipped 7, "7 days is common", SOURCES.md); the confirmation margin 0-60 days; a batch rates 1-100
#: households (one BatchGetItem page holds 100 keys); at most 40 batches run at once (the concurrency Step
#: Functions supports for an inline Map state). ``scorecard_parameter`` names a ``scorecard_*`` document, which
#: is checked as a scorecard when stored (:data:`PREFIX_CHECKS`).
CAMPAIGN_RANGES: dict[str, tuple[int, int]] = {
    "notice_days": (1, 30),
    "confirmation_margin_days": (0, 60),
    "batch_size": (1, 100),
    "max_concurrency": (1, 40),
}
SCORECARD_PREFIX = "scorecard_"
_SCORECARD_NAME = re.compile(r"^scorecard_[a-z0-9_]{1,54}$")
#: An institution's organisation id (``JL-220122``: the province union's prefix and the county code).
_INSTITUTION_ID = re.compile(r"^[A-Z]{2}-[0-9]{6}$")


def _village_campaign(doc: Mapping[str, Any], effective_from: date) -> None:
    """Ranges of :data:`CAMPAIGN_RANGES`; ``scorecard_parameter`` a ``scorecard_*`` name; ``rate_statuses``
    household statuses; ``challenger`` absent, null or ``{"model_id", "version"}``;
    ``residents_committee_institutions`` a list (at most 200) of distinct institution ids (``JL-220122``)."""
    from typing import get_args

    from chalicelib.customers.domain.households import Status

    for name, (low, high) in CAMPAIGN_RANGES.items():
        _integer(doc, name, low, high)
    if "scorecard_parameter" in doc:
        name = doc["scorecard_parameter"]
        if not isinstance(name, str) or not _SCORECARD_NAME.match(name):
            raise _refuse("scorecard_parameter", "must name a scorecard parameter: lower_snake_case starting with "
                                                 f"{SCORECARD_PREFIX!r} (e.g. scorecard_expert)")
    if "rate_statuses" in doc:
        statuses, known = doc["rate_statuses"], get_args(Status)
        if not isinstance(statuses, list) or not statuses or any(s not in known for s in statuses):
            raise _refuse("rate_statuses", f"must be a non-empty list of household statuses ({', '.join(known)})")
    challenger = doc.get("challenger")
    if challenger is not None and (not isinstance(challenger, Mapping) or any(
            not isinstance(challenger.get(k), str) or not challenger[k] for k in ("model_id", "version"))):
        raise _refuse("challenger", 'must be null or {"model_id": "...", "version": "..."}')
    if "residents_committee_institutions" in doc:
        ids = doc["residents_committee_institutions"]
        if (not isinstance(ids, list) or len(ids) > 200 or len(set(map(str, ids))) != len(ids)
                or any(not isinstance(i, str) or not _INSTITUTION_ID.match(i) for i in ids)):
            raise _refuse("residents_committee_institutions",
                          "must be a list of distinct institution ids such as JL-220122 (at most 200)")


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
    "loan_workflow": _loan_workflow,
    "village_campaign": _village_campaign,
}
#: Name prefix → check, for names not in :data:`CHECKS` (``village_campaign.scorecard_parameter`` may name any
#: ``scorecard_*`` document, so each of them is a scorecard).
PREFIX_CHECKS: dict[str, Check] = {
    SCORECARD_PREFIX: _scorecard,
}


def check_for(name: str) -> Check | None:
    """The check of parameter ``name``: :data:`CHECKS`, else the first matching :data:`PREFIX_CHECKS`."""
    if name in CHECKS:
        return CHECKS[name]
    return next((c for prefix, c in PREFIX_CHECKS.items() if name.startswith(prefix)), None)

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
    """Refuse what the store cannot keep (:func:`check_storable`), then run the registered parser of parameter
    ``name`` (if any, :func:`check_for`) on ``value``, a new version effective from ``effective_from``. Raises
    ValidationFailed (422): the parser's code with its field under ``value.``, or ``PARAMETER_VALUE`` for any
    other exception of the parser."""
    from pydantic import ValidationError

    check_storable(value)
    parser = check_for(name)
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
