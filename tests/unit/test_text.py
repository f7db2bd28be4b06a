"""The rule for typed text (chalicelib.platform.text) and where it applies: pure, no sockets."""
from __future__ import annotations

import unicodedata

import pytest
from pydantic import ValidationError

from chalicelib.customers.domain.households import HouseholdIn, MemberIn
from chalicelib.platform.errors import pydantic_error_code
from chalicelib.platform.text import INVISIBLE, clean, refused_character


@pytest.mark.parametrize("raw,expected", [
    ("  王春 ", "王春"),
    ("王\u3000\u3000春", "王 春"),            # ideographic spaces of a Chinese IME → one space
    ("Jean\u00a0Paul", "Jean Paul"),          # no-break space
    ("e\u0301", "\u00e9"),                    # NFC: e + combining acute → é
    ("\t王春\r\n", "王春"),                   # surrounding whitespace is stripped, not refused
    ("阿依古丽·买买提", "阿依古丽·买买提"),  # middle dot of minority names
    ("\U00031350", "\U00031350"),            # CJK Extension H (unassigned in Python 3.11's tables): plane 3
    ("\ue000", "\ue000"),                    # private use: rare characters kept that way by older systems
])
def test_accepted_text_is_normalised(raw, expected):
    assert clean(raw) == expected


@pytest.mark.parametrize("ch", ["\x00", "\x07", "\x1b", "\x7f", "\u0085", "\u00ad", "\u200b", "\u200c", "\u200d",
                                "\u200e", "\u202a", "\u202e", "\u2066", "\u2069", "\ufeff", "\u2028", "\u2029",
                                "\ufffd", "\u3164", "\u115f", "\ufe0f", "\U000e0100", "\u034f", "\u2800",
                                "\U000e0001", "\u0378", "\n", "\t"])
def test_control_format_and_invisible_characters_inside_text_are_refused(ch):
    cat = unicodedata.category(ch)
    assert cat in ("Cc", "Cf", "Cn", "Zl", "Zp") or ord(ch) in INVISIBLE
    assert refused_character(f"王{ch}春") == ch
    with pytest.raises(ValueError) as exc:
        clean(f"王{ch}春")
    assert exc.value.type == "TEXT_INVISIBLE_CHARACTER"
    assert f"U+{ord(ch):04X}" in str(exc.value)


def _member(**over):
    return {"relation": "head", "name": "王春", **over}


def test_member_name_and_other_text_fields_apply_the_rule_with_their_own_code():
    with pytest.raises(ValidationError) as exc:
        HouseholdIn.model_validate({
            "village_code": "220122102202", "village_group": "三组\u202e", "address": "\x00",
            "main_crops": ["玉\u200b米"],
            "members": [_member(name="王\u202e春"), _member(relation="spouse", name="李芳", occupation="务\x00农")]})
    got = sorted((".".join(str(p) for p in e["loc"]), pydantic_error_code(e["type"])) for e in exc.value.errors())
    assert got == [("address", "TEXT_INVISIBLE_CHARACTER"), ("main_crops.0", "TEXT_INVISIBLE_CHARACTER"),
                   ("members.0.name", "TEXT_INVISIBLE_CHARACTER"), ("members.1.occupation", "TEXT_INVISIBLE_CHARACTER"),
                   ("village_group", "TEXT_INVISIBLE_CHARACTER")]


def test_lengths_are_counted_after_normalisation():
    assert MemberIn.model_validate(_member(name="王" * 40)).name == "王" * 40
    assert MemberIn.model_validate(_member(name="  " + "王" * 40 + "  ")).name == "王" * 40
    with pytest.raises(ValidationError) as exc:
        MemberIn.model_validate(_member(name="王" * 41))
    assert pydantic_error_code(exc.value.errors()[0]["type"]) == "FIELD_STRING_TOO_LONG"
    with pytest.raises(ValidationError) as exc:
        MemberIn.model_validate(_member(name="\u3000 "))
    assert pydantic_error_code(exc.value.errors()[0]["type"]) == "FIELD_STRING_TOO_SHORT"
