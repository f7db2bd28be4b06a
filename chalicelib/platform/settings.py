"""Runtime configuration: one pydantic settings model, validated once at cold start.

Every resource name comes from the environment that template.yaml gives each function (on AWS)
or that the local stack derives from the same template (locally). There are no silent defaults
for table names, bucket names or ARNs: a missing variable fails the cold start with a clear
message instead of a confusing AccessDenied later.
"""
from __future__ import annotations

from functools import cache

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Environment of every function. Field ``x`` reads variable ``X`` (upper case).

    Raises ``RuntimeError`` (from :func:`get_settings`) naming every missing or invalid variable.
    """

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)

    stage: str = Field(pattern=r"^(local|test|dev|staging|prod)$")
    aws_region: str = Field(validation_alias="AWS_REGION", default="us-east-1")
    core_table: str = Field(min_length=3)
    audit_table: str = Field(min_length=3)
    parameters_table: str = Field(min_length=3)
    idempotency_table: str = Field(min_length=3)
    documents_bucket: str = Field(min_length=3)
    reconciliation_queue_url: str = Field(min_length=3)
    pii_key_id: str = Field(min_length=1, description="KMS key id/alias for envelope encryption of personal data")
    pii_hash_secret_id: str = Field(min_length=1, description="Secrets Manager secret holding the HMAC key for exact-match search")
    cursor_secret_id: str = Field(min_length=1, description="Secrets Manager secret from which the key sealing page "
                                                            "cursors is derived (chalicelib.platform.dynamo.cursors)")
    contract_signing_key_id: str = Field(min_length=1, description="KMS asymmetric key (SIGN_VERIFY) of the sandbox e-signature adapter")
    user_pool_id: str = Field(min_length=3)
    user_pool_client_id: str = Field(min_length=3)
    jwt_issuer: str = Field(min_length=8, description="expected `iss` claim of ID tokens")
    jwks_url: str = Field(min_length=8, description="where the pool's public keys are fetched")
    approval_state_machine_arn: str = Field(min_length=10)
    disbursement_state_machine_arn: str = Field(min_length=10)
    campaign_state_machine_arn: str = Field(min_length=10)
    roster_import_function_name: str = Field(min_length=3, description="the roster import function, invoked asynchronously")
    business_timezone: str = "Asia/Shanghai"
    tracing_enabled: bool = Field(default=False, validation_alias="POWERTOOLS_TRACE_ENABLED")
    business_date_override: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$",
                                               description="local/test only: pin the business date")


@cache
def get_settings() -> Settings:
    """Return the validated settings; raise RuntimeError naming each bad variable."""
    try:
        settings = Settings()
    except ValidationError as exc:
        problems = ", ".join(f"{'.'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
        raise RuntimeError(f"invalid configuration: {problems}") from None
    if settings.business_date_override and settings.stage not in ("local", "test"):
        raise RuntimeError("BUSINESS_DATE_OVERRIDE is only allowed in local and test stages")
    return settings
