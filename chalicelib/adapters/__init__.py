"""Data-access adapters (数据接入): core banking, credit bureau, face verification, e-signature, SMS.

Each adapter is a small module with one interface; this package ships the **local sandbox**
implementations (deterministic, controllable in tests through :mod:`chalicelib.adapters.sandbox`).
Production implementations (the province's core-banking gateway, the PBOC credit reference centre,
a licensed face-verification service and CA, the SMS gateway) plug in behind the same functions;
until then the sandboxes serve the local, test and dev stages and anything else refuses to run
(:func:`require_sandbox_stage`).
"""
from __future__ import annotations

SANDBOX_STAGES = ("local", "test", "dev")
CONTROL_STAGES = ("local", "test")


def require_sandbox_stage() -> str:
    """The stage, if the sandbox adapters may serve it; RuntimeError otherwise (no silent fake in prod)."""
    from chalicelib.platform.settings import get_settings

    stage = get_settings().stage
    if stage not in SANDBOX_STAGES:
        raise RuntimeError(f"no production adapter is configured for stage {stage}")
    return stage
