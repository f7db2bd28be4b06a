"""The household as the API answers it: personal numbers masked (or revealed, audited), the money figures
(``totals``) computed by the customers domain."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from chalicelib.platform.geo import GeoPoint


class MemberOut(BaseModel):
    member_id: str
    relation: str
    name: str
    gender: str | None = None
    birth_date: date | None = None
    resident_id_masked: str | None = Field(default=None, description="e.g. 220122********123X")
    phone_masked: str | None = Field(default=None, description="e.g. 138****5678")
    resident_id: str | None = Field(default=None, description="only with ?reveal=true and pii:reveal")
    phone: str | None = Field(default=None, description="only with ?reveal=true and pii:reveal")
    occupation: str | None = None
    labour_capacity: str | None = None
    education: str | None = None
    health: str | None = None


class Totals(BaseModel):
    total_assets: Decimal
    total_liabilities: Decimal
    net_assets: Decimal
    gross_income: Decimal
    net_income: Decimal = Field(description="income − expenses (the figure the scorecard uses)")
    total_expenses: Decimal


class HouseholdOut(BaseModel):
    household_id: str
    version: int
    status: str = Field(description="draft | submitted | verified")
    data_source: str = Field(description="roster_import | door_to_door | self_service")
    collected_by: str
    village_code: str
    village_name: str | None = None
    township_name: str | None = None
    county_name: str | None = None
    village_group: str | None = None
    household_no: str | None = Field(default=None, description="户编号 of the village roster")
    address: str | None = None
    gps: GeoPoint | None = None
    head_member_id: str
    members: list[MemberOut]
    assets: dict[str, Any]
    liabilities: dict[str, Decimal]
    income: dict[str, Decimal]
    expenses: dict[str, Decimal]
    totals: Totals
    main_crops: list[str] | None = None
    expected_net_income: Decimal | None = None
    collected_on: date | None = None
    committee_assessment: str | None = None
    repayment_record: str | None = None
    blacklisted: bool = False
    verified_by: str | None = None
    created_at: str | None = None
    updated_at: str | None = None


def _member_out(m: dict[str, Any], revealed: dict[str, str] | None) -> MemberOut:
    data = {k: v for k, v in m.items() if not k.endswith("_enc") and not k.endswith("_hash")}
    if revealed:
        data.update(revealed)
    return MemberOut.model_validate(data)


def household_out(item: dict[str, Any], revealed: dict[str, dict[str, str]] | None = None) -> HouseholdOut:
    """The answer for a stored household (``revealed``: decrypted numbers by member id, from the service)."""
    from chalicelib.customers.domain.figures import totals

    data = {k: v for k, v in item.items() if k in HouseholdOut.model_fields}
    data["members"] = [_member_out(m, (revealed or {}).get(m["member_id"])) for m in item.get("members", [])]
    data["totals"] = totals(item)
    for k in ("assets", "liabilities", "income", "expenses"):
        data.setdefault(k, {})
    return HouseholdOut.model_validate(data)
