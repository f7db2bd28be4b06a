"""Text that people type (names, occupations, addresses): the one rule for what such a field may contain.
Pure domain code.

A name is shown to people (the village's public notice, contracts, the PAD) and compared by machines (the
one-person-one-household checks use the ID, but staff search and read by name). Characters that are
invisible or reorder text make two names look alike or one name look like another: NUL, the
right-to-left override U+202E (``张三\\u202e`` shows differently from what is stored), zero-width spaces and
joiners, soft hyphens. So a field of this kind is:

1. normalised to Unicode NFC (the composed form; a name typed on two devices compares equal),
2. stripped of surrounding whitespace, and every run of inner spaces (any Unicode space separator, e.g.
   the ideographic space U+3000 of a Chinese IME or U+00A0) becomes one ASCII space,
3. refused with code ``TEXT_INVISIBLE_CHARACTER`` (message naming the code point, never the text) if it
   still contains a character of general category Cc (controls: NUL, tab, line breaks inside the text),
   Cf (format: U+202A-U+202E and U+2066-U+2069 bidirectional controls, U+200B-U+200D zero-width
   characters, U+FEFF, U+00AD soft hyphen ...), Cs (lone surrogates), Zl/Zp (line/paragraph separators),
   Cn (unassigned: not renderable; except in the CJK ideograph planes 2 and 3, which Unicode reserves for
   ideographs and which newer standards keep filling with rare characters used in names), or one of
   :data:`INVISIBLE` (blank-looking letters and marks such as the Hangul fillers and variation
   selectors), or U+FFFD (the replacement character: the text was decoded with the wrong encoding),
4. then checked for its length (the field's ``min_length``/``max_length``, counted after 1-2).

A field declared ``multiline`` (comments, reasons, findings: text of several paragraphs) keeps its line
breaks: CR LF and CR become LF, step 2 applies to each line (its surrounding spaces stripped, blank lines at
the start and the end dropped), and LF is the one control character step 3 lets through.

Private-use characters (Co) are accepted: some rare characters in Chinese names exist in older systems
only as private-use code points. Categories: Unicode Standard Annex #44, General_Category values
(https://www.unicode.org/reports/tr44/#General_Category_Values); bidirectional controls: Unicode
Technical Standard #39 §3 and CVE-2021-42574 ("Trojan Source").

:data:`PersonName` and :func:`text` are the pydantic field types that apply the rule to every free-text field
of every request (households, agricultural entities, drawdowns, approvals, campaigns, post-loan handling,
parameters) and to the roster import, so the rule has one owner; ``tests/unit/test_request_models.py`` fails
on a request field of type ``str`` that neither this rule nor a pattern governs. The error type is the
product code itself, so clients see ``TEXT_INVISIBLE_CHARACTER`` on the field at fault.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any

from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

from chalicelib.platform.inputs import Rule

CODE = "TEXT_INVISIBLE_CHARACTER"
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp", "Cn"})
#: Characters of other categories that render as nothing (or as blank space that is not a space).
INVISIBLE = frozenset(
    [0x034F,  # combining grapheme joiner
     0x115F, 0x1160, 0x3164, 0xFFA0,  # Hangul fillers
     0x17B4, 0x17B5,  # Khmer inherent vowels
     0x180B, 0x180C, 0x180D, 0x180F,  # Mongolian free variation selectors
     0x2800,  # braille pattern blank
     0xFFFC,  # object replacement character
     0xFFFD]  # replacement character (mis-decoded text)
    + list(range(0xFE00, 0xFE10))  # variation selectors 1-16
    + list(range(0xE0100, 0xE01F0)))  # variation selectors 17-256
_SPACES = re.compile(r"[^\S\r\n\t\v\f\x1c-\x1f\x85\u2028\u2029]+")  # runs of Unicode space separators (Zs)
#: Planes reserved for CJK ideographs (SIP, TIP): unassigned there means "newer than this Python's tables".
_IDEOGRAPH_PLANES = range(0x20000, 0x40000)


def refused_character(text: str, *, allow: str = "") -> str | None:
    """The first character of ``text`` the rule refuses (other than those in ``allow``), or ``None``."""
    for ch in text:
        cp = ord(ch)
        if cp in INVISIBLE:
            return ch
        cat = unicodedata.category(ch)
        if cat in _REFUSED_CATEGORIES and ch not in allow and not (cat == "Cn" and cp in _IDEOGRAPH_PLANES):
            return ch
    return None


def clean(value: str, *, multiline: bool = False) -> str:
    """Steps 1-3 of the rule: NFC, spaces collapsed and stripped (per line when ``multiline``, which keeps line
    breaks as LF). Raises ``ValueError`` subclass ``PydanticCustomError`` (type ``TEXT_INVISIBLE_CHARACTER``,
    context ``code_point``) for a refused character."""
    text = unicodedata.normalize("NFC", value)
    if multiline:
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        text = "\n".join(_SPACES.sub(" ", line).strip() for line in lines).strip()
    else:
        text = _SPACES.sub(" ", text).strip()
    bad = refused_character(text, allow="\n" if multiline else "")
    if bad is not None:
        raise PydanticCustomError(
            CODE, "含有不可见字符或控制字符 {code_point} (contains the invisible or control character {code_point})",
            {"code_point": f"U+{ord(bad):04X}"})
    return text


def _before(value: Any) -> Any:
    return clean(value) if isinstance(value, str) else value


def _before_multiline(value: Any) -> Any:
    return clean(value, multiline=True) if isinstance(value, str) else value


def text(*, min_length: int | None = None, max_length: int, description: str | None = None,
         multiline: bool = False, pattern: str | None = None) -> Any:
    """A pydantic ``str`` field type that applies the rule (keeping line breaks when ``multiline``) before its
    length limits and, when given, its ``pattern`` (a file name's extension, say)."""
    return Annotated[str, Field(min_length=min_length, max_length=max_length, description=description,
                                pattern=pattern),
                     BeforeValidator(_before_multiline if multiline else _before), Rule("text")]


#: A person's name (姓名): 1-40 characters after the rule.
PersonName = text(min_length=1, max_length=40, description="姓名")
