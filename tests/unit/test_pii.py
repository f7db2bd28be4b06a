"""Envelope encryption, keyed hashes and the data-key cache of chalicelib.platform.pii, with in-memory providers
(no sockets: the KMS/Secrets Manager providers are swapped for fakes that count their calls)."""
from __future__ import annotations

import os

import pytest

from chalicelib.platform import pii


class FakeKeys:
    def __init__(self) -> None:
        self.keys: dict[str, bytes] = {}
        self.generated = 0
        self.unwrapped = 0

    def new_key(self):
        self.generated += 1
        key_id = f"k{self.generated:04d}"
        self.keys[key_id] = os.urandom(32)
        return key_id, self.keys[key_id]

    def unwrap(self, key_id):
        self.unwrapped += 1
        if key_id not in self.keys:
            raise pii.PiiError("unknown data key")
        return self.keys[key_id]


class FakeSecret:
    def __init__(self, value: bytes = b"s3cr3t-hmac-key") -> None:
        self.value = value
        self.calls = 0

    def hash_key(self):
        self.calls += 1
        return self.value


@pytest.fixture()
def keys():
    k, s = FakeKeys(), FakeSecret()
    pii.use_providers(k, s)
    yield k
    pii.use_providers()


def test_round_trip_and_no_plaintext_in_the_token(keys):
    token = pii.encrypt("22012219800819777X", purpose="resident_id")
    assert token.startswith("v1.k0001.") and "22012219800819777X" not in token and "777X" not in token
    assert pii.decrypt(token, purpose="resident_id") == "22012219800819777X"
    # a fresh nonce per encryption
    assert pii.encrypt("13812345678", purpose="phone") != pii.encrypt("13812345678", purpose="phone")


def test_ciphertext_is_bound_to_its_purpose_and_tamper_evident(keys):
    token = pii.encrypt("13812345678", purpose="phone")
    with pytest.raises(pii.PiiError):
        pii.decrypt(token, purpose="resident_id")
    version, key_id, body = token.split(".")
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    with pytest.raises(pii.PiiError):
        pii.decrypt(f"{version}.{key_id}.{flipped}", purpose="phone")
    with pytest.raises(pii.PiiError):
        pii.decrypt("not-a-token", purpose="phone")
    with pytest.raises(ValueError):
        pii.encrypt("x", purpose="name")


def test_data_key_is_reused_within_limits_then_rotated(keys, monkeypatch):
    monkeypatch.setattr(pii, "DATA_KEY_MAX_USES", 3)
    pii.reset_caches()
    tokens = [pii.encrypt(str(i), purpose="phone") for i in range(7)]
    assert keys.generated == 3  # 3 + 3 + 1 uses
    assert [t.split(".")[1] for t in tokens] == ["k0001"] * 3 + ["k0002"] * 3 + ["k0003"]
    # decrypting with a cold cache unwraps each key once
    pii.reset_caches()
    assert [pii.decrypt(t, purpose="phone") for t in tokens] == [str(i) for i in range(7)]
    assert keys.unwrapped == 3


def test_data_key_expires_by_age(keys, monkeypatch):
    import time

    now = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    pii.reset_caches()
    pii.encrypt("a", purpose="phone")
    now[0] += pii.DATA_KEY_MAX_AGE_S - 1
    pii.encrypt("b", purpose="phone")
    assert keys.generated == 1
    now[0] += 2
    pii.encrypt("c", purpose="phone")
    assert keys.generated == 2


def test_keyed_hash_is_deterministic_per_purpose_and_depends_on_the_secret(keys):
    import hashlib
    import hmac

    h = pii.keyed_hash("22012219800819777X", purpose="resident_id")
    assert h == hmac.new(b"s3cr3t-hmac-key", b"resident_id:22012219800819777X", hashlib.sha256).hexdigest()
    assert h == pii.keyed_hash("22012219800819777X", purpose="resident_id")
    assert h != pii.keyed_hash("22012219800819777X", purpose="phone")
    assert h != hashlib.sha256(b"22012219800819777X").hexdigest()
    pii.use_providers(keys, FakeSecret(b"another-key"))
    assert pii.keyed_hash("22012219800819777X", purpose="resident_id") != h


def test_protect_helpers_return_masked_hash_and_ciphertext(keys):
    out = pii.protect_resident_id("22012219800819777X")
    assert out["resident_id_masked"] == "220122********777X"
    assert pii.decrypt(out["resident_id_enc"], purpose="resident_id") == "22012219800819777X"
    phone = pii.protect_phone("13812345678")
    assert phone["phone_masked"] == "138****5678" and len(phone["phone_hash"]) == 64
