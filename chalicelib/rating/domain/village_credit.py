"""Whole-village credit (整村授信), pure part: one household's rating and line proposal, notice rows,
deterministic ids, and the rules of the rating lifecycle.

No I/O and no clock: the campaign tasks (``chalicelib/rating/service/campaign.py``) load the parameter
documents and households, call :func:`rate_household` and persist what it returns. The benchmark
``bench/bench_rating.py`` runs exactly this code.

Rating lifecycle (status)::

    auto ──adjust (account manager, ±1 grade from the automatic grade, reason)──► adjusted
    auto | adjusted ──approve (reviewer/approver; not the adjuster, not the campaign's starter)──► approved
    auto | approved ──campaign activation (after the institution's confirmation)──► effective
    effective ──valid_to passed (daily job)──► expired
    any but effective/expired ──objection upheld──► withdrawn

An adjusted rating must be approved before the institution may confirm the campaign; ``auto``
ratings are approved collectively by that confirmation (recorded as approved by the confirmer).
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from chalicelib.platform.errors import Conflict, Forbidden, ValidationFailed
from chalicelib.rating.domain import household_metrics as hm
from chalicelib.rating.domain.credit_line import CreditLinePolicy, LineProposal, load_policy, propose_line
from chalicelib.rating.domain.evaluation import EvaluationPolicy, evaluate_household, load_evaluation_policy
from chalicelib.rating.domain.scorecard import (
    RatingInput,
    Scorecard,
    ScoreResult,
    VillageAverages,
    load_scorecard,
    score_household,
)

RATING_STATUSES = ("auto", "adjusted", "approved", "effective", "expired", "withdrawn")
LINE_STATUSES = ("proposed", "active", "frozen", "expired", "withdrawn")
CAMPAIGN_STATUSES = ("running", "awaiting_confirmation", "activating", "completed", "expired", "failed",
                     "cancelled")
#: Campaign statuses that are final and after which the village may start another campaign. A failed campaign is
#: not closed: it keeps its village and its proposals and is restarted (same period) or cancelled (ADR 0011, 9).
CAMPAIGN_CLOSED_STATUSES = ("completed", "expired", "cancelled")
#: Campaign statuses whose workflow is (or should be) running: a campaign in one of them whose execution has ended
#: died without reaching its failure step.
CAMPAIGN_IN_FLIGHT_STATUSES = ("running", "awaiting_confirmation", "activating")
#: Campaign statuses from which staff may cancel it (when it is not confirmed): see ``services.campaign.cancel``.
CAMPAIGN_CANCELLABLE_STATUSES = ("running", "awaiting_confirmation", "failed")
#: Campaign statuses in which its ratings may be adjusted (and only while it is not confirmed): the statuses a
#: campaign has before its confirmation (a failed one is restarted); see :func:`check_adjustable`.
ADJUSTABLE_CAMPAIGN_STATUSES = ("running", "awaiting_confirmation", "failed")
#: Line statuses that own the household's one line slot; leaving them releases it.
LINE_SLOT_STATUSES = ("proposed", "active")


# --------------------------------------------------------------------------------------------------
# ids
# --------------------------------------------------------------------------------------------------

def campaign_id(village_code: str, period: str) -> str:
    """``VC-<village code>-<period>``: one campaign per village and period (re-runs reuse it)."""
    return f"VC-{village_code}-{period}"


def _short(prefix: str, *parts: str) -> str:
    digest = hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()[:20].upper()
    return f"{prefix}-{digest}"


def rating_id(campaign: str, household_id: str) -> str:
    """Deterministic rating id of a household in a campaign (so a re-run finds it)."""
    return _short("RT", campaign, household_id)


def line_id(campaign: str, household_id: str) -> str:
    """Deterministic credit-line id of a household in a campaign."""
    return _short("LN", campaign, household_id)


def objection_id(campaign: str, household_id: str, raised_at: str) -> str:
    return _short("OB", campaign, household_id, raised_at)


# --------------------------------------------------------------------------------------------------
# parameter documents → domain inputs
# --------------------------------------------------------------------------------------------------

def village_credit_products(products_doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The products that carry sub-lines of a village credit line, in ``allocation_order``, as
    :func:`chalicelib.rating.domain.credit_line.propose_line` wants them (``product_id``, ``cap``, ``min_grade``).

    ``cap`` is the product's ``sub_line_cap`` (else its maximum amount). Raises ValidationFailed
    ``PRODUCTS_INVALID`` when the order names an unknown product.
    """
    by_code = {p["product_code"]: p for p in products_doc.get("products", [])}
    order = list(products_doc.get("allocation_order") or by_code)
    unknown = [c for c in order if c not in by_code]
    if unknown:
        raise ValidationFailed(f"allocation_order names unknown products {unknown}", code="PRODUCTS_INVALID")
    out = []
    for code in order:
        p = by_code[code]
        if not p.get("eligible_for_village_credit", False):
            continue
        cap = p.get("sub_line_cap") or (p.get("amount") or {}).get("max")
        if cap is None:
            raise ValidationFailed(f"product {code} has no sub_line_cap or amount.max", code="PRODUCTS_INVALID")
        out.append({"product_id": code, "name": p.get("name", ""), "cap": Decimal(str(cap)),
                    "min_grade": p.get("min_grade")})
    return out


