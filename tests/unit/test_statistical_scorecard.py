"""Bin matching of the pure-Python points-table applier, on a small hand-written artifact."""
from __future__ import annotations

import math
from decimal import Decimal

import pytest

from chalicelib.platform.errors import ValidationFailed
from chalicelib.rating.domain.statistical_scorecard import (
    ScorecardArtifactError,
    apply_points_table,
    probability_of_default,
)

FACTOR = 20 / math.log(2)
OFFSET = 600 - FACTOR * math.log(50)

ARTIFACT = {
    "schema": "village-credit/points-table/v1",
    "model_id": "unit-test",
    "version": "sha256:test",
    "base_points": 0,
    "scaling": {"method": "pdo_odds", "pdo": 20, "base_odds": 50, "base_points": 600,
                "factor": FACTOR, "offset": OFFSET},
    "variables": [
        {"name": "age", "dtype": "numerical", "special_codes": [-1], "unknown_bin": 4, "bins": [
            {"id": 0, "kind": "interval", "lower": None, "upper": 25.5, "label": "(-inf, 25.50)", "points": 10},
            {"id": 1, "kind": "interval", "lower": 25.5, "upper": 40, "label": "[25.50, 40)", "points": 20},
            {"id": 2, "kind": "interval", "lower": 40, "upper": None, "label": "[40, inf)", "points": 30},
            {"id": 3, "kind": "special", "label": "Special", "points": 5},
            {"id": 4, "kind": "missing", "label": "Missing", "points": 15},
        ]},
        {"name": "housing", "dtype": "categorical", "special_codes": [], "unknown_bin": 3, "bins": [
            {"id": 0, "kind": "categories", "categories": ["own"], "label": "own", "points": "40.5"},
            {"id": 1, "kind": "categories", "categories": ["rent", "for free"], "label": "rent, for free",
             "points": "12.25"},
            {"id": 2, "kind": "special", "label": "Special", "points": "0"},
            {"id": 3, "kind": "missing", "label": "Missing", "points": "20"},
        ]},
    ],
}


def score(**applicant):
    return apply_points_table(ARTIFACT, applicant)


@pytest.mark.parametrize("age, bin_id, points", [
    (-1000, 0, 10), (25, 0, 10), (25.4999, 0, 10),
    (25.5, 1, 20),          # lower edge is inclusive
    ("25.5", 1, 20), (Decimal("39.999"), 1, 20),
    (40, 2, 30),            # upper edge is exclusive → next bin
    (10**9, 2, 30),
    (-1, 3, 5),             # special code
    (None, 4, 15), (float("nan"), 4, 15), ("  ", 4, 15),  # missing
])
def test_numeric_edges(age, bin_id, points):
    result = score(age=age, housing="own")
    age_pts = result.points[0]
    assert (age_pts.name, age_pts.bin_id, age_pts.points) == ("age", bin_id, Decimal(points))
    assert result.score == Decimal(points) + Decimal("40.5")


@pytest.mark.parametrize("housing, bin_id, points, fallback", [
    ("own", 0, "40.5", False),
    ("for free", 1, "12.25", False),
    ("rent", 1, "12.25", False),
    (None, 3, "20", False),               # missing
    ("castle", 3, "20", True),            # unknown category → unknown_bin
    ("Own", 3, "20", True),               # matching is exact (case-sensitive)
])
def test_categorical(housing, bin_id, points, fallback):
    result = score(age=30, housing=housing)
    h = result.points[1]
    assert (h.bin_id, h.points, h.fallback) == (bin_id, Decimal(points), fallback)
    assert result.fallbacks == (["housing"] if fallback else [])


def test_absent_key_is_missing_and_extra_keys_ignored():
    result = apply_points_table(ARTIFACT, {"unrelated": 1})
    assert [p.bin_kind for p in result.points] == ["missing", "missing"]
    assert result.score == Decimal(35)


def test_score_and_probability_of_default():
    result = score(age=50, housing="own")
    assert result.score == Decimal("70.5") and result.score_int == 71
    expected = 1 / (1 + math.exp((70.5 - OFFSET) / FACTOR))
    assert abs(float(result.probability_of_default) - expected) < 1e-6
    # 600 points ↔ 50:1 good:bad odds; +20 points (PDO) doubles the odds
    assert probability_of_default(Decimal(600), ARTIFACT["scaling"]) == Decimal(1 / 51).quantize(Decimal("0.000001"))
    assert probability_of_default(Decimal(620), ARTIFACT["scaling"]) == Decimal(1 / 101).quantize(Decimal("0.000001"))
    body = result.to_dict()
    assert body["score"] == "70.5" and body["points"][1]["bin_label"] == "own"


def test_no_pd_without_scaling():
    artifact = {**ARTIFACT, "scaling": None}
    assert apply_points_table(artifact, {"age": 30}).probability_of_default is None


@pytest.mark.parametrize("bad", ["abc", True, [1]])
def test_non_numeric_value_rejected(bad):
    with pytest.raises(ValidationFailed) as exc:
        score(age=bad, housing="own")
    assert exc.value.code == "SCORECARD_VALUE_NOT_NUMERIC" and exc.value.fields[0].field == "age"


def test_malformed_artifacts():
    with pytest.raises(ScorecardArtifactError):
        apply_points_table({"variables": []}, {})
    gap = {"variables": [{"name": "x", "dtype": "numerical", "bins": [
        {"id": 0, "kind": "interval", "lower": None, "upper": 1, "points": 1},
        {"id": 1, "kind": "interval", "lower": 2, "upper": None, "points": 2},
        {"id": 2, "kind": "missing", "points": 0}]}]}
    assert apply_points_table(gap, {"x": 0}).score == 1
    with pytest.raises(ScorecardArtifactError):
        apply_points_table(gap, {"x": 1.5})
    no_unknown = {"variables": [{"name": "c", "dtype": "categorical", "unknown_bin": 9, "bins": [
        {"id": 0, "kind": "categories", "categories": ["a"], "points": 1}]}]}
    with pytest.raises(ScorecardArtifactError):
        apply_points_table(no_unknown, {"c": "b"})


def test_no_heavy_imports():
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
    code = ("import sys, chalicelib.rating.domain.statistical_scorecard as m; "
            "bad = [x for x in ('numpy', 'pandas', 'sklearn', 'optbinning') if x in sys.modules]; "
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=root, env=env)
    assert out.stdout.strip() == ""
