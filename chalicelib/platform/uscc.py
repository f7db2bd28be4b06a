"""Organisations' unified social credit code (统一社会信用代码, GB 32100-2015) and the GB 11714-1997 organisation
code embedded in it.

Pure domain code (standard library only). Every rule failure raises
:class:`chalicelib.platform.errors.ValidationFailed` with a stable ``code`` and the caller's ``field``:

==========================  =================================================================
code                        meaning
==========================  =================================================================
``USCC_FORMAT``             not 18 characters, or the region code is not 6 digits
``USCC_CHARSET``            a character outside 0-9 A-H J-N P-R T U W-Y (no I O S V Z)
``USCC_CHECK_CHAR``         GB 32100-2015 MOD 31 check character does not match
``USCC_DEPARTMENT``         unknown registration-authority (department) code
``USCC_CATEGORY``           category code not allowed for department 9 or N
``USCC_ORG_CODE_CHECK``     embedded GB 11714 organisation code check character does not match
==========================  =================================================================

Normalisation as for people's numbers (:func:`chalicelib.platform.identity.normalise`: NFKC, whitespace stripped,
upper case).
"""
from __future__ import annotations

from dataclasses import dataclass

from chalicelib.platform.errors import ValidationFailed
from chalicelib.platform.identity import normalise

__all__ = ["Uscc", "organisation_code_check_char", "parse_uscc", "uscc_check_char"]


# --- GB 32100-2015 unified social credit code ---------------------------------------------

_USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 chars, value = index; no I O S V Z
_USCC_VALUES = {c: i for i, c in enumerate(_USCC_CHARSET)}
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1,3,9,27,19,26,16,...,28
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714-1997

#: Registration-authority (department) code -> allowed category codes, or None where this module
#: does not restrict the category (the table of those authorities has been amended over time).
#: 9 工商 (1 企业, 2 个体工商户, 3 农民专业合作社) and N 农业 (1 组级 / 2 村级 / 3 乡镇级集体经济组织,
#: 9 其他) are checked exactly: they are the agricultural entities and village collectives of
#: whole-village credit.
_USCC_DEPARTMENTS: dict[str, frozenset[str] | None] = {
    "1": None,  # 机构编制
    "2": None,  # 外交
    "3": None,  # 司法行政
    "4": None,  # 文化
    "5": None,  # 民政
    "6": None,  # 旅游
    "7": None,  # 宗教
    "8": None,  # 工会
    "9": frozenset("123"),  # 工商
    "A": None,  # 中央军委改革和编制办公室
    "N": frozenset("1239"),  # 农业
    "Y": None,  # 其他
}


@dataclass(frozen=True)
class Uscc:
    """A valid unified social credit code (统一社会信用代码, GB 32100-2015).

    ``number``: 18 characters, upper case.
    ``department_code``: position 1, registration authority (登记管理部门), e.g. ``9`` 工商, ``N`` 农业.
    ``category_code``: position 2, organisation category (机构类别), e.g. ``93`` 农民专业合作社,
    ``N2`` 村级集体经济组织.
    ``region_code``: positions 3-8, GB/T 2260 code of the registering authority at issuance.
    ``organisation_code``: positions 9-17, the GB 11714 organisation code incl. its check character.
    """

    number: str
    department_code: str
    category_code: str
    region_code: str
    organisation_code: str

    @property
    def is_collective_economic_organisation(self) -> bool:
        """True for department ``N`` category 1/2/3 (组级/村级/乡镇级集体经济组织)."""
        return self.department_code == "N" and self.category_code in "123"


def uscc_check_char(first17: str) -> str:
    """GB 32100-2015 check character: ``31 - (sum(v_i * 3^(i-1) mod 31) mod 31)``, 31 -> ``0``."""
    total = sum(_USCC_VALUES[c] * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARSET[(31 - total % 31) % 31]


def organisation_code_check_char(first8: str) -> str:
    """GB 11714-1997 check character: ``11 - (sum(v_i * W_i) mod 11)``, 10 -> ``X``, 11 -> ``0``.

    ``W = 3,7,9,10,5,8,4,2``; digits count as themselves, letters A-Z as 10-35.
    """
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w
                for c, w in zip(first8, _ORG_WEIGHTS, strict=True))
    r = 11 - total % 11
    return {10: "X", 11: "0"}.get(r, str(r))


def parse_uscc(raw: str, *, field: str = "uscc") -> Uscc:
    """Validate and normalise a unified social credit code (统一社会信用代码) per GB 32100-2015.

    Input: any string; NFKC-normalised, stripped, upper-cased. Output: :class:`Uscc`.
    Department ``N`` (农业: village collective economic organisations, category 1/2/3/9) is
    accepted - some popular validators reject it.

    Raises ``ValidationFailed`` (``field`` = ``field``), checked in this order:

    * ``USCC_FORMAT`` - not 18 characters (or not a string).
    * ``USCC_CHARSET`` - any character outside ``0-9A-HJ-NPQRTUWXY`` (I, O, S, V, Z excluded).
    * ``USCC_FORMAT`` - region code (positions 3-8) is not 6 digits.
    * ``USCC_CHECK_CHAR`` - position 18 is not the MOD 31 check character of positions 1-17.
    * ``USCC_DEPARTMENT`` - position 1 is not a known department code (1-9, A, N, Y).
    * ``USCC_CATEGORY`` - position 2 not allowed for department 9 (1/2/3) or N (1/2/3/9).
    * ``USCC_ORG_CODE_CHECK`` - positions 9-17 fail the GB 11714-1997 check. Enforced because
      every published example (tests/fixtures/id_uscc_published_examples.json, incl. an
      ``MA``-prefixed post-2015 code) satisfies it.

    The region code is deliberately NOT checked against the division list: like an ID's address
    code it is the code at issuance and may since have been abolished (e.g. 512081 简阳市).
    """
    s = normalise(raw)
    if s is None or len(s) != 18:
        raise ValidationFailed("统一社会信用代码应为18位 (USCC must be 18 characters)",
                               code="USCC_FORMAT", field=field)
    if any(c not in _USCC_VALUES for c in s):
        raise ValidationFailed(
            "统一社会信用代码含有不允许的字符（不使用I、O、S、V、Z）(USCC contains a character not allowed)",
            code="USCC_CHARSET", field=field)
    if not s[2:8].isdigit():
        raise ValidationFailed("统一社会信用代码的行政区划码应为6位数字 (USCC region code must be 6 digits)",
                               code="USCC_FORMAT", field=field)
    if uscc_check_char(s[:17]) != s[17]:
        raise ValidationFailed("统一社会信用代码校验码错误 (USCC check character is wrong)",
                               code="USCC_CHECK_CHAR", field=field)
    dept, cat = s[0], s[1]
    if dept not in _USCC_DEPARTMENTS:
        raise ValidationFailed("统一社会信用代码的登记管理部门代码无效 (unknown USCC department code)",
                               code="USCC_DEPARTMENT", field=field)
    allowed = _USCC_DEPARTMENTS[dept]
    if allowed is not None and cat not in allowed:
        raise ValidationFailed("统一社会信用代码的机构类别代码无效 (USCC category code not valid for department)",
                               code="USCC_CATEGORY", field=field)
    org = s[8:17]
    if organisation_code_check_char(org[:8]) != org[8]:
        raise ValidationFailed(
            "统一社会信用代码中的组织机构代码校验码错误 (embedded organisation code check character is wrong)",
            code="USCC_ORG_CODE_CHECK", field=field)
    return Uscc(number=s, department_code=dept, category_code=cat, region_code=s[2:8],
                organisation_code=org)


