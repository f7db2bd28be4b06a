"""The campaign's public notice (公示): rendered (CSV + PDF) from the current ratings into S3 by the workflow's
notice step, again after every change of the list (an adjustment, an upheld objection), and handed out as
presigned URLs."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from chalicelib.platform.access import Principal
from chalicelib.platform.clock import business_date
from chalicelib.platform.errors import Conflict
from chalicelib.rating.data import campaigns as camp_repo
from chalicelib.rating.data import ratings as rating_repo
from chalicelib.rating.domain import village_credit as vc
from chalicelib.rating.service.campaign_config import config
from chalicelib.rating.service.campaign_tx import SYSTEM_ACTOR, WORKFLOW_STATUSES, s3, settings, update_campaign


def notice_keys(campaign_id: str) -> dict[str, str]:
    """The S3 keys of the notice's CSV and PDF."""
    return {"csv": f"campaigns/{campaign_id}/notice.csv", "pdf": f"campaigns/{campaign_id}/notice.pdf"}


def _institution_name(org_path: str) -> str:
    from chalicelib.admin import public as orgs

    parts = org_path.strip("/").split("/")
    org = orgs.get_org(parts[1]) if len(parts) > 1 else None
    return str(org["name"]) if org else ""


def publish_notice(campaign_id: str, *, actor: str = SYSTEM_ACTOR, reason: str | None = None) -> dict[str, Any]:
    """Render the public notice (CSV + PDF) from the current ratings and store both in S3 (``{"rows",
    "notice_until"}``); the campaign records the keys, the period and a new revision."""
    from chalicelib.rating.domain.notice_document import NoticeHeader, render_csv, render_pdf

    c = camp_repo.get_unscoped(campaign_id) or {}
    cfg = config(campaign_id)
    ratings = [r for r in rating_repo.list_for_campaign(campaign_id) if r["status"] not in ("withdrawn", "expired")]
    rows = vc.notice_rows(ratings)
    notice_from = date.fromisoformat(c["notice_from"]) if c.get("notice_from") else business_date()
    notice_until = notice_from + timedelta(days=cfg.notice_days - 1)
    header = NoticeHeader(campaign_id=campaign_id, village_code=c["village_code"],
                          village_name=c.get("village_name") or "", township_name=c.get("township_name") or "",
                          county_name=c.get("county_name") or "", institution_name=_institution_name(c["org_path"]),
                          notice_from=notice_from.isoformat(), notice_until=notice_until.isoformat(),
                          household_count=int(c.get("total", 0)), rated_count=len(ratings))
    keys = notice_keys(campaign_id)
    bucket = settings().documents_bucket
    s3().put_object(Bucket=bucket, Key=keys["csv"], Body=render_csv(header, rows), ContentType="text/csv; charset=utf-8")
    s3().put_object(Bucket=bucket, Key=keys["pdf"], Body=render_pdf(header, rows), ContentType="application/pdf")
    update_campaign(campaign_id, {"notice_keys": keys, "notice_from": notice_from.isoformat(),
                                  "notice_until": notice_until.isoformat(), "notice_rows": len(rows),
                                  "notice_revision": int(c.get("notice_revision", 0)) + 1},
                    actor=actor, action="campaign.notice_published", reason=reason, expect_status=WORKFLOW_STATUSES)
    return {"rows": len(rows), "notice_until": notice_until.isoformat()}


def notice_url(principal: Principal, campaign_id: str, fmt: str, *, expires: int = 300) -> dict[str, Any]:
    """A presigned GET URL of the notice (``csv`` or ``pdf``); 409 ``NOTICE_NOT_READY`` before it exists."""
    c = camp_repo.get(principal, campaign_id)
    if not c.get("notice_keys"):
        raise Conflict("the public notice has not been published yet", code="NOTICE_NOT_READY")
    key = c["notice_keys"][fmt]
    url = s3().generate_presigned_url("get_object", Params={"Bucket": settings().documents_bucket, "Key": key},
                                      ExpiresIn=expires)
    return {"campaign_id": campaign_id, "format": fmt, "url": url, "expires_in": expires,
            "revision": int(c.get("notice_revision", 1)), "notice_from": c.get("notice_from"),
            "notice_until": c.get("notice_until")}
