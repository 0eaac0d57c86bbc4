"""Which characters text that other people read may hold: titles, names, descriptions, bios.

Refused everywhere: the bidirectional embedding, override and isolate characters (U+202A to
U+202E, U+2066 to U+2069), which make text display in another order than it is stored
("invoice_\\u202egnp.exe" shows as "invoice_exe.png"). Right-to-left letters (Arabic, Hebrew)
need none of them and stay welcome, as do the marks U+200E and U+200F.

Refused in one-line text (titles, names): every control character (Unicode category Cc:
U+0000 to U+001F and U+007F to U+009F), the line break and the tab included. Multi-line text
(descriptions, a bio) may hold line breaks (\\n) and tabs (\\t), and no other control.
"""

from __future__ import annotations

import re

# Category Cc is exactly these two ranges (Unicode keeps it so); a test checks every code point.
_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_MULTI_LINE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

_NAMES = {"\n": "a line break", "\r": "a carriage return", "\t": "a tab"}


def display_text_problem(value: str, *, what: str, multiline: bool = False) -> str | None:
    """Why `value` cannot be shown to people, as a sentence about `what` ("A title"); or None.

    The sentence names the first refused character by its code point.
    """
    found = (_MULTI_LINE if multiline else _ONE_LINE).search(value)
    if found is None:
        return None
    char = found.group()
    code = f"U+{ord(char):04X}"
    if "\u202a" <= char <= "\u202e" or "\u2066" <= char <= "\u2069":
        return (
            f"{what} may not contain bidirectional embedding, override or isolate characters "
            f"(found {code}); right-to-left letters need none."
        )
    if multiline:
        return (
            f"{what} may not contain control characters other than line breaks and tabs "
            f"(found {code})."
        )
    name = _NAMES.get(char)
    found_what = f"{name}, {code}" if name else code
    return f"{what} is one line of text without control characters (found {found_what})."
