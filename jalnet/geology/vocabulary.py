"""The lithology vocabulary: field words to registry codes, and how each code is drawn.

Codes (IS 1498 group symbols for soils, names for rocks) and their descriptions are the
registry domain ``lithology`` in :mod:`jalnet.registry.schema`; this module adds what
the registry does not need: the words drillers write on field sheets (``clay``,
``fine_sand``, ``murrum``) and the colour and hatch each code gets on strip logs and
sections. Free-text descriptions ("Clay with kankar", "Fine to medium sand", "Hard rock -
granite, weathered") are read with a lexicon, as striplog's ``Lexicon`` does: synonyms,
splitter words between components, main nouns with their qualifiers, grain sizes and rock
states are tables, so a new wording is a new table entry, not a new branch of code. The
text as written is always kept in ``logged_as``. A description in which no lithology word
is found is *unknown*: the interval is stored with an empty code, and validation reports
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
    if key in FIELD_TERMS:
        return FIELD_TERMS[key]
    return read_description(text).code


# ---------------------------------------------------------------------------------------
# The lexicon: free-text descriptions as CGWB and state field sheets write them.
# ---------------------------------------------------------------------------------------
#: Spellings and abbreviations read as one word (like striplog's Lexicon ``synonyms``).
SYNONYMS: dict[str, str] = {
    "kanker": "kankar", "kankars": "kankar", "kankary": "kankar", "calcrete": "kankar", "caliche": "kankar",
    "nodules": "kankar",
    "moorum": "murrum", "murum": "murrum", "morrum": "murrum", "murram": "murrum",
    "sands": "sand", "sst": "sandstone", "ss": "sandstone", "lst": "limestone", "gravels": "gravel",
    "pebble": "pebbles", "boulders": "boulder", "bldr": "boulder", "cobbles": "boulder", "clays": "clay",
    "silts": "silt", "topsoil": "soil", "top": "soil", "alluvium": "sand", "grit": "coarse",
    "laterite": "laterite", "lateritic": "laterite", "trap": "basalt", "deccan": "basalt",
    "phyllite": "schist", "charnockite": "gneiss", "granitic": "granite", "gneissic": "gneiss",
    "weathred": "weathered", "wethered": "weathered", "decomposed": "weathered", "disintegrated": "weathered",
    "jointed": "fractured", "fissured": "fractured", "fracture": "fractured", "fractures": "fractured",
    "crushed": "fractured", "sheared": "fractured",
    "f": "fine", "m": "medium", "c": "coarse", "med": "medium", "crs": "coarse",
}
#: Words that separate the components of a description: the first component that names a
#: lithology is the main one, the others are accessories ("clay with kankar").
SPLITTERS: tuple[str, ...] = ("with", "and", "intercalated", "interbedded", "mixed", "containing", "alternating",
                              "bands", "lenses", "traces", "admixed", "plus")
#: Main lithology words: (code without qualifier, {qualifier word: code}). Qualifiers are the
#: adjectives field sheets put before the noun (silty, sandy, clayey, gravelly, sticky...).
NOUNS: dict[str, tuple[str | None, dict[str, str]]] = {
    "soil": ("OL", {}),
    "clay": ("CH", {"silty": "CL", "sandy": "SC", "gravelly": "GC", "sticky": "CH", "plastic": "CH", "lean": "CL"}),
    "silt": ("ML", {"clayey": "MI", "sandy": "ML"}),
    "sand": ("SP", {"silty": "SM", "clayey": "SC", "gravelly": "SW"}),
    "gravel": ("GW", {"sandy": "GW", "silty": "GM", "clayey": "GC"}),
    "pebbles": ("GP", {}),
    "boulder": ("boulders", {}),
    "peat": ("Pt", {}),
    "kankar": ("kankar", {}),
    "murrum": ("weathered_rock", {}),
    "laterite": ("laterite", {}),
    "sandstone": ("sandstone", {}),
    "shale": ("shale", {}),
    "limestone": ("limestone", {}),
    "granite": ("granite", {}),
    "gneiss": ("gneiss", {}),
    "schist": ("schist", {}),
    "basalt": ("basalt", {}),
    "quartzite": ("quartzite", {}),
    "rock": (None, {}),  # "hard rock": a rock, but which one is in the other words
}
#: Sand by its coarsest grain size named ("fine to medium sand" is a medium sand).
GRAIN_CODES: dict[str, str] = {"fine": "SM", "medium": "SP", "coarse": "SW"}
GRAIN_ORDER: tuple[str, ...] = ("fine", "medium", "coarse")
#: The state of a rock decides its class: weathered or fractured granite is an aquifer, fresh granite is not.
ROCK_STATES: dict[str, str] = {"weathered": "weathered_rock", "fractured": "fractured_rock"}
ROCKS = frozenset({"granite", "gneiss", "schist", "basalt", "quartzite", "sandstone", "shale", "limestone", "rock",
                   "murrum", "laterite"})
#: Classes that hold and yield water: intervals of these are aquifers when a sheet has no aquifer column.
PERMEABLE: frozenset[str] = frozenset({"GW", "GP", "GM", "SW", "SP", "SM", "boulders", "weathered_rock",
                                        "fractured_rock", "sandstone"})


@dataclass(frozen=True)
class Reading:
    """What a description was read as: the code, the main word, the accessories ("kankar")."""

    text: str
    code: str | None
    main: str | None = None
    accessories: tuple[str, ...] = ()


def read_description(text: str) -> Reading:
    """Read a free-text description with the lexicon; code None when no lithology word is found."""
    tokens = [SYNONYMS.get(t, t) for t in re.findall(r"[a-z]+", str(text).lower())]
    parts: list[list[str]] = [[]]
    for token in tokens:
        if token in SPLITTERS:
            parts.append([])
        else:
            parts[-1].append(token)
    nouns = [[t for t in part if t in NOUNS] for part in parts]
    states = {t for t in tokens if t in ROCK_STATES}
    main_at = next((k for k, found in enumerate(nouns) if any(n != "rock" for n in found)), None)
    if main_at is None:
        main_at = next((k for k, found in enumerate(nouns) if found), None)
    if main_at is None:
        return Reading(text, None)
    part = parts[main_at]
    noun = next((n for n in reversed(nouns[main_at]) if n != "rock"), nouns[main_at][-1])
    others = tuple(n for k, found in enumerate(nouns) if k != main_at for n in found if n != noun)
    return Reading(text, _code(noun, part, states), noun, tuple(dict.fromkeys(others)))


def _code(noun: str, words: list[str], states: set[str]) -> str | None:
    if noun in ROCKS and states:
        return ROCK_STATES["fractured" if "fractured" in states else "weathered"]
    base, qualified = NOUNS[noun]
    before = words[: words.index(noun)]
    for word in reversed(before):
        if word in qualified:
            return qualified[word]
    if noun == "sand":
        grains = [g for g in GRAIN_ORDER if g in before]
        if grains:
            return GRAIN_CODES[grains[-1]]
    return base


#: Drilling methods as drilling logs write them, to the registry's codes.
DRILLING_TERMS: dict[str, str] = {
    "rotary": "direct_rotary", "mud_rotary": "direct_rotary", "direct_rotary": "direct_rotary", "dr": "direct_rotary",
    "drr": "direct_rotary", "hydraulic_rotary": "direct_rotary",
    "reverse_rotary": "reverse_rotary", "reverse_circulation": "reverse_rotary", "rc": "reverse_rotary",
    "rcr": "reverse_rotary", "reverse_circulation_rotary": "reverse_rotary",
    "dth": "dth", "down_the_hole": "dth", "dth_hammer": "dth", "down_the_hole_hammer": "dth", "hammer": "dth",
    "rotary_dth": "rotary_dth", "rotary_cum_dth": "rotary_dth", "rotary_and_dth": "rotary_dth",
    "combination": "rotary_dth", "rotary_dth_combination": "rotary_dth",
    "percussion": "percussion", "cable_tool": "percussion", "cable_tool_percussion": "percussion",
    "percussion_rig": "percussion", "churn": "percussion",
    "manual": "manual", "hand_boring": "manual", "hand_bored": "manual", "manual_boring": "manual",
    "hand_auger": "manual", "auger": "auger", "jetting": "jetting", "water_jetting": "jetting", "sludger": "jetting",
}


def drilling_method(text: object) -> str | None:
    """The drilling_method code for a log's wording ('Rotary', 'DTH', 'Rotary-cum-DTH'); None when unknown."""
    key = normalise_word(str(text))
    if key in DOMAINS["drilling_method"]:
        return key
    return DRILLING_TERMS.get(key)


def style(code: str | None) -> Style:
    return STYLES.get(code or "", UNKNOWN_STYLE)


def is1498_class(code: str | None) -> str:
    """'IS 1498 CL' for soils, the rock name otherwise, for legends."""
    if not code:
        return "unknown"
    return f"IS 1498 {code}" if code[0].isupper() else code.replace("_", " ")
