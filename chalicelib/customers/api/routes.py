"""Customer management (客户管理): household files and members, one person one household, agricultural
entities, roster imports, PAD offline sync and images.

Personal numbers (resident ID, phone) are answered masked. A caller whose role has ``pii:reveal``
may ask for the full numbers with ``?reveal=true``; that access is audited (action ``pii_reveal``).
Out-of-scope households answer 404 on every route. Searching by resident ID is a POST so that the
number never appears in a URL (URLs end up in access logs).
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from chalicelib.customers.domain.agri_entities import AgriEntityIn
from chalicelib.customers.domain.households import HouseholdIn, MemberIn, Relation
from chalicelib.platform.geo import GeoPoint
from chalicelib.platform.http.routing import Api, NextCursor, PageCursor, Request
from chalicelib.platform.inputs import Id, IsoDateTime, RequestModel, Uuid, VillageCode
from chalicelib.platform.text import text

api = Api("customers", tag="customer management")

NOT_FOUND = ("HOUSEHOLD_NOT_FOUND",)
WRITE_ERRORS = ("HOUSEHOLD_INVALID", "PERSON_IN_OTHER_HOUSEHOLD", "VERSION_CONFLICT", "VILLAGE_NOT_FOUND",
                "HOUSEHOLD_NOT_FOUND", "REQUEST_VALIDATION")


# ------------------------------------------------------------------------------------------ models

class RevealQuery(RequestModel):
    reveal: bool = Field(default=False, description="full ID/phone numbers (needs pii:reveal; audited)")


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


class HouseholdSummary(BaseModel):
    household_id: str
    version: int
    status: str
    data_source: str
    collected_by: str
    village_code: str
    village_group: str | None = None
    household_no: str | None = Field(default=None, description="户编号 of the village roster")
    head_name: str
    head_resident_id_masked: str | None = None
    member_count: int
    updated_at: str | None = None


class HouseholdPage(BaseModel):
    items: list[HouseholdSummary]
    cursor: NextCursor = None


class VillageHouseholdsQuery(RequestModel):
    status: Literal["draft", "submitted", "verified"] | None = None
    collected_by: Id | None = Field(default=None, description="user id of the account manager")
    limit: int = Field(default=50, ge=1, le=200)
    cursor: PageCursor = None


class HouseholdUpdate(HouseholdIn):
    version: int = Field(ge=1, description="the version the change is based on (optimistic lock)")


class SearchBody(RequestModel):
    resident_id: text(max_length=32) = Field(description="身份证号 (exact match through a keyed hash)")
    reveal: bool = False


class VersionBody(RequestModel):
    version: int = Field(ge=1)


class MemberAdd(RequestModel):
    version: int = Field(ge=1)
    member: MemberIn


class MemberUpdate(RequestModel):
    version: int = Field(ge=1)
    member: MemberIn


class MemberDeleteQuery(RequestModel):
    version: int = Field(ge=1)


class MoveBody(RequestModel):
    target_household_id: Id
    relation: Relation = Field(description="the person's relation to the target household's head")
    version: int = Field(ge=1, description="version of the source household")
    target_version: int = Field(ge=1, description="version of the target household")


class MoveResult(BaseModel):
    source: HouseholdOut
    target: HouseholdOut


class AgriEntityUpdate(AgriEntityIn):
    version: int = Field(ge=1)


class AgriEntityOut(BaseModel):
    entity_id: str
    version: int
    name: str
    uscc: str
    kind: str
    village_code: str
    legal_representative: dict[str, Any]
    registered_on: date | None = None
    address: str | None = None
    operations: dict[str, Any]
    assets: dict[str, Any]
    liabilities: dict[str, Any]
    created_at: str | None = None
    updated_at: str | None = None


class AgriEntityPage(BaseModel):
    items: list[AgriEntityOut]
    cursor: NextCursor = None


class PageQuery(RequestModel):
    limit: int = Field(default=50, ge=1, le=200)
    cursor: PageCursor = None


ROSTER_TYPES = Literal["text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"]


class ImportCreate(RequestModel):
    village_code: VillageCode
    filename: text(min_length=5, max_length=200, pattern=r"^[^/\\]+\.([Cc][Ss][Vv]|[Xx][Ll][Ss][Xx])$") = Field(
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


class ImageCreate(RequestModel):
    kind: Literal["id_card_front", "id_card_back", "house", "land", "livestock", "signature"]
    content_type: Literal["image/jpeg", "image/png", "image/webp"]
    size: int = Field(ge=1, le=10 * 1024 * 1024, description="bytes (signature: at most 1 MiB)")
    sha256: str = Field(pattern=r"^[0-9a-fA-F]{64}$")
    gps: GeoPoint | None = Field(default=None, description="where the photo was taken")
    taken_at: IsoDateTime | None = Field(default=None, description="when the photo was taken (RFC 3339 with UTC "
                                                                    "offset); answered in UTC")


class PresignedPost(BaseModel):
    url: str
    fields: dict[str, str]
    expires_in: int


class ImageOut(BaseModel):
    image_id: str
    household_id: str
    kind: str
    content_type: str
    size: int
    sha256: str
    gps: GeoPoint | None = None
    taken_at: str | None = None
    status: str = Field(description="pending | uploaded | rejected")
    rejection: str | None = None
    created_at: str
    upload: PresignedPost | None = None
    download_url: str | None = None


class ImageList(BaseModel):
    items: list[ImageOut]


# ------------------------------------------------------------------------------------------ mapping

def _member_out(m: dict[str, Any], revealed: dict[str, str] | None) -> MemberOut:
    data = {k: v for k, v in m.items() if not k.endswith("_enc") and not k.endswith("_hash")}
    if revealed:
        data.update(revealed)
    return MemberOut.model_validate(data)


def household_out(item: dict[str, Any], revealed: dict[str, dict[str, str]] | None = None) -> HouseholdOut:
    from chalicelib.customers.domain.households import totals

    data = {k: v for k, v in item.items() if k in HouseholdOut.model_fields}
    data["members"] = [_member_out(m, (revealed or {}).get(m["member_id"])) for m in item.get("members", [])]
    data["totals"] = totals(item)
    for k in ("assets", "liabilities", "income", "expenses"):
        data.setdefault(k, {})
    return HouseholdOut.model_validate(data)


def _maybe_reveal(req: Request, item: dict[str, Any], reveal: bool) -> HouseholdOut:
    from chalicelib.customers.data import households

    revealed = households.reveal(req.principal, item) if reveal else None
    return household_out(item, revealed)


def _summary(item: dict[str, Any]) -> HouseholdSummary:
    head = next((m for m in item.get("members", []) if m["member_id"] == item.get("head_member_id")), {})
    return HouseholdSummary.model_validate({**item, "head_resident_id_masked": head.get("resident_id_masked")})


def _client_view(record: SyncRecord) -> dict[str, Any]:
    from chalicelib.platform.identity import mask_phone, mask_resident_id

    data = record.household.model_dump(mode="json", exclude_none=True)
    for m in data.get("members", []):
        if "resident_id" in m:
            m["resident_id_masked"] = mask_resident_id(m.pop("resident_id"))
        if "phone" in m:
            m["phone_masked"] = mask_phone(m.pop("phone"))
    return {"base_version": record.base_version, "household": data}


def _entity_out(item: dict[str, Any]) -> AgriEntityOut:
    return AgriEntityOut.model_validate({k: v for k, v in item.items() if k in AgriEntityOut.model_fields})


def _image_out(item: dict[str, Any], **extra: Any) -> ImageOut:
    data = {k: v for k, v in item.items() if k in ImageOut.model_fields}
    data.update(extra)
    return ImageOut.model_validate(data)


def _import_out(item: dict[str, Any], **extra: Any) -> ImportOut:
    data = {k: v for k, v in item.items() if k in ImportOut.model_fields}
    data.update(extra)
    return ImportOut.model_validate(data)


# ------------------------------------------------------------------------------------------ households

@api.route("/households", "POST", summary="File a household (door to door); status draft, version 1",
           permission="household:write", body=HouseholdIn, response=HouseholdOut, status=201,
           errors=("HOUSEHOLD_INVALID", "PERSON_IN_OTHER_HOUSEHOLD", "VILLAGE_NOT_FOUND"))
def create_household(req: Request) -> HouseholdOut:
    from chalicelib.customers.data import households

    return household_out(households.create(req.principal, req.body))


@api.route("/households/{household_id}", "GET", summary="A household file (personal numbers masked)",
           permission="household:read", query=RevealQuery, response=HouseholdOut,
           errors=NOT_FOUND + ("PERMISSION_DENIED",))
def get_household(req: Request, household_id: str) -> HouseholdOut:
    from chalicelib.customers.data import households

    return _maybe_reveal(req, households.get(req.principal, household_id), req.query.reveal)


@api.route("/households/{household_id}", "PUT", summary="Replace a household file (optimistic lock on version)",
           permission="household:write", body=HouseholdUpdate, response=HouseholdOut, errors=WRITE_ERRORS)
def update_household(req: Request, household_id: str) -> HouseholdOut:
    from chalicelib.customers.data import households

    inp = HouseholdIn.model_validate(req.body.model_dump(exclude={"version"}, exclude_unset=True))
    return household_out(households.update(req.principal, household_id, inp, expected_version=req.body.version))


@api.route("/households/search", "POST", summary="Find the household of a person by resident ID number",
           permission="household:read", body=SearchBody, response=HouseholdOut,
           errors=NOT_FOUND + ("ID_FORMAT", "ID_CHECK_DIGIT", "ID_LEGACY_15"))
def search_household(req: Request) -> HouseholdOut:
    from chalicelib.customers.data import households

    return _maybe_reveal(req, households.find_by_resident_id(req.principal, req.body.resident_id), req.body.reveal)


@api.route("/villages/{village_code}/households", "GET", summary="A village's households (paged, filtered)",
           permission="household:read", query=VillageHouseholdsQuery, response=HouseholdPage,
           errors=("VILLAGE_NOT_FOUND", "INVALID_CURSOR"))
def village_households(req: Request, village_code: str) -> HouseholdPage:
    from chalicelib.customers.data import households

    q = req.query
    page = households.list_village_page(req.principal, village_code, status=q.status, collected_by=q.collected_by,
                                        limit=q.limit, cursor=q.cursor)
    return HouseholdPage(items=[_summary(i) for i in page.items], cursor=page.cursor)


@api.route("/households/{household_id}/submit", "POST", summary="Submit a draft household for verification",
           permission="household:write", body=VersionBody, response=HouseholdOut,
           errors=NOT_FOUND + ("HOUSEHOLD_STATUS", "VERSION_CONFLICT"))
def submit_household(req: Request, household_id: str) -> HouseholdOut:
    from chalicelib.customers.data import households

    return household_out(households.set_status(req.principal, household_id, "submitted",
                                               expected_version=req.body.version))


@api.route("/households/{household_id}/verify", "POST",
           summary="Verify a submitted household (not by its collecting account manager)",
           permission="household:write", body=VersionBody, response=HouseholdOut,
           errors=NOT_FOUND + ("HOUSEHOLD_STATUS", "VERSION_CONFLICT", "VERIFIER_IS_COLLECTOR"))
def verify_household(req: Request, household_id: str) -> HouseholdOut:
    from chalicelib.customers.data import households

    return household_out(households.set_status(req.principal, household_id, "verified",
                                               expected_version=req.body.version))


@api.route("/households/{household_id}/return", "POST", summary="Return a submitted household to draft",
           permission="household:write", body=VersionBody, response=HouseholdOut,
           errors=NOT_FOUND + ("HOUSEHOLD_STATUS", "VERSION_CONFLICT"))
def return_household(req: Request, household_id: str) -> HouseholdOut:
    from chalicelib.customers.data import households

    return household_out(households.set_status(req.principal, household_id, "draft",
                                               expected_version=req.body.version))


# ------------------------------------------------------------------------------------------ members

def _as_input(item: dict[str, Any], members: list[dict[str, Any]]) -> HouseholdIn:
    """The stored household as an input document with a new member list. Members given without
    ``resident_id`` / ``phone`` keep their stored (protected) values, found by ``member_id``."""
    data = {k: item.get(k) for k in ("village_code", "village_group", "household_no", "address", "gps", "assets",
                                     "liabilities", "income", "expenses", "main_crops", "expected_net_income",
                                     "collected_on", "committee_assessment", "repayment_record", "blacklisted")
            if item.get(k) is not None}
    return HouseholdIn.model_validate({**data, "members": members})


def _stored_member(m: dict[str, Any]) -> dict[str, Any]:
    return {k: m[k] for k in ("member_id", "relation", "name", "occupation", "labour_capacity", "education",
                              "health") if m.get(k) is not None}


@api.route("/households/{household_id}/members", "POST", summary="Add a member to a household",
           permission="household:write", body=MemberAdd, response=HouseholdOut, status=201, errors=WRITE_ERRORS)
def add_member(req: Request, household_id: str) -> HouseholdOut:
    from chalicelib.customers.data import households

    item = households.get(req.principal, household_id)
    new = req.body.member.model_dump(exclude_unset=True)
    new.pop("member_id", None)
    members = [_stored_member(m) for m in item["members"]] + [new]
    return household_out(households.update(req.principal, household_id, _as_input(item, members),
                                           expected_version=req.body.version, action="member_added"))


@api.route("/households/{household_id}/members/{member_id}", "PUT", summary="Change one member",
           permission="household:write", body=MemberUpdate, response=HouseholdOut,
           errors=WRITE_ERRORS + ("MEMBER_NOT_FOUND",))
def update_member(req: Request, household_id: str, member_id: str) -> HouseholdOut:
    from chalicelib.customers.data import households
    from chalicelib.platform.errors import NotFound

    item = households.get(req.principal, household_id)
    if not any(m["member_id"] == member_id for m in item["members"]):
        raise NotFound("member not found", code="MEMBER_NOT_FOUND", field="member_id")
    changed = {**req.body.member.model_dump(exclude_unset=True), "member_id": member_id}
    members = [changed if m["member_id"] == member_id else _stored_member(m) for m in item["members"]]
    return household_out(households.update(req.principal, household_id, _as_input(item, members),
                                           expected_version=req.body.version, action="member_changed"))


@api.route("/households/{household_id}/members/{member_id}", "DELETE",
           summary="Remove a member (frees the person for another household)", permission="household:write",
           query=MemberDeleteQuery, response=HouseholdOut, errors=WRITE_ERRORS + ("MEMBER_NOT_FOUND",))
def remove_member(req: Request, household_id: str, member_id: str) -> HouseholdOut:
    from chalicelib.customers.data import households
    from chalicelib.platform.errors import NotFound

    item = households.get(req.principal, household_id)
    if not any(m["member_id"] == member_id for m in item["members"]):
        raise NotFound("member not found", code="MEMBER_NOT_FOUND", field="member_id")
    members = [_stored_member(m) for m in item["members"] if m["member_id"] != member_id]
    return household_out(households.update(req.principal, household_id, _as_input(item, members),
                                           expected_version=req.query.version, action="member_removed"))


@api.route("/households/{household_id}/members/{member_id}/move", "POST",
           summary="Move a person to another household (explicit, atomic)", permission="household:write",
           body=MoveBody, response=MoveResult,
           errors=NOT_FOUND + ("MEMBER_NOT_FOUND", "MEMBER_IS_HEAD", "VERSION_CONFLICT", "MOVE_AS_HEAD"))
def move_member(req: Request, household_id: str, member_id: str) -> MoveResult:
    from chalicelib.customers.data import households

    b = req.body
    src, dst = households.move_member(req.principal, household_id, member_id,
                                      target_household_id=b.target_household_id, relation=b.relation,
                                      expected_version=b.version, target_expected_version=b.target_version)
    return MoveResult(source=household_out(src), target=household_out(dst))


# ------------------------------------------------------------------------------------------ agricultural entities

@api.route("/agri-entities", "POST", summary="File an agricultural entity (family farm, cooperative, ...)",
           permission="household:write", body=AgriEntityIn, response=AgriEntityOut, status=201,
           errors=("AGRI_ENTITY_INVALID", "USCC_EXISTS", "LEGAL_REP_NOT_FOUND", "VILLAGE_NOT_FOUND"))
def create_entity(req: Request) -> AgriEntityOut:
    from chalicelib.customers.data import agri_entities

    return _entity_out(agri_entities.create(req.principal, req.body))


@api.route("/agri-entities/{entity_id}", "GET", summary="An agricultural entity", permission="household:read",
           response=AgriEntityOut, errors=("AGRI_ENTITY_NOT_FOUND",))
def get_entity(req: Request, entity_id: str) -> AgriEntityOut:
    from chalicelib.customers.data import agri_entities

    return _entity_out(agri_entities.get(req.principal, entity_id))


@api.route("/agri-entities/{entity_id}", "PUT", summary="Replace an agricultural entity (optimistic lock)",
           permission="household:write", body=AgriEntityUpdate, response=AgriEntityOut,
           errors=("AGRI_ENTITY_NOT_FOUND", "AGRI_ENTITY_INVALID", "USCC_EXISTS", "VERSION_CONFLICT"))
def update_entity(req: Request, entity_id: str) -> AgriEntityOut:
    from chalicelib.customers.data import agri_entities

    inp = AgriEntityIn.model_validate(req.body.model_dump(exclude={"version"}))
    return _entity_out(agri_entities.update(req.principal, entity_id, inp, expected_version=req.body.version))


@api.route("/villages/{village_code}/agri-entities", "GET", summary="A village's agricultural entities",
           permission="household:read", query=PageQuery, response=AgriEntityPage,
           errors=("VILLAGE_NOT_FOUND", "INVALID_CURSOR"))
def village_entities(req: Request, village_code: str) -> AgriEntityPage:
    from chalicelib.customers.data import agri_entities

    page = agri_entities.list_village(req.principal, village_code, limit=req.query.limit, cursor=req.query.cursor)
    return AgriEntityPage(items=[_entity_out(i) for i in page.items], cursor=page.cursor)


# ------------------------------------------------------------------------------------------ roster imports

@api.route("/imports", "POST", summary="Start a roster import: returns an upload URL for the file",
           permission="import:write", body=ImportCreate, response=ImportOut, status=201,
           errors=("VILLAGE_NOT_FOUND", "VILLAGE_CODE_UNKNOWN"))
def create_import(req: Request) -> ImportOut:
    from chalicelib.admin import public as orgs
    from chalicelib.customers.data import imports
    from chalicelib.platform import aws
    from chalicelib.platform.settings import get_settings
    from chalicelib.reference.divisions import get_village

    get_village(req.body.village_code)
    village = orgs.get_village(req.principal, req.body.village_code)
    job = imports.create(req.principal, village, filename=req.body.filename, content_type=req.body.content_type)
    url = aws.s3().generate_presigned_url(
        "put_object", Params={"Bucket": get_settings().documents_bucket, "Key": job["s3_key"],
                              "ContentType": req.body.content_type}, ExpiresIn=900)
    return _import_out(job, upload=UploadTicket(url=url, headers={"Content-Type": req.body.content_type},
                                                expires_in=900))


@api.route("/imports/{import_id}/start", "POST",
           summary="Process the uploaded roster (asynchronously; poll GET /imports/{import_id})",
           permission="import:write", response=ImportOut, status=202,
           errors=("IMPORT_NOT_FOUND", "IMPORT_STATUS", "IMPORT_FILE_MISSING", "ROSTER_TOO_LARGE"))
def start_import(req: Request, import_id: str) -> ImportOut:
    import json

    from botocore.exceptions import ClientError

    from chalicelib.customers.data import imports
    from chalicelib.customers.domain.roster import MAX_BYTES
    from chalicelib.platform import aws
    from chalicelib.platform.errors import Conflict, ValidationFailed
    from chalicelib.platform.settings import get_settings

    settings = get_settings()
    job = imports.get(req.principal, import_id)
    try:
        head = aws.s3().head_object(Bucket=settings.documents_bucket, Key=job["s3_key"])
    except ClientError:
        raise Conflict("upload the file to the upload URL first", code="IMPORT_FILE_MISSING") from None
    if head["ContentLength"] > MAX_BYTES:
        raise ValidationFailed("the roster file is larger than 20 MB", code="ROSTER_TOO_LARGE", field="file")
    job = imports.mark_queued(import_id, size=int(head["ContentLength"]))
    # Event invocation returns at once on AWS; the local stack runs the handler before answering,
    # hence the long read timeout and no retries (the job is claimed once anyway).
    lam = aws.lambda_async()
    lam.invoke(FunctionName=settings.roster_import_function_name, InvocationType="Event",
               Payload=json.dumps({"import_id": import_id}).encode())
    return _import_out(imports.get(req.principal, import_id) or job)


@api.route("/imports/{import_id}", "GET", summary="Import status: progress, counts and the per-row report",
           permission="import:write", response=ImportOut, errors=("IMPORT_NOT_FOUND",))
def get_import(req: Request, import_id: str) -> ImportOut:
    from chalicelib.customers.data import imports
    from chalicelib.platform import aws
    from chalicelib.platform.settings import get_settings

    job = imports.get(req.principal, import_id)
    extra: dict[str, Any] = {}
    if job["status"] == "completed":
        extra["report_url"] = aws.s3().generate_presigned_url(
            "get_object", Params={"Bucket": get_settings().documents_bucket, "Key": job["report_key"]},
            ExpiresIn=300)
    return _import_out(job, **extra)


# ------------------------------------------------------------------------------------------ PAD sync

@api.route("/sync/households", "POST",
           summary="PAD offline sync: apply records made offline (idempotent per op_id; conflicts reported)",
           permission="household:write", body=SyncBody, response=SyncResponse)
def sync_households(req: Request) -> SyncResponse:
    from chalicelib.customers.data import sync

    results = []
    for rec in req.body.records:
        out = sync.apply_record(req.principal, device_id=req.body.device_id, op_id=str(rec.op_id),
                                household_id=str(rec.household_id), base_version=rec.base_version,
                                household=rec.household)
        result: dict[str, Any] = {"op_id": str(rec.op_id), "household_id": str(rec.household_id),
                                  **{k: v for k, v in out.items() if k != "server"}}
        if out["outcome"] == "conflict":
            result["server"] = household_out(out["server"]) if out.get("server") else None
            result["client"] = _client_view(rec)
        results.append(SyncResult.model_validate(result))
    return SyncResponse(results=results)


# ------------------------------------------------------------------------------------------ images

@api.route("/households/{household_id}/images", "POST",
           summary="Register an image and get a presigned upload (POST policy: type and size bounded)",
           permission="image:write", body=ImageCreate, response=ImageOut, status=201,
           errors=NOT_FOUND + ("IMAGE_CONTENT_TYPE", "IMAGE_TOO_LARGE"))
def create_image(req: Request, household_id: str) -> ImageOut:
    from chalicelib.customers.data import images
    from chalicelib.platform.clock import iso_utc

    b = req.body
    item, post = images.create(req.principal, household_id, kind=b.kind, content_type=b.content_type, size=b.size,
                               sha256=b.sha256, gps=b.gps.stored() if b.gps else None,
                               taken_at=iso_utc(b.taken_at) if b.taken_at else None)
    return _image_out(item, upload=PresignedPost.model_validate(post))


@api.route("/households/{household_id}/images/{image_id}/confirm", "POST",
           summary="Check the uploaded image (size, type, SHA-256) and make it available",
           permission="image:write", response=ImageOut, errors=("IMAGE_NOT_FOUND", "IMAGE_NOT_UPLOADED"))
def confirm_image(req: Request, household_id: str, image_id: str) -> ImageOut:
    from chalicelib.customers.data import images

    return _image_out(images.confirm(req.principal, household_id, image_id))


@api.route("/households/{household_id}/images", "GET", summary="A household's images (metadata)",
           permission="household:read", response=ImageList, errors=NOT_FOUND)
def list_images(req: Request, household_id: str) -> ImageList:
    from chalicelib.customers.data import images

    return ImageList(items=[_image_out(i) for i in images.list_for(req.principal, household_id)])


@api.route("/households/{household_id}/images/{image_id}", "GET",
           summary="One image's metadata and a short-lived download URL", permission="household:read",
           response=ImageOut, responses={409: "IMAGE_NOT_AVAILABLE: the upload is not complete yet"},
           errors=("IMAGE_NOT_FOUND", "IMAGE_NOT_AVAILABLE"))
def get_image(req: Request, household_id: str, image_id: str) -> ImageOut:
    from chalicelib.customers.data import images

    item = images.get(req.principal, household_id, image_id)
    extra = {"download_url": images.download_url(item)} if item["status"] == "uploaded" else {}
    return _image_out(item, **extra)
