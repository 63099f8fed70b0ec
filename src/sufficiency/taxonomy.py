"""The vocabulary: tiers, needs and broad areas, ages, bands and phases, and label aliases."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from .errors import DataError, Problem

#: The six tiers of the graduated model of provision, least to most specialist.
TIERS: tuple[str, ...] = (
    "mainstream",
    "sen_support",
    "partnership",
    "enhanced_resource",
    "special_school",
    "independent",
)

#: Tier name -> tier number (1 = mainstream … 6 = independent).
TIER_NUMBER: dict[str, int] = {name: i + 1 for i, name in enumerate(TIERS)}

#: Primary need codes (DfE school census / SEN2) in census order.
NEEDS: tuple[str, ...] = (
    "SPLD",
    "MLD",
    "SLD",
    "PMLD",
    "SEMH",
    "SLCN",
    "HI",
    "VI",
    "MSI",
    "PD",
    "ASD",
    "OTH",
    "NSA",
)

#: Needs an EHC plan can record (NSA is SEN support only).
EHCP_NEEDS: tuple[str, ...] = tuple(n for n in NEEDS if n != "NSA")

#: The four broad areas of need of the SEND Code of Practice.
BROAD_AREA: dict[str, str] = {
    "SLCN": "communication_and_interaction",
    "ASD": "communication_and_interaction",
    "SPLD": "cognition_and_learning",
    "MLD": "cognition_and_learning",
    "SLD": "cognition_and_learning",
    "PMLD": "cognition_and_learning",
    "SEMH": "social_emotional_and_mental_health",
    "HI": "sensory_and_physical",
    "VI": "sensory_and_physical",
    "MSI": "sensory_and_physical",
    "PD": "sensory_and_physical",
    "OTH": "other",
    "NSA": "other",
}

#: Ages covered: 0–25 at 31 August.
AGES: tuple[int, ...] = tuple(range(26))
MIN_AGE, MAX_AGE = 0, 25

#: SEN2 age bands (label, first age, last age).
AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("0-4", 0, 4),
    ("5-10", 5, 10),
    ("11-15", 11, 15),
    ("16-19", 16, 19),
    ("20-25", 20, 25),
)
AGE_BAND_LABELS: tuple[str, ...] = tuple(b[0] for b in AGE_BANDS)

#: Phases of education (label, first age, last age).
PHASES: tuple[tuple[str, int, int], ...] = (
    ("early_years", 0, 3),
    ("primary", 4, 10),
    ("secondary", 11, 15),
    ("post16", 16, 18),
    ("post19", 19, 25),
)
PHASE_LABELS: tuple[str, ...] = tuple(p[0] for p in PHASES)

_AGE_TO_BAND = np.array([next(b for b, lo, hi in AGE_BANDS if lo <= a <= hi) for a in AGES])
_AGE_TO_PHASE = np.array([next(p for p, lo, hi in PHASES if lo <= a <= hi) for a in AGES])

#: Categorical dtypes for tidy frames.
NEED_DTYPE = pd.CategoricalDtype(list(NEEDS), ordered=False)
TIER_DTYPE = pd.CategoricalDtype(list(TIERS), ordered=True)
AGE_BAND_DTYPE = pd.CategoricalDtype(list(AGE_BAND_LABELS), ordered=True)
PHASE_DTYPE = pd.CategoricalDtype(list(PHASE_LABELS), ordered=True)


def _key(label: str) -> str:
    """Normalise a label for alias lookup: lower case, punctuation and spaces collapsed."""
    s = label.strip().lower().replace("&", " and ")
    s = re.sub(r"[^a-z0-9]+", " ", s)
    return re.sub(r"\s+", " ", s).strip()


_NEED_ALIASES_RAW: dict[str, tuple[str, ...]] = {
    "SPLD": (
        "SpLD",
        "Specific Learning Difficulty",
        "Specific Learning Difficulties",
        "Dyslexia",
    ),
    "MLD": ("Moderate Learning Difficulty", "Moderate Learning Difficulties"),
    "SLD": ("Severe Learning Difficulty", "Severe Learning Difficulties"),
    "PMLD": (
        "Profound and Multiple Learning Difficulty",
        "Profound and Multiple Learning Difficulties",
        "Profound & Multiple Learning Difficulty",
    ),
    "SEMH": (
        "Social, Emotional and Mental Health",
        "Social Emotional and Mental Health",
        "Social, emotional and mental health difficulties",
        "Behaviour, Emotional and Social Difficulty",
        "BESD",
    ),
    "SLCN": (
        "Speech, Language and Communication Needs",
        "Speech Language and Communication Needs",
        "Speech, language and communication",
        "Speech and Language",
    ),
    "HI": ("Hearing Impairment", "Deaf", "Hearing"),
    "VI": ("Visual Impairment", "Vision Impairment", "Visual"),
    "MSI": ("Multi-Sensory Impairment", "Multi Sensory Impairment", "Multisensory Impairment"),
    "PD": ("Physical Disability", "Physical Disabilities", "Physical"),
    "ASD": (
        "Autistic Spectrum Disorder",
        "Autism Spectrum Disorder",
        "Autistic Spectrum Condition",
        "Autism Spectrum Condition",
        "ASC",
        "Autism",
        "Autistic",
    ),
    "OTH": ("Other Difficulty/Disability", "Other Difficulty or Disability", "Other", "OTHER"),
    "NSA": (
        "SEN support but no specialist assessment of type of need",
        "No Specialist Assessment",
        "No specialist assessment of type of need",
    ),
}


def _build_need_aliases() -> dict[str, str]:
    table: dict[str, str] = {}
    for code, names in _NEED_ALIASES_RAW.items():
        spellings = {code, *names}
        for name in names:
            spellings.add(f"{code} - {name}")
            spellings.add(f"{name} ({code})")
        for s in spellings:
            table[_key(s)] = code
    return table


#: Normalised spelling -> need code. Extend with :func:`register_need_alias`.
NEED_ALIASES: dict[str, str] = _build_need_aliases()

_TIER_ALIASES: dict[str, str] = {
    **{_key(t): t for t in TIERS},
    **{str(i + 1): t for i, t in enumerate(TIERS)},
    _key("SEN support"): "sen_support",
    _key("partnership arrangements"): "partnership",
    _key("alternative provision"): "partnership",
    _key("enhanced resource"): "enhanced_resource",
    _key("enhanced resource provision"): "enhanced_resource",
    _key("resourced provision"): "enhanced_resource",
    _key("resource base"): "enhanced_resource",
    _key("SEN unit"): "enhanced_resource",
    _key("special"): "special_school",
    _key("special school"): "special_school",
    _key("independent special"): "independent",
    _key("independent special school"): "independent",
    _key("INMSS"): "independent",
}

_AGE_BAND_ALIASES: dict[str, str] = {
    **{_key(b): b for b in AGE_BAND_LABELS},
    _key("Under 5"): "0-4",
    _key("Age 5 to 10"): "5-10",
    _key("Age 11 to 15"): "11-15",
    _key("Age 16 to 19"): "16-19",
    _key("Age 20 to 25"): "20-25",
    _key("5 to 10"): "5-10",
    _key("11 to 15"): "11-15",
    _key("16 to 19"): "16-19",
    _key("20 to 25"): "20-25",
}


def register_need_alias(spelling: str, code: str) -> None:
    """Teach the alias table a local spelling of a need.

    Args:
        spelling: The label as it appears in a council's data.
        code: One of :data:`NEEDS`.

    Raises:
        DataError: If ``code`` is not a need code.
    """
    if code not in NEEDS:
        raise DataError(f"cannot alias {spelling!r} to {code!r}: not one of {', '.join(NEEDS)}")
    NEED_ALIASES[_key(spelling)] = code


def _map_labels(
    values: Iterable[object],
    table: Mapping[str, str],
    what: str,
    accepted: Iterable[str],
    where: str,
) -> list[str]:
    out: list[str] = []
    unknown: dict[str, None] = {}
    for v in values:
        missing = v is None or (isinstance(v, float) and np.isnan(v))
        code = None if missing else table.get(_key(str(v)))
        if code is None:
            unknown[str(v)] = None
            out.append("")
        else:
            out.append(code)
    if unknown:
        raise DataError(
            f"unknown {what} label(s): {', '.join(repr(u) for u in unknown)}",
            [Problem(where, f"accepted {what} values: {', '.join(accepted)}")],
        )
    return out


def need_code(label: str) -> str:
    """Map one need label in any known spelling to its code.

    Raises:
        DataError: If the label is unknown; the message lists the accepted codes.
    """
    return _map_labels([label], NEED_ALIASES, "need", NEEDS, "")[0]


def tier_name(label: str | int) -> str:
    """Map a tier label (name, number 1–6 or common spelling) to its name.

    Raises:
        DataError: If the label is unknown.
    """
    return _map_labels([label], _TIER_ALIASES, "tier", TIERS, "")[0]


def age_band_label(label: str) -> str:
    """Map an age band label ("5-10", "Age 5 to 10", …) to its SEN2 label.

    Raises:
        DataError: If the label is unknown.
    """
    return _map_labels([label], _AGE_BAND_ALIASES, "age band", AGE_BAND_LABELS, "")[0]


def lookup(kind: str, label: object) -> str | None:
    """Return the canonical label for ``kind`` (need, tier, age_band), or None if unknown."""
    table = {"need": NEED_ALIASES, "tier": _TIER_ALIASES, "age_band": _AGE_BAND_ALIASES}[kind]
    if label is None or (isinstance(label, float) and np.isnan(label)):
        return None
    return table.get(_key(str(label)))


def accepted(kind: str) -> tuple[str, ...]:
    """The canonical labels of ``kind`` (need, tier, age_band)."""
    return {"need": NEEDS, "tier": TIERS, "age_band": AGE_BAND_LABELS}[kind]


def age_band_of(ages: Iterable[int] | np.ndarray) -> np.ndarray:
    """Age band label of each single year of age (0–25)."""
    return _AGE_TO_BAND[np.asarray(ages, dtype=int)]


def phase_of(ages: Iterable[int] | np.ndarray) -> np.ndarray:
    """Phase label of each single year of age (0–25)."""
    return _AGE_TO_PHASE[np.asarray(ages, dtype=int)]


def band_ages(band: str) -> tuple[int, int]:
    """First and last single year of age of an age band."""
    for label, lo, hi in AGE_BANDS:
        if label == band:
            return lo, hi
    raise DataError(f"unknown age band {band!r}; accepted: {', '.join(AGE_BAND_LABELS)}")


def as_categories(frame: pd.DataFrame) -> pd.DataFrame:
    """Give the vocabulary columns present in ``frame`` their categorical dtypes (copy)."""
    out = frame.copy()
    for col, dtype in (
        ("need", NEED_DTYPE),
        ("tier", TIER_DTYPE),
        ("age_band", AGE_BAND_DTYPE),
        ("phase", PHASE_DTYPE),
    ):
        if col in out.columns:
            out[col] = out[col].astype(str).astype(dtype)
    return out
