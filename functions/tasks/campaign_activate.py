"""Village campaign step: activate lines and make ratings effective, except households with an upheld
objection (``{"campaign_id", "confirmation": {"confirmed_by", "confirmed_at"}}``)."""
from __future__ import annotations

from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.rating.service import campaign

    return campaign.activate(event["campaign_id"], event.get("confirmation"))
