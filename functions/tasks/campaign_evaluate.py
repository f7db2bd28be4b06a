"""Village campaign step: credit household / village / township evaluation (``{"campaign_id"}``)."""
from __future__ import annotations

from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.rating.service import campaign

    return campaign.evaluate(event["campaign_id"])