@dataclass(frozen=True)
class Policies:
    """The parsed documents a campaign rates with, plus the versions it records."""

    scorecard: Scorecard
    credit_line: CreditLinePolicy
    products: tuple[Any, ...]  # credit_line.Product, parsed once
    evaluation: EvaluationPolicy
    versions: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def from_documents(cls, *, scorecard: Mapping[str, Any], credit_line: Mapping[str, Any],
                       products: Mapping[str, Any], evaluation: Mapping[str, Any],
                       versions: Mapping[str, int] | None = None) -> Policies:
        from chalicelib.rating.domain.credit_line import Product

        return cls(load_scorecard(scorecard), load_policy(credit_line),
                   tuple(Product.model_validate(p) for p in village_credit_products(products)),
                   load_evaluation_policy(evaluation), dict(versions or {}))

    @property
    def requested_term_years(self) -> int:
        """The term of the age-plus-term knock-out: a village line runs for its validity period."""
        return self.credit_line.line_validity_years


# --------------------------------------------------------------------------------------------------
# one household
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class HouseholdOutcome:
    """What :func:`rate_household` found for one household."""

    household_id: str
    rating_input: RatingInput
    figures: Mapping[str, Any]
    score: ScoreResult
    proposal: LineProposal
    is_credit_household: bool
    challenger: Mapping[str, Any] | None = None


def inputs_for(households: Iterable[Mapping[str, Any]], *, today: date, term_years: int
               ) -> tuple[dict[str, RatingInput], dict[str, str]]:
    """Rating inputs per household id, and the households that cannot be rated (id → error code)."""
    ok: dict[str, RatingInput] = {}
    bad: dict[str, str] = {}
    for h in households:
        try:
            ok[h["household_id"]] = hm.rating_input(h, today=today, requested_term_years=term_years)
        except ValidationFailed as exc:
            bad[h["household_id"]] = exc.code
    return ok, bad


def rate_household(household: Mapping[str, Any], averages: VillageAverages, policies: Policies, *, today: date,
                   grade_override: str | None = None, challenger_artifact: Mapping[str, Any] | None = None,
                   rating_input: RatingInput | None = None) -> HouseholdOutcome:
    """Score one household on the expert scorecard against its village's averages, propose its master
    line and sub-lines, and decide whether it is a credit household (信用户).

    ``grade_override`` is an approved manual adjustment. ``challenger_artifact`` (optional) is a
    statistical points table over :data:`household_metrics.STATISTICAL_FEATURES`; its result is
    returned alongside, it never changes the grade. Raises ValidationFailed from the metrics and
    scorecard (``HOUSEHOLD_HEAD_MISSING``, ``UNKNOWN_CATEGORY``, ...).
    """
    figures = hm.figures(household, today=today)
    inp = rating_input or hm.rating_input(household, today=today, requested_term_years=policies.requested_term_years,
                                          figures_=figures)
    score = score_household(inp, averages, policies.scorecard)
    proposal = propose_line(score, inp, policies.credit_line, policies.products, grade_override=grade_override,
                            as_of=today)
    grade = grade_override or score.grade
    credit_household = evaluate_household(grade, score.is_knocked_out, policies.evaluation).is_credit_household
    challenger = None
    if challenger_artifact is not None:
        challenger = challenger_score(challenger_artifact, household, today=today)
    return HouseholdOutcome(household["household_id"], inp, figures, score, proposal, credit_household, challenger)


