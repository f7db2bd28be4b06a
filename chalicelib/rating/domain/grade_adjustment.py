"""Manual adjustment of a household's grade (人工调整): at most one step on the scorecard's grade ladder, never out
of the no-credit grade for a knocked-out household. Pure domain code."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.platform.errors import ValidationFailed
from chalicelib.rating.domain.scorecard import Scorecard, load_scorecard

_DIRECTIONS = {"up": 1, "down": -1, "none": 0}
_DEFAULT_LADDER = ("NONE", "A", "AA", "AAA")


def _ladder(scorecard: Mapping[str, Any] | Scorecard | None) -> tuple[str, ...]:
    return _DEFAULT_LADDER if scorecard is None else load_scorecard(scorecard).grades.ladder


def grade_adjust(grade: str, direction: int | str, *, scorecard: Mapping[str, Any] | Scorecard | None = None,
                 knocked_out: bool = False) -> str:
    """Manually adjust a grade (人工调整) by at most one step; returns the new grade.

    ``direction``: ``"up"``/``"down"``/``"none"`` or an integer number of steps (+1 up, -1 down).
    The grade ladder comes from the scorecard (default ``NONE < A < AA < AAA``). Rule ("at most one
    grade up or down") is a default adjustable policy of 整村授信 campaigns. Raises ``ValidationFailed``:
    ``RATING_ADJUST_TOO_FAR`` (more than one step), ``RATING_ADJUST_OUT_OF_RANGE`` (above the top or
    below the bottom grade), ``UNKNOWN_GRADE``, ``RATING_KNOCKED_OUT`` (raising a knocked-out rating).
    """
    ladder = _ladder(scorecard)
    if grade not in ladder:
        raise ValidationFailed(f"unknown grade {grade!r}", code="UNKNOWN_GRADE", field="grade")
    if isinstance(direction, str):
        if direction not in _DIRECTIONS:
            raise ValidationFailed(f"direction must be one of {sorted(_DIRECTIONS)}", code="BAD_DIRECTION",
                                   field="direction")
        steps = _DIRECTIONS[direction]
    elif isinstance(direction, int) and not isinstance(direction, bool):
        steps = direction
    else:
        raise ValidationFailed("direction must be 'up', 'down', 'none' or an integer", code="BAD_DIRECTION",
                               field="direction")
    if abs(steps) > 1:
        raise ValidationFailed("a rating may be adjusted by at most one grade", code="RATING_ADJUST_TOO_FAR",
                               field="direction", details={"steps": steps})
    if steps > 0 and knocked_out:
        raise ValidationFailed("a knocked-out rating cannot be raised", code="RATING_KNOCKED_OUT", field="direction")
    target = ladder.index(grade) + steps
    if not 0 <= target < len(ladder):
        raise ValidationFailed(f"grade {grade} cannot move {'up' if steps > 0 else 'down'}",
                               code="RATING_ADJUST_OUT_OF_RANGE", field="direction")
    return ladder[target]


def grade_adjust_to(original: str, target: str, *, scorecard: Mapping[str, Any] | Scorecard | None = None,
                    knocked_out: bool = False) -> str:
    """Check a requested target grade against :func:`grade_adjust`'s one-step rule; returns ``target``.

    Same errors as :func:`grade_adjust`; ``UNKNOWN_GRADE`` names ``field="target"`` for the target.
    """
    ladder = _ladder(scorecard)
    if target not in ladder:
        raise ValidationFailed(f"unknown grade {target!r}", code="UNKNOWN_GRADE", field="target")
    if original not in ladder:
        raise ValidationFailed(f"unknown grade {original!r}", code="UNKNOWN_GRADE", field="grade")
    return grade_adjust(original, ladder.index(target) - ladder.index(original), scorecard=scorecard,
                        knocked_out=knocked_out)

