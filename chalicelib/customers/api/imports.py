"""Roster imports (批量导入): start a job (upload URL), process the uploaded file asynchronously, poll the status
and the per-row report."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from pydantic import BaseModel, Field

from chalicelib.customers.api.base import api
from chalicelib.platform.http.routing import Request
from chalicelib.platform.inputs import RequestModel, VillageCode
from chalicelib.platform.text import text

if TYPE_CHECKING:
    RosterFilename: TypeAlias = str
else:  # pydantic's constrained type (mypy sees str: a call is no annotation for it)
    RosterFilename = text(min_length=5, max_length=200, pattern=r"^[^/\\]+\.([Cc][Ss][Vv]|[Xx][Ll][Ss][Xx])$")

ROSTER_TYPES = Literal["text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"]


class ImportCreate(RequestModel):
    village_code: VillageCode
    filename: RosterFilename = Field(
        description="the file's name as the user chose it: .csv or .xlsx, no path")
    content_type: ROSTER_TYPES
    size: int = Field(ge=1, le=20 * 1024 * 1024, description="bytes")


class UploadTicket(BaseModel):
    method: str = "PUT"
    url: str
    headers: dict[str, str]
    expires_in: int


class RowProblem(BaseModel):
    row: int
    field: str
    code: str
    message: str


class ImportOut(BaseModel):
    import_id: str
    village_code: str
    status: str = Field(description="awaiting_upload | queued | running | completed | failed")
    filename: str
    progress: dict[str, int]
    counts: dict[str, int]
    errors: list[RowProblem] = Field(description="per-row report (first 500 lines; the full report at report_url)")
    errors_total: int
    failure: dict[str, str] | None = None
    upload: UploadTicket | None = None
    report_url: str | None = None
    created_at: str
    started_at: str | None = None
    finished_at: str | None = None


def _import_out(item: dict[str, Any], **extra: Any) -> ImportOut:
    data = {k: v for k, v in item.items() if k in ImportOut.model_fields}
    data.update(extra)
    return ImportOut.model_validate(data)


@api.route("/imports", "POST", summary="Start a roster import: returns an upload URL for the file",
           permission="import:write", body=ImportCreate, response=ImportOut, status=201,
           errors=("VILLAGE_NOT_FOUND", "VILLAGE_CODE_UNKNOWN"))
def create_import(req: Request) -> ImportOut:
    from chalicelib.customers.service import imports

    b = req.body
    job, ticket = imports.create(req.caller, village_code=b.village_code, filename=b.filename,
                                 content_type=b.content_type)
    return _import_out(job, upload=UploadTicket.model_validate(ticket))


@api.route("/imports/{import_id}/start", "POST",
           summary="Process the uploaded roster (asynchronously; poll GET /imports/{import_id})",
           permission="import:write", response=ImportOut, status=202,
           errors=("IMPORT_NOT_FOUND", "IMPORT_STATUS", "IMPORT_FILE_MISSING", "ROSTER_TOO_LARGE"))
def start_import(req: Request, import_id: str) -> ImportOut:
    from chalicelib.customers.service import imports

    return _import_out(imports.start(req.caller, import_id))


@api.route("/imports/{import_id}", "GET", summary="Import status: progress, counts and the per-row report",
           permission="import:write", response=ImportOut, errors=("IMPORT_NOT_FOUND",))
def get_import(req: Request, import_id: str) -> ImportOut:
    from chalicelib.customers.service import imports

    job, report_url = imports.get(req.caller, import_id)
    return _import_out(job, **({"report_url": report_url} if report_url else {}))