def challenger_missing_features(artifact: Mapping[str, Any]) -> list[str]:
    """Artifact features that households do not have (an artifact with any cannot be a challenger)."""
    return [f for f in artifact.get("features") or [v.get("name") for v in artifact.get("variables", [])]
            if f not in hm.STATISTICAL_FEATURES]


def challenger_score(artifact: Mapping[str, Any], household: Mapping[str, Any], *, today: date) -> dict[str, Any]:
    """Apply a statistical points table to a household's features (see household_metrics)."""
    from chalicelib.rating.domain.statistical_scorecard import apply_points_table

    missing = challenger_missing_features(artifact)
    if missing:
        raise ValidationFailed(f"the challenger model needs features households do not have: {missing}",
                               code="CHALLENGER_FEATURES_UNAVAILABLE", details={"missing": missing})
    features = {k: (str(v) if isinstance(v, Decimal) else v)
                for k, v in hm.statistical_features(household, today=today).items()}
    result = apply_points_table(artifact, features)
    out = result.to_dict()
    out["fallbacks"] = result.fallbacks
    return out


# --------------------------------------------------------------------------------------------------
# public notice (公示)
# --------------------------------------------------------------------------------------------------

def mask_resident_id(value: str | None) -> str:
    """A resident ID number as shown in public: the 6-digit address code and the last 4 characters
    (``220122********123X``, :func:`chalicelib.platform.identity.mask_resident_id`). An already masked
    value (contains ``*``) is kept as it is."""
    if not value:
        return ""
    value = str(value).strip()
    if "*" in value:
        return value
    from chalicelib.platform.identity import mask_resident_id as mask

    return mask(value)


def mask_name(name: str | None) -> str:
    """Names stay as written: a village credit list is posted with the heads' names (that is its
    purpose: villagers can object). Only ID numbers are masked."""
    return name or ""


NOTICE_COLUMNS = ("序号", "村民小组", "户编号", "户主姓名", "身份证号", "信用等级", "拟授信额度(元)")

_NUMERALS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
             "九": 9}
_NUMBER_RUN = re.compile(r"\d+|[零〇一二两三四五六七八九十百]+")


def _chinese_number(text: str) -> int:
    """A Chinese numeral up to the hundreds (``十一`` → 11, ``二十`` → 20, ``一百零五`` → 105)."""
    total, digit = 0, 0
    for ch in text:
        if ch in _NUMERALS:
            digit = _NUMERALS[ch]
        elif ch == "十":
            total += (digit or 1) * 10
            digit = 0
        elif ch == "百":
            total += (digit or 1) * 100
            digit = 0
    return total + digit


def _natural_key(text: str | None) -> tuple[int, int, str]:
    """Order of village groups and roster numbers as people count them: by the first number in the text,
    written in digits or in Chinese (``3组`` < ``十一组``; ``第二村民小组`` → 2; ``0009`` < ``0010``);
    text without a number after those with one, empty last."""
    text = (text or "").strip()
    if not text:
        return (2, 0, "")
    m = _NUMBER_RUN.search(text)
    if m is None:
        return (1, 0, text)
    run = m.group(0)
    return (0, int(run) if run.isdigit() else _chinese_number(run), text)


def notice_order(entry: Mapping[str, Any]) -> tuple[Any, ...]:
    """Sort key of a rating on the public notice: village group (村民小组), then the roster's household
    number (户编号), then the household id (a stable order for households without group or number)."""
    return (_natural_key(entry.get("village_group")), _natural_key(entry.get("household_no")),
            str(entry["household_id"]))


