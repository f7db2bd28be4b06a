"""Household file (农户档案): the input model and its rules. Pure domain code (no I/O).

A household (户) is the credit subject of whole-village credit. Its file holds the head (户主) and
members (家庭成员), the village by 12-digit division code and village group (村民小组), address and
the GPS point of collection, assets, liabilities, net income by source, expenses, the village
committee assessment (村委评议), the repayment record, the data source and the collecting account
manager. Field checklist: ``farmer_household_schema.json`` of the shared reference (see
docs/roster_template.md for the mapping to roster columns).

:class:`HouseholdIn` is the request body of create/update and the target of the roster import and
PAD sync. :func:`normalise` applies the cross-field rules and returns a :class:`Normalised`
household whose members carry the *plain* normalised resident ID and phone number: the data layer
encrypts and hashes them (``chalicelib.platform.pii``) and never stores or logs the plain values.

Errors: ``ValidationFailed`` code ``HOUSEHOLD_INVALID`` with one :class:`FieldError` per problem
(every problem at once, not the first one only). Field codes:

==============================  =====================================================================
``ID_*``                        resident ID rules (``chalicelib.platform.identity``), field ``members[i].resident_id``
``PHONE_FORMAT``                not a mainland mobile number, ``members[i].phone``
``MEMBER_RESIDENT_ID_REQUIRED`` a new member without resident ID number
``MEMBER_GENDER_MISMATCH``      declared gender differs from the ID's sequence-code parity
``MEMBER_BIRTH_DATE_MISMATCH``  declared birth date differs from the ID's birth date
``MEMBER_DUPLICATE_ID``         the same resident ID twice in one household
``MEMBER_DUPLICATE``            the same ``member_id`` twice
``HOUSEHOLD_HEAD_COUNT``        not exactly one member with relation ``head``
``HOUSEHOLD_SPOUSE_COUNT``      more than one ``spouse``
``HEAD_MINOR``                  the head is younger than 16 (cannot be a civil subject of credit)
``DATE_IN_FUTURE``              the collection date is after today
``GPS_OUT_OF_AREA``             the GPS point lies outside Jilin (see :data:`JILIN_LAT` / :data:`JILIN_LON`)
``VILLAGE_CODE_*``              unknown or malformed village code (``chalicelib.reference.divisions``)
``TEXT_INVISIBLE_CHARACTER``    a control or invisible character in a name or other free text
                                (``chalicelib.platform.text``; raised by the model, so it comes with
                                the request's other field errors)
==============================  =====================================================================

The model itself (422 ``REQUEST_VALIDATION`` in the API, a report line in the roster import) refuses money,
areas, dates and the village code as :mod:`chalicelib.platform.inputs` reads them: ``AMOUNT_FORMAT``
(``"1e5"``), ``AMOUNT_PRECISION`` (``"0.001"``), ``AMOUNT_NEGATIVE`` (a negative asset), ``NUMBER_*``,
``DATE_FORMAT`` (``0`` for a date), ``VILLAGE_CODE_FORMAT``; never rounded or guessed.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field

from chalicelib.customers.domain.texts import Text20, Text32, Text40, Text200, Word20
from chalicelib.platform.errors import FieldError, ValidationFailed
from chalicelib.platform.geo import GeoPoint
from chalicelib.platform.inputs import CENT, Id, IsoDate, Money, Mu, NetMoney, RequestModel, SquareMetres, VillageCode
from chalicelib.platform.text import PersonName

Relation = Literal["head", "spouse", "child", "child_in_law", "parent", "parent_in_law", "grandchild",
                   "grandparent", "sibling", "other"]
Gender = Literal["male", "female"]
LabourCapacity = Literal["full", "partial", "none"]
Education = Literal["none", "primary", "junior_secondary", "senior_secondary", "vocational", "college",
                    "bachelor_or_above"]
Health = Literal["good", "fair", "poor", "disabled"]
CommitteeAssessment = Literal["excellent", "good", "fair", "poor"]
RepaymentRecord = Literal["good", "none", "minor_late", "bad"]
DataSource = Literal["roster_import", "door_to_door", "self_service"]
Status = Literal["draft", "submitted", "verified"]
LivestockKind = Literal["cattle", "pig", "sheep", "goat", "poultry", "horse", "donkey", "deer", "other"]

#: Bounding box of Jilin province with a small margin: a PAD's collection point must lie in it. The
#: province spans about 40°50′-46°19′ N, 121°38′-131°19′ E (吉林省人民政府, 吉林概况).
JILIN_LAT = (Decimal("40.5"), Decimal("46.5"))
JILIN_LON = (Decimal("121.3"), Decimal("131.5"))


class MemberIn(RequestModel):
    """One member (家庭成员). ``resident_id`` and ``phone`` are personal data: sent in full, stored
    encrypted, answered masked. On update, omit ``resident_id`` / ``phone`` of an existing member
    (named by ``member_id``) to keep the stored value; ``phone: null`` removes the phone."""

    member_id: Id | None = Field(default=None, description="stable id; omitted for a new member")
    relation: Relation = Field(description="与户主关系")
    name: PersonName = Field(description="姓名; NFC, runs of spaces made one; a control or invisible character "
                                         "(NUL, U+202E, zero-width ...) is refused: TEXT_INVISIBLE_CHARACTER")
    resident_id: Text32 | None = Field(default=None, description="身份证号 (GB 11643-1999)")
    gender: Gender | None = Field(default=None, description="性别; derived from the ID and cross-checked")
    birth_date: IsoDate | None = Field(default=None, description="出生日期; derived from the ID and cross-checked")
    phone: Text32 | None = Field(default=None, description="联系电话 (mobile)")
    occupation: Text40 | None = Field(default=None, description="从事主要职业")
    labour_capacity: LabourCapacity | None = Field(default=None, description="劳动能力: 全/半/无劳力")
    education: Education | None = Field(default=None, description="文化程度")
    health: Health | None = Field(default=None, description="健康状况")


class Livestock(RequestModel):
    kind: LivestockKind
    count: int = Field(ge=0, le=1_000_000, description="存栏 (head)")


class Assets(RequestModel):
    """家庭资产."""

    house_area_m2: SquareMetres = Decimal(0)
    house_value: Money = Decimal(0)
    contracted_land_mu: Mu = Decimal(0)
    transferred_in_land_mu: Mu = Decimal(0)
    livestock: list[Livestock] = Field(default_factory=list, max_length=20)
    livestock_value: Money = Decimal(0)
    machinery_value: Money = Decimal(0)
    vehicles_value: Money = Decimal(0)
    deposits: Money = Decimal(0)
    credit_union_shares: Money = Decimal(0)
    appliances_value: Money = Field(default=Decimal(0), description="家电/家具")
    receivables_value: Money = Field(default=Decimal(0), description="应收款")
    other_assets_value: Money = Field(default=Decimal(0), description="其他资产")


class Liabilities(RequestModel):
    """家庭负债."""

    bank_loans: Money = Decimal(0)
    informal_borrowing: Money = Field(default=Decimal(0), description="民间借款 / 社会融资")
    other_debts: Money = Field(default=Decimal(0), description="其他欠款")


class Income(RequestModel):
    """上年家庭纯收入 by source."""

    crops: NetMoney = Decimal(0)
    livestock: NetMoney = Decimal(0)
    business: NetMoney = Decimal(0)
    wages: NetMoney = Decimal(0)
    subsidies: NetMoney = Decimal(0)


class Expenses(RequestModel):
    """家庭开支."""

    production: Money = Decimal(0)
    living: Money = Decimal(0)
    social: Money = Field(default=Decimal(0), description="人情往来")
    education: Money = Field(default=Decimal(0), description="学费")
    medical: Money = Field(default=Decimal(0), description="医疗")
    other: Money = Decimal(0)


class HouseholdIn(RequestModel):
    """A household file as sent by a client (create, full update, PAD sync)."""

    village_code: VillageCode
    village_group: Text20 | None = Field(default=None, description="村民小组, e.g. 三组")
    household_no: Text32 | None = Field(default=None,
                                                     description="户编号: the household's number in the village roster "
                                                                 "(花名册), e.g. 0001; printed on the public notice")
    address: Text200 | None = Field(default=None, description="住址")
    gps: GeoPoint | None = Field(default=None, description="GPS point of collection (WGS 84)")
    members: list[MemberIn] = Field(min_length=1, max_length=20)
    assets: Assets = Field(default_factory=Assets)
    liabilities: Liabilities = Field(default_factory=Liabilities)
    income: Income = Field(default_factory=Income)
    expenses: Expenses = Field(default_factory=Expenses)
    main_crops: list[Word20] = Field(
        default_factory=list, max_length=10, description="主要作物, e.g. 玉米")
    expected_net_income: NetMoney | None = Field(default=None, description="本年预计家庭纯收入 (CNY)")
    collected_on: IsoDate | None = Field(default=None, description="采集日期 (business date of collection)")
    committee_assessment: CommitteeAssessment | None = Field(default=None, description="村委评议")
    repayment_record: RepaymentRecord = Field(default="none", description="履约情况")
    blacklisted: bool = False


@dataclass
class NormalisedMember:
    """A validated member. ``resident_id`` / ``phone`` are plain and normalised: for the data layer
    to protect, never to store. ``keep_resident_id`` / ``keep_phone`` mean "unchanged, keep the
    stored protected value"."""

    member_id: str | None
    relation: str
    name: str
    gender: str | None
    birth_date: date | None
    resident_id: str | None
    phone: str | None
    keep_resident_id: bool
    keep_phone: bool
    occupation: str | None
    labour_capacity: str | None
    education: str | None
    health: str | None

    def public(self) -> dict[str, Any]:
        """The member's non-sensitive attributes (no ID, no phone)."""
        return {"member_id": self.member_id, "relation": self.relation, "name": self.name, "gender": self.gender,
                "birth_date": self.birth_date.isoformat() if self.birth_date else None,
                "occupation": self.occupation, "labour_capacity": self.labour_capacity,
                "education": self.education, "health": self.health}


