"""Opaque page cursors: the continuation of a listing, sealed for one caller and one query.

A listing answers ``cursor`` so that the client can ask for the next page. What the server needs to continue
(DynamoDB's ``LastEvaluatedKey``, or the unit and key of a listing that walks several partitions) names
items: household, rating and line ids, timestamps, another organisation's keys. So the client never sees it:
:func:`seal` encrypts and authenticates it with AES-256-GCM (NIST SP 800-38D) under a server key, and
:func:`unseal` accepts only a cursor that

* was sealed by this server (the GCM tag; a changed byte fails),
* for the same **caller** (user id) and the same **listing** (route) with the same **parameters** (path
  parameters and filters: everything but ``cursor`` and ``limit``) — these are the associated data, so a
  cursor of user A used by user B, or of one query used on another, does not authenticate,
* and has not expired (:data:`TTL_SECONDS` after it was issued, by :func:`chalicelib.platform.clock.utc_now`).

Every refusal is the same 400 ``INVALID_CURSOR`` (field ``cursor``): the client learns nothing about why.
The plaintext is padded to a multiple of :data:`PAD_TO` bytes, so the length of a cursor does not tell the
length of the key inside either.

Wire format (url-safe base64 without padding): ``version (1 byte) ‖ nonce (12) ‖ ciphertext ‖ tag (16)``.

The key: 32 bytes derived with HKDF-SHA256 (RFC 5869) from the secret ``settings.cursor_secret_id`` in
Secrets Manager (template.yaml ``CursorSecret``), with the info label :data:`_INFO`; read once and cached
for :data:`KEY_MAX_AGE_S` seconds per process. Rotating the secret invalidates outstanding cursors (their
listings answer ``INVALID_CURSOR`` and the client starts again from the first page). See
docs/decisions/0051-opaque-cursors-and-existence-oracles.md.

The route layer (``chalicelib.platform.http.routing``) opens the cursor a client sends and seals the one a handler
returns; handlers and repositories only ever see the inner continuation (``chalicelib.platform.dynamo``).
"""
from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from chalicelib.platform.errors import BadRequest

VERSION = 1
TTL_SECONDS = 24 * 3600
PAD_TO = 64
KEY_MAX_AGE_S = 3600.0
_INFO = b"village-credit/page-cursor/aes-256-gcm/v1"
_NONCE = 12
_TAG = 16


@dataclass(frozen=True)
class Binding:
    """What a cursor is bound to: the ``caller`` (user id), the ``listing`` (e.g. ``GET /audit/{entity_type}/
    {entity_id}``) and its ``params`` (path parameters and filters, JSON values; not ``cursor``/``limit``)."""

    caller: str
    listing: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def associated_data(self) -> bytes:
        """The GCM associated data: the version, then the binding as canonical JSON."""
        body = json.dumps({"caller": self.caller, "listing": self.listing, "params": dict(self.params)},
                          sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
        return bytes([VERSION]) + b"village-credit cursor\x00" + body.encode("utf-8")


def invalid() -> BadRequest:
    """The one answer to any cursor that cannot be used (tampered, expired, another caller or query)."""
    return BadRequest("the cursor is not valid for this listing (it may have expired, or belong to another "
                      "caller or query): start again from the first page", code="INVALID_CURSOR", field="cursor")


# ------------------------------------------------------------------------------------------------ key
def _secret_from_secrets_manager() -> bytes:
    from chalicelib.platform import aws
    from chalicelib.platform.settings import get_settings

    value = aws.secretsmanager().get_secret_value(SecretId=get_settings().cursor_secret_id)
    secret = value.get("SecretString") or value["SecretBinary"]
    return secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)


class _KeyCache:
    def __init__(self, source: Callable[[], bytes]) -> None:
        self.source = source
        self.lock = threading.Lock()
        self.key: tuple[float, bytes] | None = None

    def get(self) -> bytes:
        now = time.monotonic()
        with self.lock:
            if self.key and self.key[0] > now:
                return self.key[1]
        key = derive_key(self.source())
        with self.lock:
            self.key = (now + KEY_MAX_AGE_S, key)
        return key


_keys = _KeyCache(_secret_from_secrets_manager)


def derive_key(secret: bytes) -> bytes:
    """The AES-256 key of cursors: HKDF-SHA256 of the secret with this module's info label (RFC 5869)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    if len(secret) < 32:
        raise ValueError("the cursor secret must have at least 32 bytes")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret)


def use_secret_source(source: Callable[[], bytes] | None) -> None:
    """Take the secret from ``source`` (tests; ``None``: Secrets Manager again) and forget the cached key."""
    global _keys
    _keys = _KeyCache(source or _secret_from_secrets_manager)


# ------------------------------------------------------------------------------------------------ seal / open
def seal(binding: Binding, state: Any) -> str:
    """Seal ``state`` (any JSON value: the inner continuation) for ``binding``; returns the opaque cursor."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from chalicelib.platform.clock import utc_now

    expires = int(utc_now().timestamp()) + TTL_SECONDS
    plain = json.dumps({"s": state, "x": expires}, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    plain += b" " * (-len(plain) % PAD_TO)  # trailing blanks are JSON whitespace
    nonce = os.urandom(_NONCE)
    sealed = AESGCM(_keys.get()).encrypt(nonce, plain, binding.associated_data())
    return base64.urlsafe_b64encode(bytes([VERSION]) + nonce + sealed).decode("ascii").rstrip("=")


def unseal(binding: Binding, cursor: str) -> Any:
    """The state sealed in ``cursor`` for ``binding``; raises BadRequest ``INVALID_CURSOR`` (field ``cursor``)
    when the cursor is malformed, does not authenticate for this binding, or has expired."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from chalicelib.platform.clock import utc_now

    try:
        raw = base64.urlsafe_b64decode(cursor.encode("ascii") + b"=" * (-len(cursor) % 4))
    except (ValueError, UnicodeError):
        raise invalid() from None
    if len(raw) < 1 + _NONCE + _TAG or raw[0] != VERSION:
        raise invalid()
    try:
        plain = AESGCM(_keys.get()).decrypt(raw[1:1 + _NONCE], raw[1 + _NONCE:], binding.associated_data())
        body = json.loads(plain.decode("utf-8"))
    except (InvalidTag, ValueError, UnicodeError):
        raise invalid() from None
    if not isinstance(body, dict) or type(body.get("x")) is not int or "s" not in body:
        raise invalid()
    if body["x"] < int(utc_now().timestamp()):
        raise invalid()
    return body["s"]
