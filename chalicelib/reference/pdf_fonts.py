"""The font of every PDF the platform renders (public notice, loan contract): Noto Sans SC, embedded.

A PDF that only names a font (as reportlab's built-in CID font ``STSong-Light`` did) shows its Chinese
text only where the reader's machine has a Chinese font: on one without, every Chinese character
disappears. The documents therefore embed their font: ``chalicelib/reference/fonts/NotoSansSC-Regular.ttf``
(Noto Sans SC 2.004, SIL Open Font License 1.1, TrueType outlines, embedding allowed: OS/2 ``fsType`` 0;
source and checksum in ``chalicelib/reference/SOURCES.md``). reportlab's ``TTFont`` writes into each PDF
only the glyphs the document uses (subsets of up to 256 glyphs, ``/FontFile2``), so a one-page notice
carries tens of kilobytes of font, not the 10 MB file. The font covers every CJK Unified Ideograph of the
basic block and Extension A (U+4E00–U+9FA5, U+3400–U+4DB5), so rare characters in names are printed too.

Reading the file (about 0.15 s, once per process) is the only I/O: the renderers stay pure functions
of their input.
"""
from __future__ import annotations

import threading

#: The name the documents use for the font (reportlab's registry).
FONT_NAME = "NotoSansSC"
#: The shipped file, relative to the ``chalicelib.reference`` package.
FONT_FILE = "fonts/NotoSansSC-Regular.ttf"

_lock = threading.Lock()


def register() -> str:
    """Register the embedded CJK font with reportlab (once per process; thread-safe) and return its
    name for ``setFont`` / ``ParagraphStyle(fontName=...)`` / ``stringWidth``."""
    from reportlab.pdfbase import pdfmetrics

    if FONT_NAME in pdfmetrics.getRegisteredFontNames():
        return FONT_NAME
    with _lock:
        if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
            from importlib import resources

            from reportlab.pdfbase.ttfonts import TTFont

            source = resources.files("chalicelib.reference").joinpath(FONT_FILE)
            with resources.as_file(source) as path:
                pdfmetrics.registerFont(TTFont(FONT_NAME, str(path)))
    return FONT_NAME


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """``text`` as lines no wider than ``width`` points in ``font`` at ``size`` points, broken between
    characters (Chinese has no spaces; an ID or account number must not be hyphenated either). A single
    character wider than ``width`` still gets a line of its own."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines, current = [], ""
    for ch in text:
        if current and stringWidth(current + ch, font, size) > width:
            lines.append(current)
            current = ""
        current += ch
    return lines + [current]