@dataclass
class Normalised:
    """A validated household: members plus the non-sensitive attributes, money quantised to 0.01."""

    village_code: str
    members: list[NormalisedMember]
    attributes: dict[str, Any] = field(default_factory=dict)


def _q(value: Decimal) -> Decimal:
    return value.quantize(CENT)


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


_GENDER_MISMATCH = "性别与身份证号不符 (gender does not match the resident ID)"
_BIRTH_MISMATCH = "出生日期与身份证号不符 (birth date does not match the resident ID)"


@dataclass
class _Checks:
    """The field errors found so far (every problem is reported at once) and what the member checks remember:
    resident IDs seen (plain numbers and stored hashes, → member index) and member ids seen."""

    today: date
    errors: list[FieldError] = field(default_factory=list)
    seen_ids: dict[str, int] = field(default_factory=dict)
    seen_member_ids: set[str] = field(default_factory=set)

    def add(self, where: str, code: str, message: str) -> None:
        self.errors.append(FieldError(where, code, message))

    def fail(self, exc: ValidationFailed) -> None:
        self.errors.extend(exc.fields or [FieldError("", exc.code, exc.message)])


def _identity_from_number(m: MemberIn, i: int, where: str, checks: _Checks
                          ) -> tuple[str | None, str | None, date | None]:
    """``(number, gender, birth date)`` of a member who sent a resident ID (the ID's gender and birth date win)."""
    from chalicelib.platform.identity import parse_resident_id

    assert m.resident_id is not None
    try:
        rid = parse_resident_id(m.resident_id, today=checks.today, field=f"{where}.resident_id")
    except ValidationFailed as exc:
        checks.fail(exc)
        return None, m.gender, m.birth_date
    if m.gender is not None and m.gender != rid.gender:
        checks.add(f"{where}.gender", "MEMBER_GENDER_MISMATCH", _GENDER_MISMATCH)
    if m.birth_date is not None and m.birth_date != rid.birth_date:
        checks.add(f"{where}.birth_date", "MEMBER_BIRTH_DATE_MISMATCH", _BIRTH_MISMATCH)
    if rid.number in checks.seen_ids:
        checks.add(f"{where}.resident_id", "MEMBER_DUPLICATE_ID",
                   f"同一身份证号在本户出现两次 (same resident ID as members[{checks.seen_ids[rid.number]}])")
    else:
        checks.seen_ids[rid.number] = i
    return rid.number, rid.gender, rid.birth_date


