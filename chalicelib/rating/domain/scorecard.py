"""Expert household scorecard (专家评分卡 / 农户信用评级): pure domain code, parameter-driven.

Every number (indicator bins, points, knock-out limits, grade cut-offs) lives in a *scorecard
parameter document* (default: ``chalicelib/reference/parameters/scorecard_expert.json``, the published
100-point household form: household size 8, labourers 8, total assets 13, net assets 13, credit-union
shares 4, net income 14, village committee assessment 30, repayment record 10; grades AAA >= 85,
AA 75-84, A 60-74, below 60 no credit). The functions here take the parsed document (a ``dict`` or a
:class:`Scorecard`) and never read files or the clock, so one household always scores the same under
one document version.

Money is ``Decimal`` CNY; scores and points are ``Decimal``. Errors are
:class:`chalicelib.platform.errors.ValidationFailed` with stable codes.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator

from chalicelib.platform.errors import ValidationFailed
from chalicelib.rating.domain.rating_input import RatingInput, VillageAverages

_RATIO_Q = Decimal("0.0001")


# Parameter document
# --------------------------------------------------------------------------------------------------

_RATING_FIELDS = {f.name for f in fields(RatingInput)}
_AVERAGE_FIELDS = {f.name for f in fields(VillageAverages)} - {"household_count"}


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Bin(_Model):
    """``value >= min`` (or ``> min`` when ``min_exclusive``) scores ``points``; ``min`` None = catch-all."""

    label: str
    min: Decimal | None = None
    min_exclusive: bool = False
    points: Decimal

    def matches(self, value: Decimal, scale: Decimal | None = None) -> bool:
        if self.min is None:
            return True
        threshold = self.min if scale is None else self.min * scale
        return value > threshold if self.min_exclusive else value >= threshold


class Category(_Model):
    value: str
    label: str = ""
    points: Decimal


class Indicator(_Model):
    """One scorecard indicator (评分指标): numeric bins or categories, with its maximum points."""

    id: str
    name: str = ""
    input: str
    kind: Literal["numeric", "category"]
    scale: Literal["absolute", "ratio_to_village_mean"] = "absolute"
    average_field: str | None = None
    max_points: Decimal
    reason_code: str
    basis: str = ""
    bins: tuple[Bin, ...] = ()
    categories: tuple[Category, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> Indicator:
        if self.input not in _RATING_FIELDS:
            raise ValueError(f"indicator {self.id}: unknown input {self.input!r}")
        if self.kind == "numeric":
            if not self.bins or self.bins[-1].min is not None:
                raise ValueError(f"indicator {self.id}: numeric bins must end with a catch-all (min null)")
            if any(b.min is None for b in self.bins[:-1]):
                raise ValueError(f"indicator {self.id}: only the last bin may have min null")
            mins = [b.min for b in self.bins[:-1] if b.min is not None]  # none is None (checked above)
            if mins != sorted(mins, reverse=True):
                raise ValueError(f"indicator {self.id}: bins must be ordered from highest min to lowest")
            points = [b.points for b in self.bins]
            if self.scale == "ratio_to_village_mean" and self.average_field not in _AVERAGE_FIELDS:
                raise ValueError(f"indicator {self.id}: average_field must be one of {sorted(_AVERAGE_FIELDS)}")
        else:
            if not self.categories:
                raise ValueError(f"indicator {self.id}: categories required")
            points = [c.points for c in self.categories]
        if max(points) != self.max_points:
            raise ValueError(f"indicator {self.id}: max_points {self.max_points} != best bin {max(points)}")
        if min(points) < 0:
            raise ValueError(f"indicator {self.id}: negative points")
        return self


class KnockoutFlag(_Model):
    rule_id: str
    basis: str = ""


class KnockoutLimit(KnockoutFlag):
    value: int


class Knockouts(_Model):
    """Knock-out rules (否决项); a missing rule is switched off."""

    blacklisted: KnockoutFlag | None = None
    currently_overdue: KnockoutFlag | None = None
    head_age_min: KnockoutLimit | None = None
    head_age_max: KnockoutLimit | None = None
    age_plus_term_max: KnockoutLimit | None = None


class GradeCutoff(_Model):
    grade: str
    min_score: Decimal


class Grades(_Model):
    """Grade cut-offs from best to worst; a score below every cut-off gets ``no_credit_grade``."""

    cutoffs: tuple[GradeCutoff, ...]
    no_credit_grade: str = "NONE"

    @model_validator(mode="after")
    def _check(self) -> Grades:
        mins = [c.min_score for c in self.cutoffs]
        if not mins or mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins):
            raise ValueError("grade cut-offs must be strictly descending")
        names = [c.grade for c in self.cutoffs] + [self.no_credit_grade]
        if len(set(names)) != len(names):
            raise ValueError("grade names must be unique")
        return self

    @property
    def ladder(self) -> tuple[str, ...]:
        """Grades from lowest to highest, e.g. ``("NONE", "A", "AA", "AAA")``."""
        return (self.no_credit_grade, *reversed([c.grade for c in self.cutoffs]))


class Scorecard(_Model):
    """A parsed, validated scorecard parameter document (see ``scorecard_expert.json``)."""

    scorecard_id: str
    version: str
    total_points: Decimal
    non_positive_average_ratio: Decimal = Decimal(1)
    reason_codes_top_n: int = 3
    indicators: tuple[Indicator, ...]
    knockouts: Knockouts = Knockouts()
    grades: Grades

    @model_validator(mode="after")
    def _check(self) -> Scorecard:
        ids = [i.id for i in self.indicators]
        if len(set(ids)) != len(ids):
            raise ValueError("indicator ids must be unique")
        total = sum((i.max_points for i in self.indicators), Decimal(0))
        if total != self.total_points:
            raise ValueError(f"indicator maxima sum to {total}, document says {self.total_points}")
        return self


def load_scorecard(doc: Mapping[str, Any] | Scorecard) -> Scorecard:
    """Validate a scorecard document. Raises ``ValidationFailed`` ``SCORECARD_INVALID``."""
    if isinstance(doc, Scorecard):
        return doc
    try:
        return Scorecard.model_validate(doc)
    except ValueError as exc:  # pydantic.ValidationError is a ValueError
        raise ValidationFailed(f"invalid scorecard document: {exc}", code="SCORECARD_INVALID") from exc


def default_scorecard_document() -> dict[str, Any]:
    """The bundled default expert scorecard document (the published 100-point form) as a dict."""
    from chalicelib.reference.parameters import shipped

    return shipped("scorecard_expert")


# --------------------------------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class IndicatorScore:
    """Points of one indicator: ``value_used`` is the raw value, the category, or the ratio to the
    village mean (4 dp) for relative indicators; ``raw_value`` is the household's own figure."""

    indicator_id: str
    raw_value: Decimal | int | str
    value_used: Decimal | int | str
    bin_label: str
    points: Decimal
    max_points: Decimal
    reason_code: str

    @property
    def points_lost(self) -> Decimal:
        return self.max_points - self.points


