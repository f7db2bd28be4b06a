"""Five-category classification under the 2023 rule (商业银行金融资产风险分类办法, 令〔2023〕第1号)."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from chalicelib.platform.errors import ValidationFailed
from chalicelib.postloan.domain.classification import (
    DEFAULT_PARAMETERS,
    Category,
    classify,
    classify_loan,
    days_past_due,
)

RULE_FILE = Path(__file__).resolve().parents[2] / "chalicelib" / "reference" / "parameters" / "classification_rule.json"

# "超过N天" is strictly greater than N: boundaries of the 2023 rule
BOUNDARIES = [
    (0, Category.PASS),
    (1, Category.SPECIAL_MENTION),
    (30, Category.SPECIAL_MENTION),
    (90, Category.SPECIAL_MENTION),
    (91, Category.SUBSTANDARD),
    (180, Category.SUBSTANDARD),
    (270, Category.SUBSTANDARD),
    (271, Category.DOUBTFUL),
    (360, Category.DOUBTFUL),
    (361, Category.LOSS),
    (1000, Category.LOSS),
]


@pytest.mark.parametrize("dpd,expected", BOUNDARIES)
def test_2023_rule_boundaries(dpd, expected):
    assert classify(dpd) is expected


def test_labels_and_npl():
    assert [c.label_zh for c in Category] == ["正常", "关注", "次级", "可疑", "损失"]
    assert [c.is_npl for c in Category] == [False, False, True, True, True]


def test_shipped_parameter_file_matches_default():
    document = json.loads(RULE_FILE.read_text(encoding="utf-8"))
    assert document["dpd_more_than"] == DEFAULT_PARAMETERS["dpd_more_than"]
    assert document["rule_id"] == DEFAULT_PARAMETERS["rule_id"]
    assert "source" in document
    for dpd, expected in BOUNDARIES:
        assert classify(dpd, document) is expected


def test_rural_cooperative_parameters():
    # the 农信 practice mapping: >90 substandard, >180 doubtful, >360 loss
    params = {"dpd_more_than": {"special_mention": 0, "substandard": 90, "doubtful": 180, "loss": 360}}
    assert classify(180, params) is Category.SUBSTANDARD
    assert classify(181, params) is Category.DOUBTFUL
    assert classify(361, params) is Category.LOSS


def test_qualitative_assessment_can_only_worsen():
    assert classify(0, assessed="substandard") is Category.SUBSTANDARD
    assert classify(400, assessed=Category.SPECIAL_MENTION) is Category.LOSS
    assert classify(95, assessed=Category.PASS) is Category.SUBSTANDARD


def test_days_past_due():
    assert days_past_due(None, date(2024, 5, 1)) == 0
    assert days_past_due(date(2024, 5, 1), date(2024, 5, 1)) == 0  # due today: not yet overdue
    assert days_past_due(date(2024, 5, 1), date(2024, 5, 2)) == 1
    assert days_past_due(date(2024, 5, 10), date(2024, 5, 1)) == 0  # not yet due
    # 2024-01-31 -> 2024-04-30: 29 (Feb, leap) + 31 (Mar) + 30 (Apr) = 90 -> still special mention
    assert days_past_due(date(2024, 1, 31), date(2024, 4, 30)) == 90
    assert classify_loan(date(2024, 1, 31), date(2024, 4, 30)) is Category.SPECIAL_MENTION
    assert classify_loan(date(2024, 1, 31), date(2024, 5, 1)) is Category.SUBSTANDARD


@pytest.mark.parametrize("params", [
    {},
    {"dpd_more_than": {"special_mention": 0, "substandard": 90, "doubtful": 270}},
    {"dpd_more_than": {"special_mention": 0, "substandard": 300, "doubtful": 270, "loss": 360}},
    {"dpd_more_than": {"special_mention": -1, "substandard": 90, "doubtful": 270, "loss": 360}},
    {"dpd_more_than": {"special_mention": 0, "substandard": "90", "doubtful": 270, "loss": 360}},
])
def test_bad_parameters_rejected(params):
    with pytest.raises(ValidationFailed) as err:
        classify(10, params)
    assert err.value.code == "CLASSIFICATION_RULE_INVALID"


@pytest.mark.parametrize("dpd", [-1, 1.5, True])
def test_bad_dpd_rejected(dpd):
    with pytest.raises(ValidationFailed):
        classify(dpd)


def test_unknown_assessed_category_rejected():
    with pytest.raises(ValidationFailed) as err:
        classify(0, assessed="excellent")
    assert err.value.code == "CATEGORY_INVALID"