def _identity_kept(m: MemberIn, i: int, where: str, stored: dict[str, Any], checks: _Checks
                   ) -> tuple[str | None, date | None]:
    """``(gender, birth date)`` of a known member who keeps the stored resident ID."""
    born_s = stored.get("birth_date")
    if m.gender is not None and m.gender != stored.get("gender"):
        checks.add(f"{where}.gender", "MEMBER_GENDER_MISMATCH", _GENDER_MISMATCH)
    if m.birth_date is not None and born_s and m.birth_date.isoformat() != born_s:
        checks.add(f"{where}.birth_date", "MEMBER_BIRTH_DATE_MISMATCH", _BIRTH_MISMATCH)
    h = stored["resident_id_hash"]
    if h in checks.seen_ids:
        checks.add(f"{where}.resident_id", "MEMBER_DUPLICATE_ID", "同一身份证号在本户出现两次 (same resident ID twice)")
    checks.seen_ids[h] = i
    return stored.get("gender"), date.fromisoformat(born_s) if born_s else None


def _phone(m: MemberIn, where: str, stored: dict[str, Any] | None, checks: _Checks) -> tuple[str | None, bool]:
    """``(normalised phone, keep the stored one)``; an explicit ``"phone": null`` keeps nothing."""
    from chalicelib.platform.identity import parse_mobile_phone

    if m.phone is not None and m.phone.strip():
        try:
            return parse_mobile_phone(m.phone, field=f"{where}.phone"), False
        except ValidationFailed as exc:
            checks.fail(exc)
            return None, False
    return None, bool(stored is not None and stored.get("phone_hash") and "phone" not in m.model_fields_set)


