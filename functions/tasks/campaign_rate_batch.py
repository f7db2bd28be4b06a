"""Village campaign Map item: rate a batch of households and propose their lines
(``{"campaign_id", "household_ids"}``). Per-household problems are recorded, not raised; an exception
here is caught by the state machine and recorded for the whole batch."""
from __future__ import annotations

from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.rating.service import campaign

    ids = event.get("household_ids")
    if ids is None and "Items" in event:  # Distributed Map with ItemBatcher (AWS): {"Items": [...], "BatchInput"}
        ids = [i["household_id"] for i in event["Items"]]
        event = {**event.get("BatchInput", {}), "household_ids": ids}
    return campaign.rate_batch(event["campaign_id"], list(ids or []))
