"""Face verifications (人脸核验) of self-service drawdowns: one passed check is consumed by one drawdown.

Item :class:`~chalicelib.loans.data.models.FaceCheck` (its keys are its own): ``household_id``, ``user_id``, ``passed``, ``score``,
``provider_ref``, ``created_at``, ``expires_at`` (ISO UTC, 10 minutes), ``used_by`` (drawdown id once used).
"""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.platform import dynamo
from chalicelib.platform.clock import utc_now_iso
from chalicelib.platform.errors import ValidationFailed

VALID_MINUTES = 10


def record(household_id: str, user_id: str, result: dict[str, Any]) -> dict[str, Any]:
    """Store the result of a verification (``{"passed", "score", "provider_ref"}``), valid for
    :data:`VALID_MINUTES`; returns the stored check (with its ``face_verification_id``)."""
    from chalicelib.loans.data.models import FaceCheck

    expires = (datetime.now(UTC) + timedelta(minutes=VALID_MINUTES)).isoformat(
        timespec="milliseconds").replace("+00:00", "Z")
    check = FaceCheck(face_verification_id=uuid.uuid4().hex[:16], household_id=household_id, user_id=user_id,
                      passed=bool(result["passed"]), score=str(result["score"]), provider_ref=result["provider_ref"],
                      created_at=utc_now_iso(), expires_at=expires)
    dynamo.TxBuilder().save(check).commit()
    return check.state()


def add_consume(tx: dynamo.TxBuilder, face_verification_id: str, *, household_id: str, user_id: str,
                drawdown_id: str) -> None:
    """Mark a passed, unexpired, unused verification of this user and household as used by the drawdown."""
    from chalicelib.loans.data.models import FaceCheck

    check = FaceCheck(face_verification_id=face_verification_id)
    tx.update_model(check, [FaceCheck.used_by.set(drawdown_id)],
                    condition=(FaceCheck.passed == True) & (FaceCheck.household_id == household_id)  # noqa: E712 - a pynamodb condition, not a truth test
                    & (FaceCheck.user_id == user_id) & (FaceCheck.expires_at > utc_now_iso())
                    & FaceCheck.used_by.does_not_exist(),
                    on_fail=ValidationFailed("the face verification is missing, failed, expired or already used",
                                             code="FACE_VERIFICATION_INVALID", field="face_verification_id"))
