"""The parameter documents the post-loan context owns, as models (registered with
:mod:`chalicelib.platform.parameter_models`; read with ``chalicelib.platform.parameters.load``):

* ``classification_rule`` (:class:`ClassificationRule`): the five-category DPD thresholds
  (``CLASSIFICATION_RULE_INVALID``);
* ``postloan_policy`` (:class:`PostLoanPolicyDocument`): inspection, reminder and warning day counts with their
  ranges, as :attr:`PostLoanPolicyDocument.policy`;
* ``warning_rules`` (:class:`WarningRules`): the warning decision graph and what the scan requires of its rows
  (``WARNING_RULES_INVALID``);
* ``notification_templates`` (:class:`NotificationTemplates`): texts rendered by
  :mod:`chalicelib.postloan.domain.notification_templates`.

Defaults live only in the shipped documents (``chalicelib/reference/parameters``): every member a reader uses is
required here. Pure: no I/O.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal, Self, get_args

from pydantic import Field, ModelWrapValidatorHandler, StrictInt, field_validator, model_validator

from chalicelib.platform.parameter_models import ParameterDocument, parameter_document, refuse, shown
from chalicelib.postloan.domain.classification import classify
from chalicelib.postloan.domain.postloan import LEVELS, SUBJECT_TYPES, PostLoanPolicy
from chalicelib.postloan.domain.warning_rules import WarningRuleSet


@parameter_document("classification_rule")
class ClassificationRule(ParameterDocument):
    """The five-category rule: ``dpd_more_than`` thresholds strictly increasing from special_mention to loss
    (:func:`chalicelib.postloan.domain.classification.classify`; ``CLASSIFICATION_RULE_INVALID`` at
    ``dpd_more_than``). Readers classify with :attr:`document`."""

    @model_validator(mode="wrap")
    @classmethod
    def _thresholds(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        classify(0, data)  # validates the dpd_more_than thresholds
        return handler(data)


#: Ranges of the day counts of ``postloan_policy`` (meaning of each in the document's ``fields`` member,
#: ``chalicelib/reference/parameters/postloan_policy.json``). Decision, not regulation: the shipped values are
#: 0-180 days; a day count above a year is a typo (and the warning scan walks the windows day by day, so a huge
#: window would never end); ``timedelta`` fails beyond 999,999,999 days. 0 is allowed where it means "none"
#: (no reminder repetition, no re-raise delay, the day itself). Lists: reminders before a due date / an expiry,
#: and the days past due of overdue reminders (up to 1,095 days: three years, past the 360 days of the worst
#: classification), at most 50 each. Periodic inspections: 1-730 days apart, by classification. Any other member
#: named ``*_days``, ``*_count`` or ``*_dpd`` (a later reader's) is an integer, or a list of them, in 0-3650.
Days0 = Annotated[StrictInt, Field(ge=0, le=365)]
Days1 = Annotated[StrictInt, Field(ge=1, le=365)]
DayList = Annotated[tuple[Days0, ...], Field(max_length=50)]
INSPECTION_INTERVAL_DAYS = (1, 730)
OTHER_COUNT_RANGE = (0, 3650)
_COUNT_NAME = re.compile(r".+_(days|count|dpd)$")
CategoryName = Literal["pass", "special_mention", "substandard", "doubtful", "loss"]


@parameter_document("postloan_policy")
class PostLoanPolicyDocument(ParameterDocument):
    """The post-loan policy (ranges above; an interval for every classification; ``notify_levels`` warning levels;
    every error ``PARAMETER_VALUE`` naming the member), as :class:`chalicelib.postloan.domain.postloan.PostLoanPolicy` (:attr:`policy`)."""

    first_inspection_within_days: Days1
    inspection_interval_days: dict[CategoryName, Annotated[StrictInt, Field(ge=INSPECTION_INTERVAL_DAYS[0],
                                                                             le=INSPECTION_INTERVAL_DAYS[1])]]
    repayment_reminder_days_before: DayList
    overdue_reminder_dpd: Annotated[tuple[Annotated[StrictInt, Field(ge=1, le=1095)], ...], Field(max_length=50)]
    overdue_reminder_every_days_after: Days0
    line_expiry_reminder_days_before: DayList
    rating_expiry_reminder_days_before: DayList
    line_expiring_window_days: Days0
    rating_expired_lookback_days: Days0
    short_cycle_days: Days1
    cycling_window_days: Annotated[StrictInt, Field(ge=1, le=730)]
    portfolio_compare_days: Days1
    notify_levels: tuple[str, ...]
    reraise_after_days: Days0

    @field_validator("notify_levels", mode="before")
    @classmethod
    def _levels(cls, value: Any) -> Any:
        if not isinstance(value, list) or any(level not in LEVELS for level in value):
            raise ValueError(f"must be a list of warning levels ({', '.join(LEVELS)})")
        return value

    @model_validator(mode="after")
    def _other_counts(self) -> Self:
        missing = [c for c in get_args(CategoryName) if c not in self.inspection_interval_days]
        if missing:
            raise refuse("inspection_interval_days", f"must give the interval of every classification: "
                                                     f"{', '.join(missing)} missing")
        low, high = OTHER_COUNT_RANGE
        for name, value in (self.model_extra or {}).items():
            if not _COUNT_NAME.match(name):
                continue
            items = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
            if isinstance(value, list) and len(value) > 50:
                raise refuse(shown(name), "must be a list of at most 50 whole numbers")
            for index, item in items:
                if isinstance(item, bool) or not isinstance(item, int) or not low <= item <= high:
                    where = shown(name) if index is None else f"{shown(name)}[{index}]"
                    raise refuse(where, f"must be a whole number from {low} to {high}")
        return self

    @property
    def policy(self) -> PostLoanPolicy:
        """The policy the post-loan services decide with."""
        return PostLoanPolicy(
            first_inspection_within_days=self.first_inspection_within_days,
            inspection_interval_days={str(k): v for k, v in self.inspection_interval_days.items()},
            repayment_reminder_days_before=self.repayment_reminder_days_before,
            overdue_reminder_dpd=self.overdue_reminder_dpd,
            overdue_reminder_every_days_after=self.overdue_reminder_every_days_after,
            line_expiry_reminder_days_before=self.line_expiry_reminder_days_before,
            rating_expiry_reminder_days_before=self.rating_expiry_reminder_days_before,
            line_expiring_window_days=self.line_expiring_window_days,
            rating_expired_lookback_days=self.rating_expired_lookback_days,
            short_cycle_days=self.short_cycle_days, cycling_window_days=self.cycling_window_days,
            portfolio_compare_days=self.portfolio_compare_days, notify_levels=self.notify_levels,
            reraise_after_days=self.reraise_after_days)


_STRING_LITERAL = re.compile(r'^\s*"([^"\\]*)"\s*$')
_WARNING_RULES = "WARNING_RULES_INVALID"


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


def _check_row(row: Any, at: str, columns: Mapping[str, str]) -> None:
    if not isinstance(row, Mapping):
        raise refuse(at, "a rule is an object", _WARNING_RULES)
    subjects = _literals(row.get(columns["subject_type"]))
    if not subjects or any(s not in SUBJECT_TYPES for s in subjects):
        raise refuse(f"{at}.{columns['subject_type']}", "must name the subject type(s) as string literals: "
                     + ", ".join(f'"{s}"' for s in SUBJECT_TYPES), _WARNING_RULES)
    rule_id = _literals(row.get(columns["rule_id"]))
    if not rule_id or len(rule_id) != 1 or not rule_id[0].strip():
        raise refuse(f"{at}.{columns['rule_id']}", 'must be a non-empty string literal (e.g. "OVERDUE")',
                     _WARNING_RULES)
    level = _literals(row.get(columns["level"]))
    if not level or len(level) != 1 or level[0] not in LEVELS:
        raise refuse(f"{at}.{columns['level']}", "must be one string literal of "
                     + ", ".join(f'"{v}"' for v in LEVELS), _WARNING_RULES)


def _check_table(node: Mapping[str, Any], where: str) -> None:
    content: Mapping[str, Any] = node["content"] if isinstance(node.get("content"), Mapping) else {}
    columns: dict[str, str] = {}
    for member, name in (("inputs", "subject_type"), ("outputs", "rule_id"), ("outputs", "level")):
        ids = [c.get("id") for c in content.get(member) or [] if isinstance(c, Mapping) and c.get("field") == name]
        if len(ids) != 1:
            raise refuse(f"{where}.content.{member}", f"needs one column with field {name!r}", _WARNING_RULES)
        columns[name] = str(ids[0])
    for j, row in enumerate(content.get("rules") or []):
        _check_row(row, f"{where}.content.rules[{j}]", columns)


@parameter_document("warning_rules")
class WarningRules(ParameterDocument):
    """The warning rules: a graph :class:`chalicelib.postloan.domain.warning_rules.WarningRuleSet` compiles, made of
    decision tables only (between its input and output nodes), each with a ``subject_type`` input and ``rule_id``
    and ``level`` outputs; in every row the subject type is one or more string literals of
    :data:`~chalicelib.postloan.domain.postloan.SUBJECT_TYPES`, ``rule_id`` a non-empty string literal and
    ``level`` a string literal of :data:`~chalicelib.postloan.domain.postloan.LEVELS` (what the scan requires of a
    row when it evaluates it, else the daily warning scan fails). ``WARNING_RULES_INVALID`` with the cell."""

    @model_validator(mode="wrap")
    @classmethod
    def _compiles(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        WarningRuleSet(data)
        nodes = data["decision"].get("nodes") if isinstance(data.get("decision"), Mapping) else None
        if not isinstance(nodes, list):
            raise refuse("decision.nodes", "must be the list of the graph's nodes", _WARNING_RULES)
        tables = 0
        for i, node in enumerate(nodes):
            kind = node.get("type") if isinstance(node, Mapping) else None
            if kind in ("inputNode", "outputNode"):
                continue
            if kind != "decisionTableNode":
                raise refuse(f"decision.nodes[{i}]", f"a {str(kind)[:40]} node: the warning rules are decision "
                                                     "tables only (their outputs are checked when stored)",
                             _WARNING_RULES)
            tables += 1
            _check_table(node, f"decision.nodes[{i}]")
        if not tables:
            raise refuse("decision.nodes", "the graph has no decision table", _WARNING_RULES)
        return handler(data)

    def rule_set(self, version: int | None) -> WarningRuleSet:
        """The compiled rules of this document, recording ``version`` on what they raise."""
        return WarningRuleSet(self.document, version)


@parameter_document("notification_templates")
class NotificationTemplates(ParameterDocument):
    """Notification texts by name (``templates``: ``{"channel", "text"}``), rendered by
    :func:`chalicelib.postloan.domain.notification_templates.render` from :attr:`document`, which refuses a broken
    template when it is used (``NOTIFICATION_TEMPLATE_INVALID``)."""

