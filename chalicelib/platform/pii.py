"""Protection of personal data (个人敏感信息): resident ID numbers and phone numbers.

Three mechanisms, used together for every stored ID or phone number:

* **Envelope encryption** (``encrypt`` / ``decrypt``): a 256-bit data key from KMS
  ``GenerateDataKey`` (key ``settings.pii_key_id``) encrypts values locally with AES-256-GCM
  (``cryptography``). The KMS-wrapped data key is stored once in the core table
  (``PIIKEY#<key_id>`` / ``PIIKEY``) and every ciphertext names its ``key_id``::

      v1.<key_id>.<base64url(nonce(12) || ciphertext || tag(16))>

  The associated data binds a ciphertext to its purpose (``resident_id``, ``phone``) and key id, so
  a ciphertext cannot be moved to another field. A data key is reused for at most
  :data:`DATA_KEY_MAX_AGE_S` seconds and :data:`DATA_KEY_MAX_USES` encryptions per process (the
  caching policy of the AWS Encryption SDK's caching CMM); unwrapped keys for decryption are kept
  in a small LRU for the same time.
* **Keyed hash** (``keyed_hash``): HMAC-SHA256 with a key held in Secrets Manager
  (``settings.pii_hash_secret_id``), over ``"<purpose>:<normalised value>"``. Exact-match search and
  the one-person-one-household index use it; without the key the low-entropy ID space cannot be
  brute-forced from the table.
* **Masking** (``chalicelib.platform.identity.mask_resident_id`` / ``mask_phone``): what every response
  shows by default. Full values only for roles with ``pii:reveal`` on explicit request; the reveal is
  audited by the caller (``chalicelib.customers.service.households.reveal``).

Nothing here logs a value. Tests swap the providers (:func:`use_providers`) so that unit tests
need no AWS.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol

from chalicelib.platform.identity import mask_phone, mask_resident_id

DATA_KEY_MAX_AGE_S = 300.0
DATA_KEY_MAX_USES = 10_000
HASH_KEY_MAX_AGE_S = 3600.0
_UNWRAPPED_CACHE_SIZE = 64
_VERSION = "v1"
_CONTEXT = {"app": "village-credit", "use": "pii"}

PURPOSES = ("resident_id", "phone", "content")


class KeyProvider(Protocol):
    """Source of data keys: ``new_key() -> (key_id, plaintext)``, ``unwrap(key_id) -> plaintext``."""

    def new_key(self) -> tuple[str, bytes]: ...

    def unwrap(self, key_id: str) -> bytes: ...


class SecretProvider(Protocol):
    """Source of the HMAC key of the keyed hashes."""

    def hash_key(self) -> bytes: ...


class KmsKeyProvider:
    """Data keys from KMS; wrapped keys kept in the core table under ``PIIKEY#<key_id>``."""

    def new_key(self) -> tuple[str, bytes]:
        from chalicelib.platform import aws, pii_keys
        from chalicelib.platform.settings import get_settings

        settings = get_settings()
        out = aws.kms().generate_data_key(KeyId=settings.pii_key_id, KeySpec="AES_256",
                                                    EncryptionContext=_CONTEXT)
        wrapped: bytes = out["CiphertextBlob"]
        key_id = hashlib.sha256(wrapped).hexdigest()[:20]
        pii_keys.put_wrapped(key_id, wrapped, out.get("KeyId", settings.pii_key_id))
        return key_id, out["Plaintext"]

    def unwrap(self, key_id: str) -> bytes:
        from chalicelib.platform import aws, pii_keys

        wrapped = pii_keys.get_wrapped(key_id)
        if wrapped is None:
            raise PiiError(f"unknown data key {key_id}")
        return aws.kms().decrypt(CiphertextBlob=wrapped, EncryptionContext=_CONTEXT)["Plaintext"]


class SecretsManagerProvider:
    """The HMAC key from Secrets Manager (``settings.pii_hash_secret_id``)."""

    def hash_key(self) -> bytes:
        from chalicelib.platform import aws
        from chalicelib.platform.settings import get_settings

        value = aws.secretsmanager().get_secret_value(SecretId=get_settings().pii_hash_secret_id)
        secret = value.get("SecretString") or value["SecretBinary"]
        return secret.encode() if isinstance(secret, str) else bytes(secret)


class PiiError(Exception):
    """A ciphertext cannot be decrypted (unknown key, tampered, wrong purpose). Never carries a value."""


@dataclass
class _ActiveKey:
    key_id: str
    key: bytes
    expires: float
    uses_left: int


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.keys: KeyProvider = KmsKeyProvider()
        self.secrets: SecretProvider = SecretsManagerProvider()
        self.active: _ActiveKey | None = None
        self.unwrapped: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self.hash_key: tuple[float, bytes] | None = None


