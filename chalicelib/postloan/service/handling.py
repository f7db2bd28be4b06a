"""Handling of risk warnings by people (预警处置): acknowledge, resolve with what was done, dismiss with a reason.
A closed signal is not raised again for the same rule and subject before ``reraise_after_days`` (the
``postloan_policy`` parameter) unless at a higher level."""
from __future__ import annotations

from typing import Any

from chalicelib.platform.access import Principal
from chalicelib.postloan.data import warnings as repo
from chalicelib.postloan.service.config import policy


def _reraise_after_days() -> int:
    from chalicelib.platform.clock import business_date

    return int(policy(business_date()).reraise_after_days)


def acknowledge(principal: Principal, signal_id: str, *, version: int, note: str | None) -> dict[str, Any]:
    """Acknowledge (签收) an open warning. Raises NotFound ``WARNING_NOT_FOUND``, Forbidden ``NOT_ASSIGNEE`` /
    ``SUBJECT_OF_WARNING``, Conflict ``WARNING_STATE`` / ``VERSION_CONFLICT``."""
    return repo.acknowledge(principal, signal_id, version=version, note=note)


def resolve(principal: Principal, signal_id: str, *, version: int, resolution: str) -> dict[str, Any]:
    """Resolve an active warning with what was done (处置措施); errors as :func:`acknowledge`."""
    return repo.resolve(principal, signal_id, version=version, resolution=resolution,
                        reraise_after_days=_reraise_after_days())


def dismiss(principal: Principal, signal_id: str, *, version: int, reason: str) -> dict[str, Any]:
    """Dismiss an active warning as not a risk; errors as :func:`acknowledge`, and ValidationFailed
    ``DISMISS_REASON_REQUIRED`` (field ``reason``)."""
    return repo.dismiss(principal, signal_id, version=version, reason=reason,
                        reraise_after_days=_reraise_after_days())
