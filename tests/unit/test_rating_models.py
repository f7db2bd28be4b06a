"""The rating context's models own its item keys. What the rest of the context relies on: a rating or a line is in
the expiry queue (GSI3) exactly while it is effective / active, on the day its validity ends, and leaves it when
rewritten in another status; a line's sub-lines live in its partition; the expiry queue tells a line's entry from
a rating's; a campaign's failures and objections live in its partition, apart from each other."""
from __future__ import annotations

from decimal import Decimal

from chalicelib.rating.data.campaign_models import Campaign, CampaignFailure, Objection
from chalicelib.rating.data.models import CreditLine, Rating, SubLine, expiry_partition

RATING = {"rating_id": "RT1", "household_id": "HH1", "rated_on": "2026-03-01", "campaign_id": "VC-1-2026",
          "org_path": "/JL/", "status": "auto"}
LINE = {"line_id": "LN1", "household_id": "HH1", "created_on": "2026-03-01", "campaign_id": "VC-1-2026",
        "org_path": "/JL/", "status": "proposed", "limit": Decimal("50000"), "available": Decimal("50000")}


def test_a_rating_is_queued_for_expiry_only_while_effective_on_its_last_valid_day():
    assert "GSI3PK" not in Rating.keyed(RATING)
    effective = Rating.keyed({**RATING, "status": "effective", "valid_to": "2027-03-31"})
    assert effective["GSI3PK"] == expiry_partition("2027-03-31") != expiry_partition("2027-03-30")
    expired = Rating.keyed({**effective, "status": "expired"})  # rewritten: the stale queue entry goes
    assert "GSI3PK" not in expired and "GSI3SK" not in expired
    def plain(item: dict) -> dict:
        return {k: v for k, v in item.items() if not k.startswith("GSI")}

    assert plain(expired) == {**plain(effective), "status": "expired"}  # nothing else changes


def test_a_line_is_queued_for_expiry_only_while_active_and_its_entry_is_told_from_a_ratings():
    assert "GSI3PK" not in CreditLine.keyed(LINE)
    active = CreditLine.keyed({**LINE, "status": "active", "valid_to": "2029-03-31"})
    rating = Rating.keyed({**RATING, "status": "effective", "valid_to": "2029-03-31"})
    assert active["GSI3PK"] == rating["GSI3PK"]  # one queue per day for both
    assert CreditLine.is_line_entry(active["GSI3SK"]) and not CreditLine.is_line_entry(rating["GSI3SK"])
    assert "GSI3PK" not in CreditLine.keyed({**active, "status": "frozen"})


def test_sub_lines_live_in_their_lines_partition_one_item_per_product():
    line = CreditLine.keyed(LINE)
    xyd = SubLine.item(line, "NH_XYD", Decimal("30000"), Decimal("30000"))
    dbd = SubLine.item(line, "NH_DBD", Decimal("20000"), Decimal("20000"))
    assert xyd["PK"] == dbd["PK"] == line["PK"] == CreditLine.partition("LN1")
    assert len({line["SK"], xyd["SK"], dbd["SK"]}) == 3
    assert SubLine.is_sub_line(xyd["SK"]) and not SubLine.is_sub_line(line["SK"])
    assert (xyd["PK"], xyd["SK"]) == SubLine.key("LN1", "NH_XYD")


def test_a_campaigns_failures_and_objections_share_its_partition_under_their_own_prefixes():
    campaign = Campaign.keyed({"campaign_id": "VC-1", "village_code": "220122102202", "period": 2026})
    failure = CampaignFailure(campaign_id="VC-1", household_id="HH1", code="X")
    objection = Objection(campaign_id="VC-1", objection_id="HH1", household_id="HH1", status="open", org_path="/")
    failure.fill_keys()
    objection.fill_keys()
    assert campaign["PK"] == failure.PK == objection.PK == Campaign.partition("VC-1")
    assert failure.SK.startswith(CampaignFailure.PREFIX) and objection.SK.startswith(Objection.PREFIX)
    assert failure.SK != objection.SK and not objection.SK.startswith(CampaignFailure.PREFIX)
    assert campaign["GSI1SK"] == "2026"  # the village's campaigns sort by period
