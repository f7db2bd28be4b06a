"""Page cursors over HTTP: sealed for the caller and the query, refused otherwise, revealing nothing, and paging
yields exactly what the caller may see (no empty pages with a cursor, nothing twice, nothing missing)."""
from __future__ import annotations

import base64
import json
import uuid
from datetime import date

import pytest

from tests.integration.customers_support import create

pytestmark = pytest.mark.stack

VILLAGE = "220122102201"  # served by am.nongan's and am2.nongan's outlet


@pytest.fixture(scope="module")
def village(client) -> list[dict]:
    """Three more households in the village (others may exist from other tests)."""
    return [create(client, village=VILLAGE) for _ in range(3)]


def _page(client, user: str, path: str, **params):
    r = client.as_user(user).get(path, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def _walk(client, user: str, path: str, **params) -> list[list[dict]]:
    pages, cursor = [], None
    while True:
        body = _page(client, user, path, **params, **({"cursor": cursor} if cursor else {}))
        pages.append(body["items"])
        cursor = body.get("cursor")
        if not cursor:
            return pages
        assert len(pages) < 500, "paging does not end"


def _invalid(r) -> None:
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] == "INVALID_CURSOR" and r.json()["error"]["fields"][0]["field"] == "cursor"


def test_paging_yields_exactly_the_households_in_scope(client, village):
    from chalicelib.customers.data import households

    expected = {h["household_id"] for h in households.list_by_village(VILLAGE)}  # unscoped repository read
    assert {h["household_id"] for h in village} <= expected
    pages = _walk(client, "am.nongan", f"/villages/{VILLAGE}/households", limit=2)
    seen = [i["household_id"] for page in pages for i in page]
    assert len(seen) == len(set(seen)) and set(seen) == expected
    assert all(len(p) == 2 for p in pages[:-1])  # every page but the last is full


def test_a_farmer_pages_through_his_own_household_only_and_learns_no_other(client):
    from infra.seed import FARMER_DEMO_HOUSEHOLD, SHOWCASE_VILLAGE

    first = _page(client, "farmer.demo", f"/villages/{SHOWCASE_VILLAGE}/households", limit=1)
    assert [i["household_id"] for i in first["items"]] == [FARMER_DEMO_HOUSEHOLD]
    assert first.get("cursor") is None  # nothing more for him: no cursor over other households
    # a campaign of his village with three other households' ratings before and after his
    from tests.factories import rating as rating_factory
    from tests.integration.postloan_support import village_org_path

    cid = f"VC-{SHOWCASE_VILLAGE}-{uuid.uuid4().hex[:8]}"
    households = ["HH0" + uuid.uuid4().hex[:9], FARMER_DEMO_HOUSEHOLD, "HHz" + uuid.uuid4().hex[:9],
                  "HHz" + uuid.uuid4().hex[:9]]
    for n, h in enumerate(households):
        rating_factory.rating(h, village_org_path(SHOWCASE_VILLAGE), campaign_id=cid, rated_on=date(2031, 1, 1),
                              status="auto", grade="A", score=70, rating_id=f"RT{n}{uuid.uuid4().hex[:9]}")
    staff = _walk(client, "am.nongan", f"/campaigns/{cid}/ratings", limit=1)
    assert sorted(i["household_id"] for p in staff for i in p) == sorted(households)
    pages = _walk(client, "farmer.demo", f"/campaigns/{cid}/ratings", limit=1)
    assert [[i["household_id"] for i in p] for p in pages] == [[FARMER_DEMO_HOUSEHOLD]]


def test_a_cursor_of_one_caller_is_refused_to_another(client, village):
    mine = _page(client, "am.nongan", f"/villages/{VILLAGE}/households", limit=1)
    assert mine["cursor"]
    _invalid(client.as_user("am2.nongan").get(f"/villages/{VILLAGE}/households",
                                              params={"limit": 1, "cursor": mine["cursor"]}))
    assert client.as_user("am.nongan").get(f"/villages/{VILLAGE}/households",
                                           params={"limit": 1, "cursor": mine["cursor"]}).status_code == 200


def test_a_cursor_of_one_query_is_refused_on_another(client, village):
    cursor = _page(client, "am.nongan", f"/villages/{VILLAGE}/households", limit=1)["cursor"]
    _invalid(client.as_user("am.nongan").get(f"/villages/{VILLAGE}/households",
                                             params={"limit": 1, "status": "draft", "cursor": cursor}))
    _invalid(client.as_user("am.nongan").get(f"/villages/{VILLAGE}/agri-entities", params={"cursor": cursor}))
    _invalid(client.as_user("am.nongan").get("/institutions/JL-220122/villages", params={"cursor": cursor}))


def test_a_tampered_cursor_is_refused(client, village):
    cursor = _page(client, "am.nongan", f"/villages/{VILLAGE}/households", limit=1)["cursor"]
    raw = bytearray(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    raw[-1] ^= 1
    tampered = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    _invalid(client.as_user("am.nongan").get(f"/villages/{VILLAGE}/households",
                                             params={"limit": 1, "cursor": tampered}))


def test_a_cursor_reveals_nothing(client, village):
    body = _page(client, "am.nongan", f"/villages/{VILLAGE}/households", limit=1)
    cursor, first = body["cursor"], body["items"][0]["household_id"]
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    with pytest.raises(ValueError):
        json.loads(raw)
    for part in (first, VILLAGE, "HH#", "VILLAGE#"):
        assert part.encode() not in raw and part not in cursor
