"""Test data of the rating context: ratings, credit lines with their sub-lines, campaigns with an objection and
evaluations, in states the tests start from (a rating effective for a year, a line active since yesterday).

No use case reaches these states without a whole village campaign (tests/integration/test_campaign.py walks that
one), so the factories write them through the rating context's own models (chalicelib.rating.data.models and
campaign_models own every key and index entry). Each returns the ids it made.
"""
from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any


def _put(items: list[dict[str, Any]]) -> None:
    from chalicelib.platform import dynamo
    from chalicelib.platform.settings import get_settings

    dynamo.batch_put(get_settings().core_table, items)


def new_id(prefix: str) -> str:
    """A fresh id in the shape the campaign gives (``RT``/``LN`` + 10 characters)."""
    return prefix + uuid.uuid4().hex[:10].upper()


def rating(household_id: str, org_path: str, *, campaign_id: str, rated_on: date, status: str = "effective",
           grade: str = "AA", score: int = 80, valid_from: date | None = None, valid_to: date | None = None,
           village_code: str | None = None, rating_id: str | None = None, **extra: Any) -> str:
    """A rating of the household in ``status`` (effective ones are valid ``valid_from``..``valid_to``, inclusive,
    and queued for expiry on ``valid_to``); returns its id."""
    from chalicelib.rating.data.models import Rating

    rid = rating_id or new_id("RT")
    item = {"rating_id": rid, "household_id": household_id, "org_path": org_path, "village_code": village_code,
            "campaign_id": campaign_id, "rated_on": rated_on.isoformat(), "status": status, "grade": grade,
            "auto_grade": grade, "score": score, "version": 1,
            "valid_from": valid_from.isoformat() if valid_from else None,
            "valid_to": valid_to.isoformat() if valid_to else None, **extra}
    _put([Rating.keyed({k: v for k, v in item.items() if v is not None})])
    return rid


def line(household_id: str, org_path: str, *, rating_id: str, campaign_id: str, limit: Decimal,
         valid_from: date, valid_to: date, subs: dict[str, Decimal] | None = None, status: str = "active",
         grade: str = "AA", created_on: date | None = None, village_code: str | None = None) -> str:
    """A master line (``limit`` all available) with product sub-lines (``subs``: product code → limit, all
    available), ``status`` (active ones queued for expiry on ``valid_to``); returns its id."""
    from chalicelib.rating.data.models import CreditLine, SubLine

    lid = new_id("LN")
    master = {"line_id": lid, "household_id": household_id, "org_path": org_path, "village_code": village_code,
              "status": status, "limit": limit, "available": limit, "valid_from": valid_from.isoformat(),
              "valid_to": valid_to.isoformat(), "grade": grade, "rating_id": rating_id, "campaign_id": campaign_id,
              "created_on": (created_on or valid_from).isoformat(), "version": 1}
    master = CreditLine.keyed({k: v for k, v in master.items() if v is not None})
    _put([master, *(SubLine.item(master, code, amount, amount) for code, amount in (subs or {}).items())])
    return lid


def line_valid_from(line_id: str, day: date) -> None:
    """Move the start of the line's validity to ``day`` (a line granted for a later date)."""
    from chalicelib.platform import dynamo
    from chalicelib.platform.settings import get_settings
    from chalicelib.rating.data.models import CreditLine

    pk, sk = CreditLine.key(line_id)
    dynamo.TxBuilder().update(get_settings().core_table, {"PK": pk, "SK": sk}, "SET valid_from = :f",
                              values={":f": day.isoformat()}, condition="attribute_exists(PK)").commit()


def campaign_awaiting_confirmation(village: dict[str, Any], *, period: str, started_by: str,
                                   household_id: str, rating_id: str, evaluated_at: str) -> dict[str, str]:
    """A campaign of ``village`` (an admin village assignment: ``village_code``, ``village_name``,
    ``township_code``, ``org_path``) awaiting its confirmation, with an open objection to ``household_id``'s
    rating and the village's and its township's evaluations. Returns ``{"campaign_id", "objection_id"}``."""
    from chalicelib.platform import dynamo
    from chalicelib.rating.data import campaigns
    from chalicelib.rating.data.campaign_models import Campaign

    code, org_path = village["village_code"], village["org_path"]
    cid = f"VC-{code}-{period}"
    oid = new_id("OB")
    _put([Campaign.keyed({"campaign_id": cid, "village_code": code, "village_name": village.get("village_name"),
                          "township_code": village["township_code"], "org_path": org_path, "period": period,
                          "status": "awaiting_confirmation", "total": 1, "rated": 1, "version": 1,
                          "started_by": started_by})])
    tx = dynamo.Transaction()
    campaigns.add_objection(tx, {"objection_id": oid, "campaign_id": cid, "household_id": household_id,
                                 "rating_id": rating_id, "status": "open", "raised_by": "村委会",
                                 "reason": "收入填报有误", "recorded_by": started_by, "org_path": org_path})
    campaigns.add_evaluations(
        tx, {"village_code": code, "township_code": village["township_code"], "campaign_id": cid,
             "org_path": org_path, "evaluated_at": evaluated_at},
        {"township_code": village["township_code"], "campaign_id": cid, "org_path": org_path,
         "evaluated_at": evaluated_at, "village_count": 1, "credit_village_count": 0, "evaluated_village_count": 1,
         "is_credit_township": False})
    tx.commit()
    return {"campaign_id": cid, "objection_id": oid}
