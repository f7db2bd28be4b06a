"""Village campaign step 1: load the village's households, snapshot the configuration, return batches
of household ids (``{"campaign_id"}`` → ``{"batches": [{"household_ids": [...]}], ...}``)."""
from __future__ import annotations

from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.rating.service import campaign

    return campaign.load(event["campaign_id"])
