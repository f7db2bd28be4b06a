"""E-signature (电子签名) adapter: sign a contract's SHA-256 digest for a signer, and verify it.

Interface
---------
* :func:`sign` ``(digest_hex, signer_role, signer_id) -> {"signer_role", "signer_id", "algorithm", "key_id",
  "signature", "signed_at"}`` (``signature`` base64).
* :func:`verify` ``(digest_hex, signature_record) -> bool``.

Production plugs in a licensed CA (a certificate per signer, 电子签名法 art. 13/14). The sandbox signs with
the KMS asymmetric key ``CONTRACT_SIGNING_KEY_ID`` (RSASSA-PSS SHA-256). Because one key serves every
signer locally, what is signed binds the signer: ``SHA-256("<role>|<signer id>|<document digest>")``.
"""
from __future__ import annotations

import base64
import hashlib
from functools import cache
from typing import Any

from chalicelib.adapters import require_sandbox_stage
from chalicelib.platform.clock import utc_now_iso

ALGORITHM = "RSASSA_PSS_SHA_256"


@cache
def _kms() -> Any:
    from chalicelib.platform import aws

    return aws.kms()


def _key_id() -> str:
    from chalicelib.platform.settings import get_settings

    return get_settings().contract_signing_key_id


def _message(digest_hex: str, role: str, signer_id: str) -> bytes:
    return hashlib.sha256(f"{role}|{signer_id}|{digest_hex}".encode()).digest()


def sign(digest_hex: str, signer_role: str, signer_id: str) -> dict[str, Any]:
    require_sandbox_stage()
    out = _kms().sign(KeyId=_key_id(), Message=_message(digest_hex, signer_role, signer_id),
                      MessageType="DIGEST", SigningAlgorithm=ALGORITHM)
    return {"signer_role": signer_role, "signer_id": signer_id, "algorithm": ALGORITHM, "key_id": out["KeyId"],
            "signature": base64.b64encode(out["Signature"]).decode(), "signed_at": utc_now_iso()}


def verify(digest_hex: str, record: dict[str, Any]) -> bool:
    require_sandbox_stage()
    out = _kms().verify(KeyId=record["key_id"], Message=_message(digest_hex, record["signer_role"],
                                                                  record["signer_id"]),
                        MessageType="DIGEST", Signature=base64.b64decode(record["signature"]),
                        SigningAlgorithm=record["algorithm"])
    return bool(out["SignatureValid"])
