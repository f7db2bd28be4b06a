"""Face verification (人脸识别) adapter for self-service drawdowns.

Interface: :func:`verify` ``(household_id, user_id, image: bytes) -> {"passed", "score", "provider_ref"}``
compares a live photo with the borrower's ID photo (liveness included). Production: a licensed
face-verification service. Sandbox: passes with score 0.98 unless scripted (key ``USER#<user_id>``,
outcomes ``pass``/``fail``); an empty image always fails.
"""
from __future__ import annotations

import hashlib
from typing import Any

from chalicelib.adapters import require_sandbox_stage, sandbox

ADAPTER = "face"


def verify(household_id: str, user_id: str, image: bytes) -> dict[str, Any]:
    require_sandbox_stage()
    outcome = sandbox.next_outcome(ADAPTER, f"USER#{user_id}", "pass") if image else "fail"
    passed = outcome == "pass"
    return {"passed": passed, "score": "0.98" if passed else "0.12",
            "provider_ref": "FV" + hashlib.sha256(image + user_id.encode()).hexdigest()[:16].upper()}