def notice_rows(entries: Sequence[Mapping[str, Any]]) -> list[tuple[str, ...]]:
    """Rows of the public notice (:data:`NOTICE_COLUMNS`), one per household *with* a proposed line,
    ordered by :func:`notice_order`.

    ``entries``: rating items (``household_id``, ``village_group``, ``household_no``, ``head_name``,
    ``head_id_masked``, ``grade``, ``proposed_limit``). The household number is the one of the village
    roster (花名册) the household was imported from; a household filed without a roster has none and its
    cell stays empty (the internal household id is never posted). Households without a line (grade NONE,
    knock-outs) are not posted: the list announces credit to be granted; the others are told
    individually by their account manager.
    """
    rows = []
    shown = sorted((e for e in entries if Decimal(str(e.get("proposed_limit") or 0)) > 0), key=notice_order)
    for n, e in enumerate(shown, 1):
        limit = Decimal(str(e["proposed_limit"])).quantize(Decimal(1))
        rows.append((str(n), str(e.get("village_group") or ""), str(e.get("household_no") or ""),
                     mask_name(e.get("head_name")), mask_resident_id(e.get("head_id_masked")), str(e["grade"]),
                     str(limit)))
    return rows


# --------------------------------------------------------------------------------------------------
# lifecycle rules
# --------------------------------------------------------------------------------------------------

def check_campaign_unit(village_code: str, institution_id: str, campaign_doc: Mapping[str, Any]) -> str:
    """May ``institution_id`` run a whole-village campaign in ``village_code``? Returns the unit type
    (:func:`chalicelib.reference.divisions.unit_type`).

    整村授信 is for villages (村民委员会). A residents' committee (居委会, village-level code 001-199) or a unit
    like one (400-499) is urban: refused unless the ``village_campaign`` parameter lists the institution in
    ``residents_committee_institutions``. Raises ValidationFailed ``VILLAGE_IS_RESIDENTS_COMMITTEE``
    (field ``village_code``, details ``unit_type``).
    """
    from chalicelib.reference import divisions

    kind = divisions.unit_type(village_code)
    allowed = campaign_doc.get("residents_committee_institutions") or ()
    if divisions.is_urban_unit(village_code) and institution_id not in allowed:
        raise ValidationFailed(f"{village_code} is a residents' committee (居委会), not a village: whole-village "
                               "credit campaigns are run in villages (村民委员会) unless the village_campaign "
                               "parameter lists the institution in residents_committee_institutions",
                               code="VILLAGE_IS_RESIDENTS_COMMITTEE", field="village_code",
                               details={"unit_type": kind})
    return kind


def check_adjustable(rating: Mapping[str, Any], campaign: Mapping[str, Any] | None) -> None:
    """A rating may be adjusted while automatic or adjusted, before its campaign is confirmed.

    Raises Conflict ``RATING_NOT_ADJUSTABLE`` / ``CAMPAIGN_ALREADY_CONFIRMED``.
    """
    if rating["status"] not in ("auto", "adjusted"):
        raise Conflict(f"a rating in status {rating['status']} cannot be adjusted", code="RATING_NOT_ADJUSTABLE",
                       field="status")
    if campaign is not None and campaign.get("confirmed_by"):
        raise Conflict("the campaign was confirmed; ratings can no longer be adjusted",
                       code="CAMPAIGN_ALREADY_CONFIRMED")


def check_approvable(rating: Mapping[str, Any]) -> None:
    """Only automatic or adjusted ratings can be approved. Raises Conflict ``RATING_NOT_APPROVABLE``."""
    if rating["status"] not in ("auto", "adjusted"):
        raise Conflict(f"a rating in status {rating['status']} cannot be approved", code="RATING_NOT_APPROVABLE",
                       field="status")


def check_separation_of_duties(actor_id: str, *, others: Mapping[str, str | None]) -> None:
    """审贷分离: the actor must not have done any of the earlier steps (role name → user id).

    Raises Forbidden ``SEPARATION_OF_DUTIES`` naming the step the actor already did.
    """
    for step, user in others.items():
        if user and user == actor_id:
            raise Forbidden(f"separation of duties: you already acted as {step} on this item",
                            code="SEPARATION_OF_DUTIES", details={"step": step})


__all__: Sequence[str] = (
    "CAMPAIGN_STATUSES",
    "LINE_STATUSES",
    "NOTICE_COLUMNS",
    "RATING_STATUSES",
    "HouseholdOutcome",
    "Policies",
    "campaign_id",
    "challenger_missing_features",
    "challenger_score",
    "check_adjustable",
    "check_approvable",
    "check_separation_of_duties",
    "inputs_for",
    "line_id",
    "mask_resident_id",
    "notice_order",
    "notice_rows",
    "objection_id",
    "rate_household",
    "rating_id",
    "village_credit_products",
)
