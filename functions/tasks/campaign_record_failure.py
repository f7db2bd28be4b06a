"""Village campaign Map item, Catch path: record every household of a failed batch as failed
(``{"campaign_id", "household_ids", "error": {"Error", "Cause"}}``). The campaign goes on."""
from __future__ import annotations

from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.rating.service import campaign

    ids = event.get("household_ids")
    if ids is None and "Items" in event:
        ids = [i["household_id"] for i in event["Items"]]
        event = {**event.get("BatchInput", {}), **event}
    return campaign.record_batch_failure(event["campaign_id"], list(ids or []), event.get("error"))
