"""Apply a statistical ("big-data") scorecard points table on the request path.

Pure Python (``decimal``, ``math`` only): no numpy, pandas, scikit-learn or optbinning. The points
table is trained offline by :func:`infra.modeling.train.train_scorecard` (optbinning
``BinningProcess`` + ``Scorecard`` with a logistic regression) and exported as JSON; its shape is
documented in :func:`infra.modeling.train.build_artifact` (schema ``village-credit/points-table/v1``).

Scoring (Siddiqi, *Credit Risk Scorecards*, Wiley 2006, ch. 6)::

    score = base_points + Σ_variables points(bin the applicant's value falls into)
    PD    = 1 / (1 + exp((score − offset) / factor))      with factor = PDO / ln 2,
                                                          offset = base_points_at_base_odds − factor·ln(base_odds)

i.e. ``score = offset + factor · ln(good:bad odds)``; higher score = lower probability of default.

Bin matching rules (identical to optbinning ``Scorecard.score``):

* numerical variable: interval bins are left-closed, right-open ``[lower, upper)``; ``null`` ends
  are ∓infinity (optbinning uses ``numpy.digitize(x, splits, right=False)``);
* categorical variable: the bin whose ``categories`` contains ``str(value)`` (exact match);
* value listed in the variable's ``special_codes`` → the ``special`` bin;
* missing value — key absent, ``None``, NaN, or a blank string — → the ``missing`` bin;
* category never seen in training → the bin named by the variable's ``unknown_bin`` (the trainer
  sets it to the missing bin: this is what ``Scorecard.score`` does with unseen categories, and with
  no missing values in training that bin carries WoE 0, the neutral average-odds contribution).
  The fallback is reported (``VariablePoints.fallback = True``) so callers can flag the rating
  for manual review.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import Any

from chalicelib.platform.errors import ValidationFailed

PD_QUANTUM = Decimal("0.000001")


class ScorecardArtifactError(ValueError):
    """The points table itself is malformed (a server-side configuration error, not the client's)."""


@dataclass(frozen=True)
class VariablePoints:
    """Contribution of one variable.

    ``bin_id``/``bin_kind`` (``interval`` | ``categories`` | ``special`` | ``missing``) and
    ``bin_label`` identify the matched bin; ``points`` is its score points; ``fallback`` is True when an
    unseen category was routed to the artifact's ``unknown_bin``.
    """

    name: str
    value: Any
    bin_id: int
    bin_kind: str
    bin_label: str
    points: Decimal
    fallback: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "bin_id": self.bin_id, "bin_kind": self.bin_kind,
                "bin_label": self.bin_label, "points": str(self.points), "fallback": self.fallback}


@dataclass(frozen=True)
class StatisticalScore:
    """Result of :func:`apply_points_table`.

    ``score`` is the exact Decimal sum of the artifact's points (unrounded; use ``score_int`` for a
    display integer, half-up). ``probability_of_default`` is in [0, 1] rounded to 6 decimal places,
    or None when the artifact has no ``pdo_odds`` scaling. ``points`` follow the artifact's variable
    order.
    """

    model_id: str
    version: str
    score: Decimal
    probability_of_default: Decimal | None
    points: tuple[VariablePoints, ...]

    @property
    def score_int(self) -> int:
        return int(self.score.quantize(Decimal(1), rounding=ROUND_HALF_UP))

    @property
    def fallbacks(self) -> list[str]:
        """Names of variables scored through the unknown-category fallback."""
        return [p.name for p in self.points if p.fallback]

    def to_dict(self) -> dict[str, Any]:
        return {"model_id": self.model_id, "version": self.version, "score": str(self.score),
                "score_int": self.score_int,
                "probability_of_default": (None if self.probability_of_default is None
                                           else str(self.probability_of_default)),
                "points": [p.to_dict() for p in self.points]}


def _dec(x: Any, where: str) -> Decimal:
    """Artifact number → Decimal (floats through their shortest repr, so 8.5 → Decimal('8.5'))."""
    if isinstance(x, bool) or not isinstance(x, (int, float, str, Decimal)):
        raise ScorecardArtifactError(f"{where}: number expected, got {x!r}")
    try:
        d = Decimal(repr(x)) if isinstance(x, float) else Decimal(x)
    except InvalidOperation as exc:
        raise ScorecardArtifactError(f"{where}: not a number: {x!r}") from exc
    if not d.is_finite():
        raise ScorecardArtifactError(f"{where}: not finite: {x!r}")
    return d


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, Decimal) and value.is_nan():
        return True
    return isinstance(value, str) and value.strip() == ""


def _numeric_value(name: str, value: Any) -> Decimal:
    """Applicant value of a numerical variable → Decimal; bools and non-numbers are rejected."""
    if isinstance(value, bool):
        raise ValidationFailed(f"{name} must be a number", code="SCORECARD_VALUE_NOT_NUMERIC", field=name)
    try:
        if isinstance(value, float):
            return Decimal(repr(value))
        if isinstance(value, (int, Decimal)):
            return Decimal(value)
        if isinstance(value, str):
            return Decimal(value.strip())
    except InvalidOperation:
        pass
    raise ValidationFailed(f"{name} must be a number, got {value!r}", code="SCORECARD_VALUE_NOT_NUMERIC",
                           field=name)


