"""The lithology vocabulary: field words to registry codes, and how each code is drawn.

Codes (IS 1498 group symbols for soils, names for rocks) and their descriptions are the
registry domain ``lithology`` in :mod:`jalnet.registry.schema`; this module adds what
the registry does not need: the words drillers write on field sheets (``clay``,
``fine_sand``, ``murrum``) and the colour and hatch each code gets on strip logs and
sections. A word that is neither a code nor a known field word is *unknown*: the interval
is stored with an empty code and the word kept in ``logged_as``, and validation reports
it (rule ``unknown_lithology``), so the log is never refused for it nor silently recoded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from ..errors import InputError
from ..registry.schema import DOMAINS

CODES: dict[str, str] = DOMAINS["lithology"]

#: Default meaning of the words found on Indian field sheets. Override per import with
#: ``terms={"clay": "CI"}`` (CLI ``--term clay=CI``) where a project logs them differently.
FIELD_TERMS: dict[str, str] = {
    "top_soil": "OL",
    "soil": "OL",
    "clay": "CH",
    "sticky_clay": "CH",
    "silty_clay": "CL",
    "sandy_clay": "SC",
    "clayey_sand": "SC",
    "silt": "ML",
    "sandy_silt": "ML",
    "clayey_silt": "MI",
    "silty_sand": "SM",
    "fine_sand": "SM",
    "sand": "SP",
    "medium_sand": "SP",
    "coarse_sand": "SW",
    "gravelly_sand": "SW",
    "sand_and_gravel": "GW",
    "gravel": "GW",
    "pebbles": "GP",
    "boulder": "boulders",
    "peat": "Pt",
    "kankar": "kankar",
    "murrum": "weathered_rock",
    "moorum": "weathered_rock",
    "weathered": "weathered_rock",
    "fractured": "fractured_rock",
    "lateritic": "laterite",
    "trap": "basalt",
    "deccan_trap": "basalt",
    "phyllite": "schist",
}

_CODE_BY_LOWER = {code.lower(): code for code in CODES}


@dataclass(frozen=True)
class Style:
    """How a lithology is drawn: face colour and matplotlib hatch (FGDC/BGS-like conventions)."""

    colour: str
    hatch: str


#: Gravels orange with circles, sands yellow with dots, silts buff with bars, clays grey-green
#: with dashes, organics brown, rocks in their customary map colours.
STYLES: dict[str, Style] = {
    "GW": Style("#f4a742", "oo"),
    "GP": Style("#f7bd6b", "o"),
    "GM": Style("#e3b77a", "o."),
    "GC": Style("#c9a77a", "o-"),
    "SW": Style("#ffd84d", ".."),
    "SP": Style("#ffe98a", "."),
    "SM": Style("#f2e2a0", ".|"),
    "SC": Style("#dccf8c", ".-"),
    "ML": Style("#e8d9b5", "||"),
    "MI": Style("#dbc9a2", "|"),
    "MH": Style("#cdb88e", "|-"),
    "CL": Style("#b9cfb0", "--"),
    "CI": Style("#9fbf9a", "-"),
    "CH": Style("#8aa9a0", "---"),
    "OL": Style("#a08366", "-."),
    "OI": Style("#8a6d52", "-."),
    "OH": Style("#6f563f", "--."),
    "Pt": Style("#4e3b2a", "--"),
    "kankar": Style("#e7e2cf", "o."),
    "boulders": Style("#d39b5a", "O"),
    "laterite": Style("#b5472f", "xx"),
    "weathered_rock": Style("#c8a27c", "\\\\"),
    "fractured_rock": Style("#a7a7a7", "x\\"),
    "sandstone": Style("#f1c98a", "..."),
    "shale": Style("#7d8a8f", "-."),
    "limestone": Style("#8fb7d6", "+"),
    "granite": Style("#f2a3a3", "+"),
    "gneiss": Style("#d88fa8", "//"),
    "schist": Style("#a58fc2", "/-"),
    "basalt": Style("#5e6169", "x"),
    "quartzite": Style("#efe7da", "+."),
}
#: Intervals whose lithology is unknown: white with question-mark-like cross hatching.
UNKNOWN_STYLE = Style("#ffffff", "xx")


def normalise_word(word: str) -> str:
    """'Fine Sand', 'fine-sand' and 'fine sand ' all become 'fine_sand'."""
    return re.sub(r"[^0-9a-z]+", "_", str(word).strip().lower()).strip("_")


def parse_terms(pairs: Mapping[str, str] | None) -> dict[str, str]:
    """User term overrides checked against the codes: {'clay': 'CI'} with words normalised."""
    out: dict[str, str] = {}
    for word, code in (pairs or {}).items():
        found = _CODE_BY_LOWER.get(str(code).strip().lower())
        if found is None:
            raise InputError(
                f"lithology term '{word}={code}': '{code}' is not a lithology code (codes: {', '.join(CODES)})"
            )
        out[normalise_word(word)] = found
    return out


def lithology_code(word: object, terms: Mapping[str, str] | None = None) -> str | None:
    """The code for a logged word, or None when the word is unknown (or empty)."""
    if word is None:
        return None
    text = str(word).strip()
    if not text:
        return None
    if text.lower() in _CODE_BY_LOWER:
        return _CODE_BY_LOWER[text.lower()]
    key = normalise_word(text)
    if terms and key in terms:
        return terms[key]
    if key in _CODE_BY_LOWER:
        return _CODE_BY_LOWER[key]
    return FIELD_TERMS.get(key)


def style(code: str | None) -> Style:
    return STYLES.get(code or "", UNKNOWN_STYLE)


def is1498_class(code: str | None) -> str:
    """'IS 1498 CL' for soils, the rock name otherwise, for legends."""
    if not code:
        return "unknown"
    return f"IS 1498 {code}" if code[0].isupper() else code.replace("_", " ")