def _member(i: int, m: MemberIn, existing: dict[str, dict[str, Any]], checks: _Checks) -> NormalisedMember:
    where = f"members[{i}]"
    if m.member_id is not None:
        if m.member_id in checks.seen_member_ids:
            checks.add(f"{where}.member_id", "MEMBER_DUPLICATE", "member_id appears twice")
        checks.seen_member_ids.add(m.member_id)
    stored = existing.get(m.member_id) if m.member_id else None
    number: str | None = None
    gender: str | None = m.gender
    born, keep_id = m.birth_date, False
    if m.resident_id is not None:
        number, gender, born = _identity_from_number(m, i, where, checks)
    elif stored is not None and stored.get("resident_id_hash"):
        keep_id = True
        gender, born = _identity_kept(m, i, where, stored, checks)
    else:
        checks.add(f"{where}.resident_id", "MEMBER_RESIDENT_ID_REQUIRED", "身份证号必填 (resident ID number is required)")
    phone, keep_phone = _phone(m, where, stored, checks)
    return NormalisedMember(
        member_id=m.member_id, relation=m.relation, name=m.name.strip(), gender=gender, birth_date=born,
        resident_id=number, phone=phone, keep_resident_id=keep_id, keep_phone=keep_phone,
        occupation=m.occupation, labour_capacity=m.labour_capacity, education=m.education, health=m.health)


def _household_checks(inp: HouseholdIn, members: list[NormalisedMember], checks: _Checks) -> None:
    heads = [i for i, m in enumerate(members) if m.relation == "head"]
    head_born = members[heads[0]].birth_date if len(heads) == 1 else None
    if len(heads) != 1:
        checks.add("members", "HOUSEHOLD_HEAD_COUNT",
                   f"每户必须有且只有一名户主 (exactly one head required, found {len(heads)})")
    elif head_born and _age(head_born, checks.today) < 16:
        checks.add(f"members[{heads[0]}].relation", "HEAD_MINOR", "户主须年满16周岁 (the head must be at least 16 years old)")
    if sum(1 for m in members if m.relation == "spouse") > 1:
        checks.add("members", "HOUSEHOLD_SPOUSE_COUNT", "配偶最多一人 (at most one spouse)")
    if inp.collected_on is not None and inp.collected_on > checks.today:
        checks.add("collected_on", "DATE_IN_FUTURE", "采集日期不能晚于今天 (collection date in the future)")
    if inp.gps is not None and not (JILIN_LAT[0] <= inp.gps.lat <= JILIN_LAT[1]
                                    and JILIN_LON[0] <= inp.gps.lon <= JILIN_LON[1]):
        checks.add("gps", "GPS_OUT_OF_AREA", "采集位置不在吉林省范围内 (GPS point is outside Jilin)")