def _bin_of_kind(var: Mapping[str, Any], kind: str) -> Mapping[str, Any]:
    for b in var["bins"]:
        if b.get("kind") == kind:
            return b
    raise ScorecardArtifactError(f"variable {var.get('name')!r} has no {kind!r} bin")


def _match(var: Mapping[str, Any], value: Any) -> tuple[Mapping[str, Any], bool]:
    """Return (bin, used_unknown_fallback) for one variable and one applicant value."""
    name = var["name"]
    dtype = var.get("dtype")
    if _is_missing(value):
        return _bin_of_kind(var, "missing"), False
    special = var.get("special_codes") or []
    if dtype == "numerical":
        x = _numeric_value(name, value)
        if x.is_nan():
            return _bin_of_kind(var, "missing"), False
        if any(x == _dec(s, f"{name}.special_codes") for s in special):
            return _bin_of_kind(var, "special"), False
        hits = []
        for b in var["bins"]:
            if b.get("kind") != "interval":
                continue
            lower, upper = b.get("lower"), b.get("upper")
            if (lower is None or x >= _dec(lower, f"{name}.bins[{b['id']}].lower")) and (
                    upper is None or x < _dec(upper, f"{name}.bins[{b['id']}].upper")):
                hits.append(b)
        if len(hits) != 1:
            raise ScorecardArtifactError(f"variable {name!r}: value {value!r} falls in {len(hits)} intervals")
        return hits[0], False
    if dtype == "categorical":
        text = value if isinstance(value, str) else str(value)
        if text in [str(s) for s in special]:
            return _bin_of_kind(var, "special"), False
        for b in var["bins"]:
            if b.get("kind") == "categories" and text in b.get("categories", ()):
                return b, False
        unknown = var.get("unknown_bin")
        for b in var["bins"]:
            if b.get("id") == unknown:
                return b, True
        raise ScorecardArtifactError(f"variable {name!r}: unknown_bin {unknown!r} is not a bin id")
    raise ScorecardArtifactError(f"variable {name!r}: dtype must be numerical or categorical, got {dtype!r}")


def probability_of_default(score: Decimal, scaling: Mapping[str, Any]) -> Decimal:
    """PD for a score under ``pdo_odds`` scaling: ``1 / (1 + exp((score − offset) / factor))``.

    Rounded half-even to 6 decimal places. Raises :class:`ScorecardArtifactError` if ``factor`` or
    ``offset`` is missing or ``factor`` is not positive.
    """
    factor = _dec(scaling.get("factor"), "scaling.factor")
    offset = _dec(scaling.get("offset"), "scaling.offset")
    if factor <= 0:
        raise ScorecardArtifactError("scaling.factor must be positive")
    with localcontext() as ctx:
        ctx.prec = 34
        z = (score - offset) / factor
        if z > 700:  # exp overflow guard: PD underflows to 0 at 6 d.p. long before this
            return Decimal(0).quantize(PD_QUANTUM)
        pd = Decimal(1) / (Decimal(1) + z.exp())
    return pd.quantize(PD_QUANTUM)


def apply_points_table(artifact: Mapping[str, Any], applicant: Mapping[str, object]) -> StatisticalScore:
    """Score one applicant with a points table.

    Args:
        artifact: the points-table dict exported by ``infra.modeling.train`` (JSON-decoded; numbers
            may be int, float, str or Decimal — e.g. as read back from DynamoDB).
        applicant: feature name → raw value (numbers, numeric strings, category strings, None).
            Keys not in the artifact are ignored; absent features score as missing.

    Returns:
        :class:`StatisticalScore` (score in scorecard points; PD if the artifact has pdo_odds scaling).

    Raises:
        ValidationFailed (422, code ``SCORECARD_VALUE_NOT_NUMERIC``): a numerical feature's value is
            not a number.
        ScorecardArtifactError: the artifact is malformed (no variables, missing special/missing
            bin, overlapping or gapped intervals, bad unknown_bin).
    """
    variables = artifact.get("variables")
    if not isinstance(variables, list) or not variables:
        raise ScorecardArtifactError("artifact has no variables")
    total = _dec(artifact.get("base_points", 0), "base_points")
    contributions: list[VariablePoints] = []
    for var in variables:
        name = var.get("name")
        if not isinstance(name, str) or not isinstance(var.get("bins"), list):
            raise ScorecardArtifactError(f"malformed variable entry: {var!r}"[:200])
        value = applicant.get(name)
        b, fallback = _match(var, value)
        pts = _dec(b.get("points"), f"{name}.bins[{b.get('id')}].points")
        total += pts
        contributions.append(VariablePoints(name=name, value=value, bin_id=int(b["id"]),
                                            bin_kind=str(b.get("kind")), bin_label=str(b.get("label", "")),
                                            points=pts, fallback=fallback))
    scaling = artifact.get("scaling") or {}
    pd = probability_of_default(total, scaling) if scaling.get("method") == "pdo_odds" else None
    return StatisticalScore(model_id=str(artifact.get("model_id", "")), version=str(artifact.get("version", "")),
                            score=total, probability_of_default=pd, points=tuple(contributions))