_state = _State()


def use_providers(keys: KeyProvider | None = None, secrets: SecretProvider | None = None) -> None:
    """Swap the key and secret providers (tests) and drop every cached key."""
    global _state
    fresh = _State()
    if keys is not None:
        fresh.keys = keys
    if secrets is not None:
        fresh.secrets = secrets
    _state = fresh


def reset_caches() -> None:
    """Forget cached data keys and the hash key (keeps the providers)."""
    with _state.lock:
        _state.active = None
        _state.unwrapped.clear()
        _state.hash_key = None


def _encryption_key() -> tuple[str, bytes]:
    now = time.monotonic()
    with _state.lock:
        active = _state.active
        if active is None or active.expires <= now or active.uses_left <= 0:
            key_id, key = _state.keys.new_key()
            active = _ActiveKey(key_id, key, now + DATA_KEY_MAX_AGE_S, DATA_KEY_MAX_USES)
            _state.active = active
            _remember(key_id, key, now)
        active.uses_left -= 1
        return active.key_id, active.key


def _remember(key_id: str, key: bytes, now: float) -> None:
    _state.unwrapped[key_id] = (now + DATA_KEY_MAX_AGE_S, key)
    _state.unwrapped.move_to_end(key_id)
    while len(_state.unwrapped) > _UNWRAPPED_CACHE_SIZE:
        _state.unwrapped.popitem(last=False)


def _decryption_key(key_id: str) -> bytes:
    now = time.monotonic()
    with _state.lock:
        hit = _state.unwrapped.get(key_id)
        if hit and hit[0] > now:
            _state.unwrapped.move_to_end(key_id)
            return hit[1]
    key = _state.keys.unwrap(key_id)
    with _state.lock:
        _remember(key_id, key, now)
    return key


def _aad(purpose: str, key_id: str) -> bytes:
    return f"village-credit|{purpose}|{key_id}".encode()


def encrypt(value: str, *, purpose: str) -> str:
    """Encrypt ``value`` (UTF-8) for ``purpose``; returns ``v1.<key_id>.<b64url>``."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if purpose not in PURPOSES:
        raise ValueError(f"unknown purpose {purpose}")
    key_id, key = _encryption_key()
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, value.encode("utf-8"), _aad(purpose, key_id))
    return f"{_VERSION}.{key_id}.{base64.urlsafe_b64encode(nonce + sealed).decode().rstrip('=')}"


def decrypt(token: str, *, purpose: str) -> str:
    """Decrypt a value made by :func:`encrypt` for the same ``purpose``; raises :class:`PiiError`."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        version, key_id, body = token.split(".", 2)
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (ValueError, AttributeError):
        raise PiiError("malformed ciphertext") from None
    if version != _VERSION or len(raw) < 12 + 16:
        raise PiiError("malformed ciphertext")
    key = _decryption_key(key_id)
    try:
        return AESGCM(key).decrypt(raw[:12], raw[12:], _aad(purpose, key_id)).decode("utf-8")
    except InvalidTag:
        raise PiiError("ciphertext does not authenticate (tampered, or another purpose)") from None


def _hash_key() -> bytes:
    now = time.monotonic()
    with _state.lock:
        if _state.hash_key and _state.hash_key[0] > now:
            return _state.hash_key[1]
    key = _state.secrets.hash_key()
    with _state.lock:
        _state.hash_key = (now + HASH_KEY_MAX_AGE_S, key)
    return key


def keyed_hash(value: str, *, purpose: str) -> str:
    """HMAC-SHA256 (hex) of ``"<purpose>:<value>"`` with the secret hash key. ``value`` must already be
    normalised (``parse_resident_id(...).number``, ``parse_mobile_phone(...)``)."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown purpose {purpose}")
    return hmac.new(_hash_key(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def protect_resident_id(number: str) -> dict[str, str]:
    """A normalised resident ID → ``{resident_id_hash, resident_id_masked, resident_id_enc}``."""
    return {"resident_id_hash": keyed_hash(number, purpose="resident_id"),
            "resident_id_masked": mask_resident_id(number),
            "resident_id_enc": encrypt(number, purpose="resident_id")}


def protect_phone(number: str) -> dict[str, str]:
    """A normalised mobile number → ``{phone_hash, phone_masked, phone_enc}``."""
    return {"phone_hash": keyed_hash(number, purpose="phone"), "phone_masked": mask_phone(number),
            "phone_enc": encrypt(number, purpose="phone")}
