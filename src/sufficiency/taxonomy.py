"""The vocabulary: tiers, needs and broad areas, ages, bands and phases, and label aliases."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

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

#: Plan status of a child: with an EHC plan, or on SEN support (no plan).
PROVISIONS: tuple[str, ...] = ("ehc_plan", "sen_support")
#: Tiers whose settings take children on SEN support unless the register says otherwise
#: (``takes_sen_support``): mainstream, SEN support and partnership (alternative provision)
#: settings; resourced provision only where flagged; special and independent schools never.
SEN_SUPPORT_TIERS: tuple[str, ...] = ("mainstream", "sen_support", "partnership")

#: Primary need codes (DfE school census / SEN2) in census order. DS (Down syndrome) is a
#: code of the SEN2 return and the school census from January 2025.
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
    "DS",
    "OTH",
    "NSA",
)

#: Needs an EHC plan can record (NSA is SEN support only).
EHCP_NEEDS: tuple[str, ...] = tuple(n for n in NEEDS if n != "NSA")

#: Down syndrome's code, recorded from January 2025 (SEN2 and school census).
DOWN_SYNDROME = "DS"
#: The needs of the DfE's published EHC plan statistics: every EHC plan need but DS, which
#: the release counts under "other difficulty/disability" (OTH). Published history, and
#: anything calibrated to it, has no DS.
PUBLISHED_EHCP_NEEDS: tuple[str, ...] = tuple(n for n in EHCP_NEEDS if n != DOWN_SYNDROME)
#: The learning difficulties a setting for children with Down syndrome meets: a needs list
#: written before DS was a code (the register's ``SEN1``–``SEN13``, a settings table that
#: names no DS) that names one of them is read as meeting DS too.
DS_MET_WITH: tuple[str, ...] = ("MLD", "SLD", "PMLD")

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
    # Down syndrome is a condition, not one of the Code of Practice's areas; almost every
    # child with it has a learning difficulty, which is what their provision meets (the
    # settings that take them are those for MLD, SLD and PMLD: DS_MET_WITH), so it
    # belongs with cognition and learning, not with OTH's "other".
    "DS": "cognition_and_learning",
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
PROVISION_DTYPE = pd.CategoricalDtype(list(PROVISIONS), ordered=True)
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
    "DS": ("Down Syndrome", "Down's Syndrome", "Downs Syndrome"),
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


def with_down_syndrome(lists: Sequence[Sequence[str]]) -> list[tuple[str, ...]]:
    """A table's needs lists, read as written before DS was a code where none names it.

    Down syndrome became a need code in January 2025; registers and settings tables written
    before then cannot name it, though their settings for learning difficulties take
    children with Down syndrome. So where no list of the table names DS (``ALL``, every
    need, does not name it), every list naming one of :data:`DS_MET_WITH` meets DS too; a
    table that names DS anywhere is read as written.

    Args:
        lists: Each setting's need codes, in table order.

    Returns:
        The lists as tuples, DS added where the rule applies.
    """
    tuples = [tuple(codes) for codes in lists]
    every = set(EHCP_NEEDS)  # ALL: every need, not DS named
    if any(DOWN_SYNDROME in codes and not every <= set(codes) for codes in tuples):
        return tuples
    return [
        (*codes, DOWN_SYNDROME)
        if DOWN_SYNDROME not in codes and any(n in codes for n in DS_MET_WITH)
        else codes
        for codes in tuples
    ]


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


_LIST_SEPARATORS = re.compile(r"([;,|/])")


def need_list(text: str) -> tuple[list[str], list[str]]:
    """The need codes a list of needs names, and the parts of it that name none.

    Needs are separated by ``;``, ``,``, ``|`` or ``/`` (``ASD; SLCN``, ``ASD, SLCN``,
    ``ASD/SEMH``); a need whose name holds one of them ("Social, emotional and mental
    health", "Other difficulty/disability") is read whole: at each place the longest run of
    parts that names a need is taken.

    Args:
        text: The list as written (not ``ALL``).

    Returns:
        The codes in the order named (each once), and the unknown parts.
    """
    pieces = _LIST_SEPARATORS.split(text)
    words, seps = pieces[0::2], pieces[1::2]
    codes: list[str] = []
    unknown: list[str] = []
    i = 0
    while i < len(words):
        if not words[i].strip():
            i += 1
            continue
        for j in range(len(words), i, -1):
            name = words[i] + "".join(seps[k] + words[k + 1] for k in range(i, j - 1))
            code = lookup("need", name.strip())
            if code is not None:
                codes.append(code)
                i = j
                break
        else:
            unknown.append(words[i].strip())
            i += 1
    return list(dict.fromkeys(codes)), unknown


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
        ("provision", PROVISION_DTYPE),
        ("age_band", AGE_BAND_DTYPE),
        ("phase", PHASE_DTYPE),
    ):
        if col in out.columns and out[col].dtype != dtype:  # (a column of it already: as is)
            out[col] = as_category(out[col], dtype)
    return out


def as_category(values: pd.Series, dtype: pd.CategoricalDtype) -> pd.Series:
    """``values.astype(str).astype(dtype)``, each distinct value turned to text once (a
    table of allocations repeats a few needs and tiers over thousands of rows): a value
    whose text is no category, or a missing one, is missing."""
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    at = dtype.categories.get_indexer(pd.Index([str(v) for v in distinct], dtype=object))
    return pd.Series(
        pd.Categorical.from_codes(np.append(at, -1)[codes], dtype=dtype),
        index=values.index,
        name=values.name,
    )


# --- reporting categories of settings: the DSG management plan, SCAP and phase -----------

#: The DSG management plan's placement categories (high-needs sections of the template).
DSG_CATEGORIES: tuple[str, ...] = (
    "mainstream",
    "resourced_provision",
    "special",
    "independent_special",
    "hospital_ap",
    "post16_fe",
    "other",
)

#: SCAP SEND provision types: SEN unit / resourced provision, independent and
#: non-maintained special, state special, alternative provision; ``none`` = not specialist.
SCAP_TYPES: tuple[str, ...] = ("UR", "IN", "SS", "AP", "none")

#: Phases of a setting (from the ages it takes): ``all_through`` spans primary and secondary.
SETTING_PHASES: tuple[str, ...] = (
    "early_years",
    "primary",
    "secondary",
    "all_through",
    "post16",
)

#: The DfE's establishment types (the placement columns of the EHC plan statistics'
#: ``caseload.csv``, plus ``hospital_school``) -> (DSG category, SCAP type).
ESTABLISHMENT_TYPES: dict[str, tuple[str, str]] = {
    "mainstream_la_maintained": ("mainstream", "none"),
    "mainstream_academy": ("mainstream", "none"),
    "mainstream_free_school": ("mainstream", "none"),
    "mainstream_independent": ("mainstream", "none"),
    "nm_early_years": ("mainstream", "none"),
    **{
        f"mainstream_{kind}_{unit}": ("resourced_provision", "UR")
        for kind in ("la_maintained", "academy", "free_school")
        for unit in ("resourced_provision", "senunit")
    },
    "special_la_maintained": ("special", "SS"),
    "special_academy_free": ("special", "SS"),
    "special_independent": ("independent_special", "IN"),
    "special_non_maintained": ("independent_special", "IN"),
    "ap_pru_la_maintained": ("hospital_ap", "AP"),
    "ap_pru_academy": ("hospital_ap", "AP"),
    "ap_pru_free_school": ("hospital_ap", "AP"),
    "hospital_school": ("hospital_ap", "AP"),
    "general_fe_tertiary_colleges": ("post16_fe", "none"),
    "specialist_post_16_institutions": ("post16_fe", "IN"),
    "ukrlp_provider": ("post16_fe", "none"),
    "online_provider": ("other", "none"),
    "other_schools": ("other", "none"),
    "other_placement_settings": ("other", "none"),
    "w_settings": ("other", "none"),
}

#: The register of establishments' ``TypeOfEstablishment (name)`` ("Get information about
#: schools") -> the establishment type above. Resourced provision and SEN units are not
#: types there: they are capacities of a mainstream school (``mainstream_<kind>_…``).
GIAS_TYPES: dict[str, str] = {
    "Community school": "mainstream_la_maintained",
    "Voluntary aided school": "mainstream_la_maintained",
    "Voluntary controlled school": "mainstream_la_maintained",
    "Foundation school": "mainstream_la_maintained",
    "Local authority nursery school": "mainstream_la_maintained",
    "Academy converter": "mainstream_academy",
    "Academy sponsor led": "mainstream_academy",
    "City technology college": "mainstream_academy",
    "University technical college": "mainstream_academy",
    "Studio schools": "mainstream_academy",
    "Free schools": "mainstream_free_school",
    "Other independent school": "mainstream_independent",
    "Community special school": "special_la_maintained",
    "Foundation special school": "special_la_maintained",
    "Academy special converter": "special_academy_free",
    "Academy special sponsor led": "special_academy_free",
    "Free schools special": "special_academy_free",
    "Other independent special school": "special_independent",
    "Non-maintained special school": "special_non_maintained",
    "Pupil referral unit": "ap_pru_la_maintained",
    "Academy alternative provision converter": "ap_pru_academy",
    "Academy alternative provision sponsor led": "ap_pru_academy",
    "Free schools alternative provision": "ap_pru_free_school",
    "Further education": "general_fe_tertiary_colleges",
    "Sixth form centres": "general_fe_tertiary_colleges",
    "Academy 16-19 converter": "general_fe_tertiary_colleges",
    "Academy 16 to 19 sponsor led": "general_fe_tertiary_colleges",
    "Free schools 16 to 19": "general_fe_tertiary_colleges",
    "Special post 16 institution": "specialist_post_16_institutions",
    "Online provider": "online_provider",
}

#: Tier of the graduated model of each establishment type, for settings read from a
#: register: a mainstream school or college with EHC plan top-up is ``sen_support``.
ESTABLISHMENT_TIER: dict[str, str] = {
    **{e: "sen_support" for e, (dsg, _) in ESTABLISHMENT_TYPES.items() if dsg == "mainstream"},
    **{e: "enhanced_resource" for e, (dsg, _) in ESTABLISHMENT_TYPES.items()
       if dsg == "resourced_provision"},
    "special_la_maintained": "special_school",
    "special_academy_free": "special_school",
    "special_independent": "independent",
    "special_non_maintained": "independent",
    "ap_pru_la_maintained": "partnership",
    "ap_pru_academy": "partnership",
    "ap_pru_free_school": "partnership",
    "hospital_school": "partnership",
    "general_fe_tertiary_colleges": "sen_support",
    "specialist_post_16_institutions": "independent",
    "ukrlp_provider": "sen_support",
    "online_provider": "sen_support",
    "other_schools": "sen_support",
    "other_placement_settings": "sen_support",
    "w_settings": "sen_support",
}  # fmt: skip

#: Children with plans not in a school or college fall in the DSG plan's ``other``.
NOT_IN_SCHOOL_DSG_CATEGORY = "other"

#: DSG plan age groups: the SEN2 bands under the template's names.
DSG_AGE_GROUPS: dict[str, str] = {
    "0-4": "under_5",
    "5-10": "age_5_10",
    "11-15": "age_11_15",
    "16-19": "age_16_19",
    "20-25": "age_20_25",
}

#: Phase of a child in the returns, by age band (SCAP asks for primary and secondary).
BAND_PHASE: dict[str, str] = {
    "0-4": "early_years",
    "5-10": "primary",
    "11-15": "secondary",
    "16-19": "post16",
    "20-25": "post16",
}

#: Need groups of the commissioning views (the four broad areas, and ``other``).
NEED_GROUPS: tuple[str, ...] = (
    "communication_and_interaction",
    "cognition_and_learning",
    "social_emotional_and_mental_health",
    "sensory_and_physical",
    "other",
)


def establishment_from_tier(tiers: Iterable[str], age_min: Iterable[int]) -> np.ndarray:
    """The establishment type assumed for settings whose register does not give one.

    Mainstream and SEN-support settings are LA maintained mainstream schools (general FE
    colleges when they take no one under 16); partnership settings are pupil referral
    units; enhanced resources are resourced provision; special schools are LA maintained;
    independent settings are independent special schools (specialist post-16 institutions
    when they take no one under 16).
    """
    tier = np.asarray(list(tiers), dtype=object)
    post16 = np.asarray(list(age_min), dtype=int) >= 16
    out = np.full(len(tier), "other_placement_settings", dtype=object)
    school = {
        "mainstream": "mainstream_la_maintained",
        "sen_support": "mainstream_la_maintained",
        "partnership": "ap_pru_la_maintained",
        "enhanced_resource": "mainstream_la_maintained_resourced_provision",
        "special_school": "special_la_maintained",
        "independent": "special_independent",
    }
    for t, e in school.items():
        out[tier == t] = e
    out[post16 & np.isin(tier, ["mainstream", "sen_support"])] = "general_fe_tertiary_colleges"
    out[post16 & (tier == "independent")] = "specialist_post_16_institutions"
    return out


def setting_phase(age_min: Iterable[int], age_max: Iterable[int]) -> np.ndarray:
    """Phase of settings from the ages they take (see :data:`SETTING_PHASES`)."""
    lo = np.asarray(list(age_min), dtype=int)
    hi = np.asarray(list(age_max), dtype=int)
    return np.select(
        [hi <= 3, lo >= 16, (lo <= 10) & (hi >= 11), hi <= 10],
        ["early_years", "post16", "all_through", "primary"],
        default="secondary",
    ).astype(object)
