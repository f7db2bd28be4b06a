"""PAD offline sync (离线采集同步): records made offline, applied idempotently per ``op_id``; conflicts are reported
with both copies (masked), never overwritten."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from chalicelib.customers.api.base import api
from chalicelib.customers.api.views import HouseholdOut, household_out
from chalicelib.customers.domain.households import HouseholdIn
from chalicelib.platform.http.routing import Request
from chalicelib.platform.inputs import Id, RequestModel, Uuid


class SyncRecord(RequestModel):
    op_id: Uuid = Field(description="client-generated id of this edit (idempotency)")
    household_id: Uuid = Field(description="client-generated for a new household")
    base_version: int | None = Field(default=None, ge=1, description="server version the edit is based on; "
                                                                      "null for a new household")
    household: HouseholdIn


class SyncBody(RequestModel):
    device_id: Id = Field(description="the PAD's id, e.g. PAD-0007")
    records: list[SyncRecord] = Field(min_length=1, max_length=25)


class SyncResult(BaseModel):
    op_id: str
    household_id: str
    outcome: str = Field(description="created | updated | unchanged | conflict | rejected")
    code: str | None = None
    version: int | None = None
    replayed: bool = False
    server: HouseholdOut | None = Field(default=None, description="conflict: the current server copy")
    client: dict[str, Any] | None = Field(default=None, description="conflict: the record as sent (masked)")
    errors: list[dict[str, str]] | None = None


class SyncResponse(BaseModel):
    results: list[SyncResult]


def _client_view(record: SyncRecord) -> dict[str, Any]:
    from chalicelib.platform.identity import mask_phone, mask_resident_id

    data = record.household.model_dump(mode="json", exclude_none=True)
    for m in data.get("members", []):
        if "resident_id" in m:
            m["resident_id_masked"] = mask_resident_id(m.pop("resident_id"))
        if "phone" in m:
            m["phone_masked"] = mask_phone(m.pop("phone"))
    return {"base_version": record.base_version, "household": data}


@api.route("/sync/households", "POST",
           summary="PAD offline sync: apply records made offline (idempotent per op_id; conflicts reported)",
           permission="household:write", body=SyncBody, response=SyncResponse)
def sync_households(req: Request) -> SyncResponse:
    from chalicelib.customers.service import sync

    results = []
    for rec in req.body.records:
        out = sync.apply_record(req.caller, device_id=req.body.device_id, op_id=str(rec.op_id),
                                household_id=str(rec.household_id), base_version=rec.base_version,
                                household=rec.household)
        result: dict[str, Any] = {"op_id": str(rec.op_id), "household_id": str(rec.household_id),
                                  **{k: v for k, v in out.items() if k != "server"}}
        if out["outcome"] == "conflict":
            result["server"] = household_out(out["server"]) if out.get("server") else None
            result["client"] = _client_view(rec)
        results.append(SyncResult.model_validate(result))
    return SyncResponse(results=results)
