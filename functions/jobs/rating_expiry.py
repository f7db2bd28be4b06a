"""Daily job: expire effective ratings and active credit lines whose validity has ended
(``{"business_date"?: "YYYY-MM-DD"}``; default today in Asia/Shanghai)."""
from __future__ import annotations

from datetime import date
from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.rating.service import rating_review

    day = event.get("business_date")
    return rating_review.expire_due(date.fromisoformat(day) if day else None)
