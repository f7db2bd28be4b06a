"""Wrapped (KMS-encrypted) data keys of the personal-data envelope encryption (``chalicelib.platform.pii``, which
imports this module only when it makes or unwraps a data key: pynamodb is not loaded before).

Item (core table): :class:`PiiDataKey`, ``PIIKEY#<key_id>`` / ``PIIKEY`` with ``wrapped_key`` (base64 of the KMS
ciphertext blob), ``kms_key_id`` and ``created_at``. Written once when a process generates a data key; read when
a ciphertext names a key this process has not unwrapped yet. Never holds a plaintext key.
"""
from __future__ import annotations

import base64

from pynamodb.attributes import UnicodeAttribute

from chalicelib.platform.clock import utc_now_iso
from chalicelib.platform.dynamo.models import CoreModel


class PiiDataKey(CoreModel):
    """A wrapped data key (see the module docstring)."""

    kind = UnicodeAttribute(default="pii_data_key")
    key_id = UnicodeAttribute()
    wrapped_key = UnicodeAttribute()
    kms_key_id = UnicodeAttribute()
    created_at = UnicodeAttribute()

    @staticmethod
    def key(key_id: str) -> tuple[str, str]:
        return f"PIIKEY#{key_id}", "PIIKEY"

    def fill_keys(self) -> None:
        self.PK, self.SK = self.key(self.key_id)


def put_wrapped(key_id: str, wrapped: bytes, kms_key_id: str) -> None:
    """Store a wrapped data key (idempotent: the id is derived from the blob)."""
    PiiDataKey(key_id=key_id, wrapped_key=base64.b64encode(wrapped).decode(), kms_key_id=kms_key_id,
               created_at=utc_now_iso()).put()


def get_wrapped(key_id: str) -> bytes | None:
    """The wrapped data key of ``key_id``, or ``None``."""
    found = PiiDataKey.find(*PiiDataKey.key(key_id))
    return base64.b64decode(found.wrapped_key) if found else None
