"""Helpers of the customer-management integration tests: fresh synthetic people and households."""
from __future__ import annotations

import random
import threading
import uuid
from datetime import date
from typing import Any

from infra.roster_synth import make_resident_id

SHOWCASE = "220122102202"
_lock = threading.Lock()
_used: set[str] = set()
_rng = random.Random(uuid.uuid4().int)


#: The address code of the people made up here: 220104 (长春市朝阳区), a county no other generator of test data uses
#: (seeded rosters and factories make people of their villages' counties, 220122 农安县 and 榆树): unique in this
#: process (``_used``) is then unique in the stack. (With 220122, one made-up person in a few hundred was somebody
#: a roster had filed, and the test failed on PERSON_IN_OTHER_HOUSEHOLD.)
ADDRESS = "220104"


def new_id(born: date = date(1980, 5, 17), male: bool = True, address: str = ADDRESS) -> str:
    """A valid resident ID number never handed out before in this process."""
    with _lock:
        while True:
            day = date(born.year, born.month, min(28, max(1, born.day + _rng.randrange(-10, 10))))
            number = make_resident_id(_rng, address, day, male, _used)
            return number


def new_phone() -> str:
    with _lock:
        return "139" + f"{_rng.randrange(0, 10 ** 8):08d}"


def household(village: str = SHOWCASE, *, head_id: str | None = None, spouse_id: str | None = None,
              head_phone: str | None = None) -> dict[str, Any]:
    """A valid household body (head + spouse) with fresh ID numbers."""
    return {
        "village_code": village, "village_group": "三组", "address": "二道沟村三组",
        "gps": {"lat": 44.6123, "lon": 124.9312},
        "members": [
            {"relation": "head", "name": "测试户主", "resident_id": head_id or new_id(),
             "phone": head_phone or new_phone(), "occupation": "务农", "labour_capacity": "full",
             "education": "junior_secondary", "health": "good"},
            {"relation": "spouse", "name": "测试配偶", "resident_id": spouse_id or new_id(date(1982, 3, 9), male=False),
             "labour_capacity": "full"},
        ],
        "assets": {"house_area_m2": "96", "house_value": "120000", "contracted_land_mu": "25.5",
                   "livestock": [{"kind": "cattle", "count": 6}], "livestock_value": "72000",
                   "machinery_value": "30000", "deposits": "40000", "credit_union_shares": "5000"},
        "liabilities": {"bank_loans": "50000", "informal_borrowing": "0"},
        "income": {"crops": "18000", "livestock": "15000", "wages": "20000", "subsidies": "2800"},
        "expenses": {"production": "12000", "living": "26000"},
        "committee_assessment": "good", "repayment_record": "good",
    }


def create(client, user: str = "am.nongan", **kw: Any) -> dict[str, Any]:
    """File a household (:func:`household` with ``kw``) as ``user``; fails the test unless it is created."""
    r = client.as_user(user).post("/households", json=household(**kw))
    assert r.status_code == 201, r.text
    return r.json()
