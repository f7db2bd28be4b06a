"""Five-category loan classification (五级分类) from days past due: pure functions, no I/O.

Default rule: 《商业银行金融资产风险分类办法》(中国银行保险监督管理委员会 中国人民银行令〔2023〕第1号,
issued 2023-02-10, in force 2023-07-01): principal, interest or income overdue → at least 关注
special mention; overdue **more than** 90 days → at least 次级 substandard; more than 270 days → at
least 可疑 doubtful; more than 360 days → 损失 loss. "超过N天" is strictly greater than N, so day 90 is
still special mention and day 91 is substandard. (Thresholds from the project's shared
``loan_classification_rules.json``, corroborated by several secondary sources; the article numbers
of the order were not checked against the official text.)

The DPD mapping is a *floor*: a qualitative assessment may put a loan in a worse category, never a
better one (same order). The thresholds are passed in as a parameter document (a dict shaped like
``chalicelib/reference/parameters/classification_rule.json``) so a parameter store can change them;
:data:`DEFAULT_PARAMETERS` equals that file.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import Enum
from typing import Any

from chalicelib.platform.errors import ValidationFailed


class Category(str, Enum):
    """The five categories, best to worst. ``value`` is the API code, ``label_zh`` the Chinese name."""

    PASS = "pass"
    SPECIAL_MENTION = "special_mention"
    SUBSTANDARD = "substandard"
    DOUBTFUL = "doubtful"
    LOSS = "loss"

    @property
    def label_zh(self) -> str:
        return _LABELS_ZH[self]

    @property
    def rank(self) -> int:
        """0 (pass) .. 4 (loss); a higher rank is a worse category."""
        return _ORDER.index(self)

    @property
    def is_npl(self) -> bool:
        """True for 不良 (non-performing): 次级 + 可疑 + 损失 (same order)."""
        return self.rank >= Category.SUBSTANDARD.rank


_ORDER = [Category.PASS, Category.SPECIAL_MENTION, Category.SUBSTANDARD, Category.DOUBTFUL, Category.LOSS]
_LABELS_ZH = {Category.PASS: "正常", Category.SPECIAL_MENTION: "关注", Category.SUBSTANDARD: "次级",
              Category.DOUBTFUL: "可疑", Category.LOSS: "损失"}

DEFAULT_PARAMETERS: dict[str, Any] = {
    "rule_id": "CBIRC-PBOC-2023-order-1",
    "dpd_more_than": {"special_mention": 0, "substandard": 90, "doubtful": 270, "loss": 360},
}


def days_past_due(oldest_unpaid_due_date: date | None, business_date: date) -> int:
    """Days past due (逾期天数) on ``business_date`` of the oldest installment still unpaid.

    ``business_date − oldest_unpaid_due_date`` in days, never below 0; ``None`` (nothing unpaid)
    or a due date on/after the business date gives 0. An installment due today is not yet overdue;
    tomorrow it is 1 day past due.
    """
    if oldest_unpaid_due_date is None:
        return 0
    return max(0, (business_date - oldest_unpaid_due_date).days)


def _thresholds(parameters: Mapping[str, Any] | None) -> list[tuple[Category, int]]:
    params = DEFAULT_PARAMETERS if parameters is None else parameters
    table = params.get("dpd_more_than") if isinstance(params, Mapping) else None
    expected = [c.value for c in _ORDER[1:]]
    if not isinstance(table, Mapping) or sorted(table) != sorted(expected):
        raise ValidationFailed(f"parameters.dpd_more_than must have exactly the keys {expected}",
                               code="CLASSIFICATION_RULE_INVALID", field="dpd_more_than")
    values = [table[name] for name in expected]
    if any(not isinstance(v, int) or isinstance(v, bool) or v < 0 for v in values) or \
            any(a >= b for a, b in zip(values, values[1:], strict=False)):
        raise ValidationFailed("dpd_more_than thresholds must be non-negative integers, strictly increasing "
                               "from special_mention to loss", code="CLASSIFICATION_RULE_INVALID",
                               field="dpd_more_than")
    return list(zip(_ORDER[1:], values, strict=False))


def classify(dpd: int, parameters: Mapping[str, Any] | None = None, *,
             assessed: Category | str | None = None) -> Category:
    """Category of a loan ``dpd`` days past due.

    The DPD floor is the worst category whose ``dpd_more_than`` threshold ``dpd`` strictly exceeds
    (pass if none). ``parameters`` defaults to :data:`DEFAULT_PARAMETERS` (2023 rule); ``assessed``
    is an optional qualitative category: the result is the worse of the two (a floor is never
    lifted). Raises ``ValidationFailed`` (``DPD_INVALID``, ``CLASSIFICATION_RULE_INVALID``,
    ``CATEGORY_INVALID``).
    """
    if not isinstance(dpd, int) or isinstance(dpd, bool) or dpd < 0:
        raise ValidationFailed("dpd must be a non-negative integer", code="DPD_INVALID", field="dpd")
    floor = Category.PASS
    for category, more_than in _thresholds(parameters):
        if dpd > more_than:
            floor = category
    if assessed is None:
        return floor
    try:
        assessed = Category(assessed)
    except ValueError:
        raise ValidationFailed(f"unknown category {assessed!r}", code="CATEGORY_INVALID",
                               field="assessed") from None
    return assessed if assessed.rank > floor.rank else floor


def classify_loan(oldest_unpaid_due_date: date | None, business_date: date,
                  parameters: Mapping[str, Any] | None = None, *,
                  assessed: Category | str | None = None) -> Category:
    """:func:`classify` applied to :func:`days_past_due` of the oldest unpaid due date."""
    return classify(days_past_due(oldest_unpaid_due_date, business_date), parameters, assessed=assessed)