@dataclass(frozen=True)
class ScoreResult:
    """Result of :func:`score_household`.

    ``total_score`` is the sum of indicator points (0..``total_points``); ``grade_by_score`` is the
    grade the score alone earns; ``grade`` is that grade unless a knock-out fired, then the no-credit
    grade (``"NONE"``). ``knocked_out`` lists fired rule ids; ``reason_codes`` the indicators that
    lost most points against their maximum (largest loss first, ties in scorecard order).
    """

    scorecard_id: str
    scorecard_version: str
    total_score: Decimal
    grade: str
    grade_by_score: str
    indicators: tuple[IndicatorScore, ...]
    knocked_out: tuple[str, ...]
    reason_codes: tuple[str, ...]

    @property
    def is_knocked_out(self) -> bool:
        return bool(self.knocked_out)

    def indicator(self, indicator_id: str) -> IndicatorScore:
        for s in self.indicators:
            if s.indicator_id == indicator_id:
                return s
        raise KeyError(indicator_id)


def _score_indicator(ind: Indicator, inp: RatingInput, avg: VillageAverages | None,
                     card: Scorecard) -> IndicatorScore:
    raw = getattr(inp, ind.input)
    if ind.kind == "category":
        for c in ind.categories:
            if c.value == raw:
                return IndicatorScore(ind.id, raw, raw, c.label or c.value, c.points, ind.max_points, ind.reason_code)
        allowed = ", ".join(c.value for c in ind.categories)
        raise ValidationFailed(f"{ind.input} {raw!r} is not one of: {allowed}", code="UNKNOWN_CATEGORY",
                               field=ind.input)
    value = Decimal(raw)
    if ind.scale == "ratio_to_village_mean":
        if avg is None:
            raise ValidationFailed(f"indicator {ind.id} needs village averages", code="VILLAGE_AVERAGES_REQUIRED")
        mean: Decimal = getattr(avg, ind.average_field)  # type: ignore[arg-type]
        if mean > 0:
            # compare value >= min * mean: exact, no division rounding at the band edges
            used = (value / mean).quantize(_RATIO_Q, ROUND_HALF_EVEN)
            for b in ind.bins:
                if b.matches(value, mean):
                    return IndicatorScore(ind.id, value, used, b.label, b.points, ind.max_points, ind.reason_code)
        value = card.non_positive_average_ratio
        raw_used: Decimal | int = value
        for b in ind.bins:
            if b.matches(value):
                return IndicatorScore(ind.id, Decimal(raw), raw_used, b.label, b.points, ind.max_points,
                                      ind.reason_code)
    for b in ind.bins:
        if b.matches(value):
            return IndicatorScore(ind.id, raw, raw, b.label, b.points, ind.max_points, ind.reason_code)
    raise AssertionError("unreachable: bins end with a catch-all")  # pragma: no cover


