"""Village campaign step (``.waitForTaskToken``): keep the task token on the campaign item (server-side)
and mark the campaign as waiting for the institution (``{"campaign_id", "task_token"}``). The API's
confirm route resumes the execution with SendTaskSuccess."""
from __future__ import annotations

from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.rating.service import campaign

    return campaign.await_confirmation(event["campaign_id"], event["task_token"])