def _attributes(inp: HouseholdIn) -> dict[str, Any]:
    """The household's non-sensitive attributes, text trimmed (blank → None), money quantised to 0.01."""
    assets = inp.assets.model_dump()
    for k, v in assets.items():
        if isinstance(v, Decimal):
            assets[k] = _q(v)
    return {
        "village_group": (inp.village_group or "").strip() or None,
        "household_no": (inp.household_no or "").strip() or None,
        "address": (inp.address or "").strip() or None,
        "gps": inp.gps.stored() if inp.gps else None,
        "assets": assets,
        "liabilities": {k: _q(v) for k, v in inp.liabilities.model_dump().items()},
        "income": {k: _q(v) for k, v in inp.income.model_dump().items()},
        "expenses": {k: _q(v) for k, v in inp.expenses.model_dump().items()},
        "main_crops": [c.strip() for c in inp.main_crops] or None,
        "expected_net_income": _q(inp.expected_net_income) if inp.expected_net_income is not None else None,
        "collected_on": inp.collected_on.isoformat() if inp.collected_on else None,
        "committee_assessment": inp.committee_assessment,
        "repayment_record": inp.repayment_record,
        "blacklisted": inp.blacklisted,
    }


def normalise(inp: HouseholdIn, *, today: date, existing: dict[str, dict[str, Any]] | None = None) -> Normalised:
    """Apply the household rules to ``inp`` and return the normalised household.

    ``existing``: stored members by ``member_id`` (update); a member named there may omit its
    resident ID / phone (kept); an explicit ``"phone": null`` removes the stored phone. Raises ``ValidationFailed``
    ``HOUSEHOLD_INVALID`` with every field error (codes in the module docstring).
    """
    from chalicelib.reference.divisions import get_village

    checks = _Checks(today=today)
    try:
        village_code = get_village(inp.village_code, field="village_code").code
    except ValidationFailed as exc:
        checks.fail(exc)
        village_code = inp.village_code
    members = [_member(i, m, existing or {}, checks) for i, m in enumerate(inp.members)]
    _household_checks(inp, members, checks)
    if checks.errors:
        raise ValidationFailed("the household file is not valid", code="HOUSEHOLD_INVALID", fields=checks.errors)
    members.sort(key=lambda m: m.relation != "head")  # head first, then the order given
    return Normalised(village_code=village_code, members=members, attributes=_attributes(inp))


def content_fingerprint(norm: Normalised) -> str:
    """A canonical text of the household's content (members by ID, attributes), for change detection.

    It contains personal data in plain form: pass it to a *keyed* hash
    (``chalicelib.platform.pii.keyed_hash(..., purpose="content")``), never store or log it.
    """
    members = sorted(({**m.public(), "member_id": None, "resident_id": m.resident_id, "phone": m.phone}
                      for m in norm.members), key=lambda d: (d["relation"] != "head", d["resident_id"] or ""))
    doc = {"village_code": norm.village_code, "members": members, "attributes": norm.attributes}
    return json.dumps(doc, sort_keys=True, default=str, ensure_ascii=False)


STATUS_TRANSITIONS: dict[str, tuple[str, ...]] = {"draft": ("submitted",), "submitted": ("verified", "draft"),
                                                  "verified": ()}


def check_transition(current: str, target: str) -> None:
    """Raise ``ValidationFailed`` ``HOUSEHOLD_STATUS`` unless draft → submitted → verified
    (or submitted → draft, a return for correction)."""
    if target not in STATUS_TRANSITIONS.get(current, ()):
        raise ValidationFailed(f"a {current} household cannot become {target}", code="HOUSEHOLD_STATUS",
                               field="status")
