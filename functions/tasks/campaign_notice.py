"""Village campaign step: render the public notice (CSV + PDF) into S3 (``{"campaign_id"}``)."""
from __future__ import annotations

from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.rating.service import campaign

    return campaign.publish_notice(event["campaign_id"])