def grade_for_score(score: Decimal, scorecard: Mapping[str, Any] | Scorecard) -> str:
    """Grade earned by ``score`` alone: the first cut-off with ``score >= min_score``, else the
    no-credit grade. Default cut-offs (DESIGN.md / published form): AAA >= 85, AA >= 75, A >= 60."""
    card = load_scorecard(scorecard)
    for c in card.grades.cutoffs:
        if score >= c.min_score:
            return c.grade
    return card.grades.no_credit_grade


def knockouts_fired(inp: RatingInput, scorecard: Mapping[str, Any] | Scorecard) -> tuple[str, ...]:
    """Rule ids of the knock-outs (否决项) ``inp`` triggers, in document order.

    Default rules (all "default, adjustable"): blacklisted, currently overdue, head age < 18 or > 65,
    head age + requested term years > 70.
    """
    k = load_scorecard(scorecard).knockouts
    fired: list[str] = []
    if k.blacklisted and inp.blacklisted:
        fired.append(k.blacklisted.rule_id)
    if k.currently_overdue and inp.currently_overdue:
        fired.append(k.currently_overdue.rule_id)
    if k.head_age_min and inp.head_age < k.head_age_min.value:
        fired.append(k.head_age_min.rule_id)
    if k.head_age_max and inp.head_age > k.head_age_max.value:
        fired.append(k.head_age_max.rule_id)
    if k.age_plus_term_max and inp.head_age + inp.requested_term_years > k.age_plus_term_max.value:
        fired.append(k.age_plus_term_max.rule_id)
    return tuple(fired)


def score_household(inp: RatingInput, village_avg: VillageAverages | None,
                    scorecard: Mapping[str, Any] | Scorecard) -> ScoreResult:
    """Score one household on the expert scorecard.

    ``village_avg`` is required when the scorecard has relative indicators (the default one does:
    total assets, net assets and net income are banded on household / village mean, as the published
    form prescribes). Indicators are always scored, even when a knock-out fires, so the result can be
    explained. Raises ``ValidationFailed``: ``SCORECARD_INVALID``, ``UNKNOWN_CATEGORY``,
    ``VILLAGE_AVERAGES_REQUIRED``.
    """
    card = load_scorecard(scorecard)
    scores = tuple(_score_indicator(ind, inp, village_avg, card) for ind in card.indicators)
    total = sum((s.points for s in scores), Decimal(0))
    by_score = grade_for_score(total, card)
    fired = knockouts_fired(inp, card)
    grade = card.grades.no_credit_grade if fired else by_score
    order = {s.indicator_id: n for n, s in enumerate(scores)}
    losers = sorted((s for s in scores if s.points_lost > 0), key=lambda s: (-s.points_lost, order[s.indicator_id]))
    reasons = tuple(s.reason_code for s in losers[: card.reason_codes_top_n])
    return ScoreResult(card.scorecard_id, card.version, total, grade, by_score, scores, fired, reasons)


__all__: Sequence[str] = (
    "IndicatorScore",
    "ScoreResult",
    "Scorecard",
    "default_scorecard_document",
    "grade_for_score",
    "knockouts_fired",
    "load_scorecard",
    "score_household",
)
