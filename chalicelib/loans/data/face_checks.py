"""Face verifications (人脸核验) of self-service drawdowns: one passed check is consumed by one drawdown.

Item ``FACE#<face_verification_id>`` / ``FACE``: ``household_id``, ``user_id``, ``passed``, ``score``,
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


def _table() -> str:
    from chalicelib.platform.settings import get_settings

    return get_settings().core_table


def record(household_id: str, user_id: str, result: dict[str, Any]) -> dict[str, Any]:
    expires = (datetime.now(UTC) + timedelta(minutes=VALID_MINUTES)).isoformat(
        timespec="milliseconds").replace("+00:00", "Z")
    item = {"PK": f"FACE#{uuid.uuid4().hex[:16]}", "SK": "FACE", "kind": "face_verification",
            "household_id": household_id, "user_id": user_id, "passed": bool(result["passed"]),
            "score": str(result["score"]), "provider_ref": result["provider_ref"], "created_at": utc_now_iso(),
            "expires_at": expires}
    item["face_verification_id"] = item["PK"][5:]
    dynamo.TxBuilder().put(_table(), item).commit()
    return item


def add_consume(tx: dynamo.TxBuilder, face_verification_id: str, *, household_id: str, user_id: str,
                drawdown_id: str) -> None:
    """Mark a passed, unexpired, unused verification of this user and household as used by the drawdown."""
    tx.update(_table(), {"PK": f"FACE#{face_verification_id}", "SK": "FACE"}, "SET used_by = :d",
              values={":d": drawdown_id, ":t": True, ":h": household_id, ":u": user_id, ":now": utc_now_iso()},
              condition="passed = :t AND household_id = :h AND user_id = :u AND expires_at > :now "
                        "AND attribute_not_exists(used_by)",
              on_fail=ValidationFailed("the face verification is missing, failed, expired or already used",
                                       code="FACE_VERIFICATION_INVALID", field="face_verification_id"))
