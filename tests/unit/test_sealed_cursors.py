"""Sealed page cursors (chalicelib.platform.dynamo.cursors): a cursor opens only for the caller and the query it was issued
for, within its lifetime, unchanged; and it tells its holder nothing. No sockets: the secret comes from a
test source instead of Secrets Manager."""
from __future__ import annotations

import base64
import json
import os
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.platform import clock
from chalicelib.platform.dynamo import cursors
from chalicelib.platform.errors import BadRequest
from chalicelib.rating.data.models import Rating  # a rating page's last key: what a real cursor holds

SECRET = os.urandom(48)
STATE = {"u": 1, "c": "eyJQSyI6ICJISCNISEFCQzEyMyJ9"}
_PK, _SK = Rating.key("RT7Q2W9E4R")
KEY = {"PK": _PK, "SK": _SK, "GSI2PK": Rating.campaign_partition("VC-220122102202-2026"), "GSI2SK": "HH4F2A9C1D7E"}
A = cursors.Binding("user-a", "GET /campaigns/{campaign_id}/ratings", {"path.campaign_id": "VC-220122102202-2026"})


@pytest.fixture(autouse=True)
def secret():
    cursors.use_secret_source(lambda: SECRET)
    yield
    cursors.use_secret_source(None)


def _refused(binding: cursors.Binding, cursor: str) -> BadRequest:
    with pytest.raises(BadRequest) as err:
        cursors.unseal(binding, cursor)
    assert err.value.code == "INVALID_CURSOR" and err.value.fields[0].field == "cursor"
    return err.value


def test_a_cursor_opens_for_its_own_caller_and_query():
    assert cursors.unseal(A, cursors.seal(A, STATE)) == STATE
    assert cursors.unseal(A, cursors.seal(A, KEY)) == KEY


def test_another_caller_cannot_use_it():
    _refused(cursors.Binding("user-b", A.listing, A.params), cursors.seal(A, STATE))


@pytest.mark.parametrize("other", [
    cursors.Binding("user-a", "GET /villages/{village_code}/households", A.params),          # another listing
    cursors.Binding("user-a", A.listing, {"path.campaign_id": "VC-220182101201-2026"}),      # another campaign
    cursors.Binding("user-a", A.listing, {**A.params, "query.status": "draft"}),             # another filter
    cursors.Binding("user-a", A.listing, {}),
])
def test_another_query_cannot_use_it(other):
    _refused(other, cursors.seal(A, STATE))


def test_every_refusal_says_the_same_thing():
    cursor = cursors.seal(A, STATE)
    raw = bytearray(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    raw[len(raw) // 2] ^= 1
    tampered = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    answers = {(e.code, e.message, json.dumps([f.to_dict() for f in e.fields])) for e in (
        _refused(cursors.Binding("user-b", A.listing, A.params), cursor),
        _refused(A, tampered), _refused(A, "not-a-cursor"), _refused(A, cursor[:-4]))}
    assert len(answers) == 1


def test_any_changed_byte_is_refused():
    cursor = cursors.seal(A, STATE)
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    for i in range(len(raw)):
        changed = bytearray(raw)
        changed[i] ^= 0x80
        _refused(A, base64.urlsafe_b64encode(bytes(changed)).decode().rstrip("="))


@pytest.mark.parametrize("cursor", ["", "%%%", "e30", "\u00e9t\u00e9", "AAAA", "A" * 200,
                                    base64.urlsafe_b64encode(json.dumps(KEY).encode()).decode().rstrip("=")])
def test_garbage_and_the_old_base64_json_cursors_are_refused(cursor):
    _refused(A, cursor)


def test_a_cursor_expires_after_its_lifetime(monkeypatch):
    issued = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    monkeypatch.setattr(clock, "utc_now", lambda: issued)
    cursor = cursors.seal(A, STATE)
    monkeypatch.setattr(clock, "utc_now", lambda: issued + timedelta(seconds=cursors.TTL_SECONDS))
    assert cursors.unseal(A, cursor) == STATE
    monkeypatch.setattr(clock, "utc_now", lambda: issued + timedelta(seconds=cursors.TTL_SECONDS + 1))
    _refused(A, cursor)


def test_a_new_secret_invalidates_outstanding_cursors():
    cursor = cursors.seal(A, STATE)
    cursors.use_secret_source(lambda: os.urandom(48))
    _refused(A, cursor)


def test_the_cursor_reveals_nothing_of_what_it_holds():
    cursor = cursors.seal(A, KEY)
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    with pytest.raises(ValueError):
        json.loads(raw)
    for secret_part in ("RATING", "RT7Q2W9E4R", "HH4F2A9C1D7E", "CAMPAIGN", "user-a", "220122"):
        assert secret_part.encode() not in raw and secret_part not in cursor
    assert cursors.seal(A, KEY) != cursor  # a fresh nonce every time: equal states are not recognisable
    # the length moves in steps of the padding, not with the length of the key inside
    lengths = {len(cursors.seal(A, {"PK": "HH#" + "x" * n, "SK": "HH"})) for n in range(0, 30)}
    assert len(lengths) <= 2


def test_the_key_is_derived_not_the_secret_itself():
    key = cursors.derive_key(SECRET)
    assert len(key) == 32 and key != SECRET[:32] and cursors.derive_key(SECRET) == key
    assert cursors.derive_key(SECRET + b"x") != key
    with pytest.raises(ValueError):
        cursors.derive_key(b"short")
