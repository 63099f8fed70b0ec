"""The documented columns of the DfE's EHC plan files, and what each means in our vocabulary.

Every column here is named in the release's data guidance (``data-guidance.txt`` of the
"Education, health and care plans" release, reporting year 2025) or is one of the
geography and filter columns every Explore Education Statistics file carries. The readers
use these lists to tell a known column from an unknown one: unknown columns are named in
one warning and skipped, never fatal.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable

from ..errors import DataWarning

#: Geography, time and filter columns of Explore Education Statistics files.
GEOGRAPHY: frozenset[str] = frozenset(
    {
        "time_period",
        "time_identifier",
        "geographic_level",
        "country_code",
        "country_name",
        "region_code",
        "region_name",
        "new_la_code",
        "old_la_code",
        "la_name",
        "breakdown_topic",
        "breakdown",
    }
)

#: Tier of each placement column (``caseload.csv`` and ``newplans.csv``).
NOT_PLACED = "not_placed"
PLACEMENT_TIER: dict[str, str] = {
    "mainstream_la_maintained": "sen_support",
    "mainstream_academy": "sen_support",
    "mainstream_free_school": "sen_support",
    "mainstream_independent": "sen_support",
    "mainstream_la_maintained_resourced_provision": "enhanced_resource",
    "mainstream_la_maintained_senunit": "enhanced_resource",
    "mainstream_academy_resourced_provision": "enhanced_resource",
    "mainstream_academy_senunit": "enhanced_resource",
    "mainstream_free_school_resourced_provision": "enhanced_resource",
    "mainstream_free_school_senunit": "enhanced_resource",
    "special_la_maintained": "special_school",
    "special_academy_free": "special_school",
    "special_independent": "independent",
    "special_non_maintained": "independent",
    "ap_pru_academy": "partnership",
    "ap_pru_free_school": "partnership",
    "ap_pru_la_maintained": "partnership",
    "general_fe_tertiary_colleges": "sen_support",
    "ukrlp_provider": "sen_support",
    "specialist_post_16_institutions": "independent",
    "nm_early_years": "sen_support",
    "elective_home_education": NOT_PLACED,
    "other_arrangements_la": NOT_PLACED,
    "other_arrangements_parents": NOT_PLACED,
    "online_provider": NOT_PLACED,
    "w_settings": NOT_PLACED,
    "other_schools": NOT_PLACED,
    "other_placement_settings": NOT_PLACED,
    "neet": NOT_PLACED,
    "neet_ntci": NOT_PLACED,
    "neet_other": NOT_PLACED,
    "neet_other_csa": NOT_PLACED,
    "placement_unknown": NOT_PLACED,
    "await_prov_2022": NOT_PLACED,
    "perm_ex_2022": NOT_PLACED,
}

#: Placement columns' descriptions in the data guidance: the labels the 2024+ files use as
#: ``breakdown`` values when they break a count down by placement (need × placement).
PLACEMENT_LABEL: dict[str, str] = {
    "mainstream_la_maintained": "Mainstream LA maintained schools",
    "mainstream_la_maintained_resourced_provision": (
        "Mainstream LA maintained schools - resourced provision"
    ),
    "mainstream_la_maintained_senunit": "Mainstream LA maintained schools - SEN units",
    "mainstream_academy": "Mainstream academies",
    "mainstream_academy_resourced_provision": "Mainstream academies - resourced provision",
    "mainstream_academy_senunit": "Mainstream academies - SEN units",
    "mainstream_free_school": "Mainstream free schools",
    "mainstream_free_school_resourced_provision": "Mainstream free schools - resourced provision",
    "mainstream_free_school_senunit": "Mainstream free schools - SEN units",
    "mainstream_independent": "Mainstream independent schools",
    "special_la_maintained": "LA maintained special schools",
    "special_academy_free": "Special academies and free schools",
    "special_independent": "Independent special schools",
    "special_non_maintained": "Non maintained special schools",
    "ap_pru_academy": "Alternative provision academies",
    "ap_pru_free_school": "Alternative provision free schools",
    "ap_pru_la_maintained": "Pupil referral units",
    "general_fe_tertiary_colleges": "FE colleges and sixth forms",
    "ukrlp_provider": "UKRLP providers",
    "specialist_post_16_institutions": "Specialist post 16 establishments",
    "nm_early_years": "Non maintained early years",
    "elective_home_education": "Elective home education",
    "other_arrangements_la": "Other arrangements made by LA",
    "other_arrangements_parents": "Other arrangements made by parents",
    "online_provider": "Online providers",
    "w_settings": "Welsh schools and establishments",
    "other_schools": "Other school types",
    "other_placement_settings": "Other types of placement",
    "neet": "Not in employment, education or training",
    "neet_ntci": "Not in education or training – notice to cease issued",
    "neet_other": "Not in education or training – other age groups",
    "neet_other_csa": "Not in education or training – compulsory school age",
    "placement_unknown": "Placement not recorded",
    "await_prov_2022": "Awaiting provision (pre 2023 only)",
    "perm_ex_2022": "Permanently excluded (pre 2023 only)",
}

#: Sums and shares the files publish beside the counts (read past, never used).
PLACEMENT_DERIVED: frozenset[str] = frozenset(
    {
        "mainstream_total",
        "mainstream_total_pc",
        "special_total",
        "special_total_pc",
        "ap_pru_total",
        "AP_PRU_total_pc",
        "fe_total",
        "fe_total_pc",
        "ed_elsewhere",
        "ed_elsewhere_pc",
        "nm_early_years_pc",
        "placement_unknown_pc",
    }
)

#: Primary need columns of ``sen_needs_all_plans.csv`` and ``sen_need_newplans.csv``.
NEED_COLUMN: dict[str, str] = {
    "number_asd": "ASD",
    "number_hi": "HI",
    "number_mld": "MLD",
    "number_msi": "MSI",
    "number_oth": "OTH",
    "number_pd": "PD",
    "number_pmld": "PMLD",
    "number_semh": "SEMH",
    "number_slcn": "SLCN",
    "number_sld": "SLD",
    "number_spld": "SPLD",
    "number_vi": "VI",
}
#: Plans whose primary need is not recorded (kept apart: not a need of the vocabulary).
NEED_UNKNOWN = "number_need_unknown"
NEED_DERIVED: frozenset[str] = frozenset(
    {f"{c.removeprefix('number_')}_pc" for c in NEED_COLUMN} | {"unknown_pc"}
)

#: Reasons a plan ceased (``ceased_plans.csv``), column -> label.
CEASED_REASON: dict[str, str] = {
    "max_age": "maximum age reached",
    "needs_met": "needs met without a plan",
    "he": "moved to higher education",
    "employ": "moved to paid employment",
    "transfer": "transferred to another LA",
    "no_engage": "no longer wishes to engage",
    "moved_outside_eng": "moved outside England",
    "deceased": "deceased",
    "not_rec": "other reasons",
    "other": "reason not recorded",
}

#: Counts of ``requests.csv`` kept, column -> name in the returned frame.
REQUEST_COUNTS: dict[str, str] = {
    "requests_received_in_year": "requests",
    "requests_decided_to_assess": "decided_to_assess",
    "requests_decided_not_to_assess": "decided_not_to_assess",
    "requests_decision_not_made": "decision_not_made",
    "requests_withdrawn": "withdrawn",
}
REQUEST_OTHER: frozenset[str] = frozenset(
    {
        "requests_rya",
        "request_assess_pc",
        "request_not_assess_pc",
        "request_outstanding_pc",
        "request_withdrawn_pc",
        "request_outcome_six_weeks",
        "request_outcome_over_6_weeks",
        "request_outcome_six_weeks_pc",
        "request_outcome_over_6_weeks_pc",
        "mediation_related_request",
        "tribunal_related_request",
        "tribunal_after_mediation_request",
    }
)

#: Counts of ``assessments.csv`` kept, column -> name in the returned frame.
ASSESSMENT_COUNTS: dict[str, str] = {
    "assess_in_year": "assessments",
    "assess_issued": "plan_issued",
    "assess_not_issued": "plan_not_issued",
    "assess_not_made": "decision_outstanding",
    "assess_withdrawn": "withdrawn",
}
ASSESSMENT_OTHER: frozenset[str] = frozenset(
    {
        "assess_issued_pc",
        "assess_not_issued_pc",
        "assess_not_made_pc",
        "assess_withdrawn_pc",
        "outcome_decision_within_time",
        "outcome_decision_over_time",
        "outcome_decision_within_time_pc",
        "outcome_decision_over_time_pc",
        "number_assess_mediation",
        "number_assess_tribunal",
        "number_asssess_mediation_tribunal",
        "number_other_mediation",
        "number_other_tribunal",
        "number_other_mediation_tribunal",
    }
)

#: The documented columns of each file kind (besides :data:`GEOGRAPHY`).
_PLACEMENTS = frozenset(PLACEMENT_TIER) | PLACEMENT_DERIVED
DOCUMENTED: dict[str, frozenset[str]] = {
    "caseload": _PLACEMENTS | {"ehcplans"},
    "newplans": _PLACEMENTS | {"new_ehc_plans"},
    "needs": frozenset(NEED_COLUMN) | {NEED_UNKNOWN, "ehc_plans"} | NEED_DERIVED,
    "ceased": frozenset(CEASED_REASON) | {"total_ceased"},
    "requests": frozenset(REQUEST_COUNTS) | REQUEST_OTHER,
    "assessments": frozenset(ASSESSMENT_COUNTS) | ASSESSMENT_OTHER,
}


def unknown_columns(columns: Iterable[str], kind: str, source: str) -> list[str]:
    """Columns of a ``kind`` file the data guidance does not document, named in one warning.

    Args:
        columns: The file's columns (trimmed).
        kind: One of :data:`DOCUMENTED`'s keys.
        source: The file, for the message.

    Returns:
        The unknown columns, in file order (the caller skips them).
    """
    known = DOCUMENTED[kind] | GEOGRAPHY
    extra = [c for c in columns if c not in known and not c.startswith("_")]
    if extra:
        warnings.warn(
            f"{source}: skipped {len(extra)} column(s) the DfE data guidance does not document "
            f"for a {kind} file: {', '.join(extra)}",
            DataWarning,
            stacklevel=3,
        )
    return extra


def age_range(label: str) -> tuple[int, int] | None:
    """First and last age of a published age label; ``None`` for a total.

    ``"age 10"`` -> (10, 10); ``"age 2 and under"`` -> (0, 2); ``"age 20 and over"`` ->
    (20, 25); ``"Under 5"`` -> (0, 4); ``"Age 5 to 10"`` -> (5, 10); ``"16-19"`` -> (16, 19).

    Raises:
        ValueError: If the label is none of those shapes.
    """
    text = re.sub(r"\s+", " ", label.strip().lower())
    text = re.sub(r"^(aged|age)\s*", "", text)
    if text in ("total", "all", "") or text.startswith("all "):
        return None
    if m := re.fullmatch(r"(\d+)", text):
        return int(m[1]), int(m[1])
    if m := re.fullmatch(r"(\d+) (?:and|or) (?:under|younger|below)", text):
        return 0, int(m[1])
    if m := re.fullmatch(r"under (\d+)", text):
        return 0, int(m[1]) - 1
    if m := re.fullmatch(r"(\d+)(?: (?:and|or) (?:over|older|above)|\+)", text):
        return int(m[1]), 25
    if m := re.fullmatch(r"(\d+) ?(?:to|-) ?(\d+)", text):
        return int(m[1]), int(m[2])
    raise ValueError(f"not an age label: {label!r}")


def age_label(lo: int, hi: int) -> str:
    """Label of an age range: ``"7"`` for one year, ``"0-2"``, ``"20-25"`` for more."""
    return str(lo) if lo == hi else f"{lo}-{hi}"
