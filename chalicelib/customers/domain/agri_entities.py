"""Agricultural entities (新型农业经营主体): family farms (家庭农场), farmers' cooperatives (农民专业合作社),
agricultural companies (农业企业) and village collective economic organisations (村集体经济组织).

Identified by their unified social credit code (统一社会信用代码, GB 32100-2015, validated by
``chalicelib.platform.uscc.parse_uscc``, which accepts the N-prefixed collectives). The legal
representative (法定代表人) is a person filed in a household: the entity links to that household
member, it does not copy the person's ID number. Pure domain code.

Rule codes (``ValidationFailed`` ``AGRI_ENTITY_INVALID`` with field errors): ``USCC_*`` (identity
module), ``USCC_KIND_MISMATCH`` (the USCC's registration authority/category contradicts the kind:
a cooperative is ``93``; a village collective is ``N1``/``N2``/``N3``; a company is ``91``; a family
farm is registered as an individual business ``92`` or an enterprise ``91``), ``VILLAGE_CODE_*``.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import Field

from chalicelib.customers.domain.households import Livestock
from chalicelib.customers.domain.texts import Name100, Text32, Text200, Word40, Word100
from chalicelib.platform.errors import FieldError, ValidationFailed
from chalicelib.platform.inputs import Id, IsoDate, Money, Mu, NetMoney, RequestModel, VillageCode

Kind = Literal["family_farm", "cooperative", "company", "village_collective"]

#: Allowed USCC prefixes (department + category) per kind.
KIND_PREFIXES: dict[str, tuple[str, ...]] = {
    "family_farm": ("92", "91"),
    "cooperative": ("93",),
    "company": ("91",),
    "village_collective": ("N1", "N2", "N3"),
}


class LegalRepresentative(RequestModel):
    """法定代表人 / 负责人: a member of a filed household."""

    household_id: Id
    member_id: Id


class Operations(RequestModel):
    """经营情况."""

    main_business: Word100 = Field(description="主营业务, e.g. 玉米种植")
    crops: list[Word40] = Field(default_factory=list, max_length=20,
                                                           description="作物, e.g. 玉米")
    land_mu: Mu = Field(default=Decimal(0), description="经营土地面积 (亩)")
    livestock: list[Livestock] = Field(default_factory=list, max_length=20)
    members_count: int | None = Field(default=None, ge=0, le=100000, description="合作社成员数")
    employees: int | None = Field(default=None, ge=0, le=100000)
    annual_revenue: Money | None = Field(default=None, description="上年营业收入 (CNY)")
    annual_net_income: NetMoney | None = Field(default=None, description="上年净利润 (CNY)")


class EntityAssets(RequestModel):
    fixed_assets: Money = Decimal(0)
    machinery: Money = Decimal(0)
    livestock_value: Money = Decimal(0)
    deposits: Money = Decimal(0)
    other: Money = Decimal(0)


class EntityLiabilities(RequestModel):
    bank_loans: Money = Decimal(0)
    other: Money = Decimal(0)


class AgriEntityIn(RequestModel):
    """An agricultural entity as a client sends it. Its name, address and other typed text follow the one rule
    for text (a control or invisible character is refused: TEXT_INVISIBLE_CHARACTER)."""

    name: Name100 = Field(description="名称")
    uscc: Text32 = Field(description="统一社会信用代码 (18 characters, check character verified per GB 32100-2015)")
    kind: Kind
    village_code: VillageCode = Field(description="12-digit division code of the village where it operates")
    legal_representative: LegalRepresentative
    registered_on: IsoDate | None = Field(default=None, description="成立日期")
    address: Text200 | None = Field(default=None, description="住所")
    operations: Operations
    assets: EntityAssets = Field(default_factory=EntityAssets)
    liabilities: EntityLiabilities = Field(default_factory=EntityLiabilities)


def validate(inp: AgriEntityIn, *, today: date) -> str:
    """Check the USCC, its consistency with the kind, the village code and the registration date;
    return the normalised USCC. Raises ``ValidationFailed`` ``AGRI_ENTITY_INVALID``."""
    from chalicelib.platform.uscc import parse_uscc
    from chalicelib.reference.divisions import get_village

    errors: list[FieldError] = []
    uscc = None
    try:
        uscc = parse_uscc(inp.uscc, field="uscc")
    except ValidationFailed as exc:
        errors.extend(exc.fields)
    if uscc is not None and not uscc.number.startswith(KIND_PREFIXES[inp.kind]):
        errors.append(FieldError("uscc", "USCC_KIND_MISMATCH",
                                 f"统一社会信用代码的登记机关/类别与主体类型不符 (a {inp.kind} code starts with "
                                 f"{' or '.join(KIND_PREFIXES[inp.kind])})"))
    try:
        get_village(inp.village_code, field="village_code")
    except ValidationFailed as exc:
        errors.extend(exc.fields)
    if inp.registered_on and inp.registered_on > today:
        errors.append(FieldError("registered_on", "DATE_IN_FUTURE", "成立日期不能晚于今天 (date in the future)"))
    if errors:
        raise ValidationFailed("the agricultural entity is not valid", code="AGRI_ENTITY_INVALID", fields=errors)
    return uscc.number  # type: ignore[union-attr]
