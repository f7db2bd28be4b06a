"""Village campaign end states: ``{"campaign_id", "outcome": "expired" | "failed", "error"?}``.
Expired: no confirmation within the notice period plus margin (proposed lines withdrawn). Failed: a
step failed for good (the error is kept; starting the campaign again resumes it, cancelling it abandons it).
A campaign no longer in flight (completed, cancelled) is left as it is."""
from __future__ import annotations

from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.rating.service import campaign

    return campaign.close(event["campaign_id"], event["outcome"], event.get("error"))
