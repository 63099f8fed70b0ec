"""The settings register of a generated borough: kinds of setting, templates, names, costs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..taxonomy import PUBLISHED_EHCP_NEEDS

#: Settings in the reference layout (the Metropolitan Borough of Ashworth).
REFERENCE_SETTINGS = 67


@dataclass(frozen=True)
class Template:
    """One kind of provision a setting can be.

    Attributes:
        label: Description added to the host name, e.g. ``"autism base, 4-10"``.
        needs: Needs served; empty means ALL.
        age_min: Youngest age served (at 31 August).
        age_max: Oldest age served.
        in_area: Whether the setting is in the borough.
        size: Relative size (target occupancy weight within its category).
        cost_factor: Multiplier on the kind's cost per place (e.g. residential placements).
        opens: Plan year the setting opens (register places 0 until then), or None.
        change: Planned change to places as ``(year, multiplier)``, or None; 0 closes it.
    """

    label: str
    needs: tuple[str, ...]
    age_min: int
    age_max: int
    in_area: bool = True
    size: float = 1.0
    cost_factor: float = 1.0
    opens: int | None = None
    change: tuple[int, float] | None = None


@dataclass(frozen=True)
class Kind:
    """A kind of setting: its tier, placement category, costs and templates.

    Attributes:
        key: Short name used in the layout.
        tier: Tier of the graduated model.
        category: Placement category (see ``_targets.CATEGORIES``).
        count: Settings of this kind in the reference layout.
        required: Whether every layout has at least one (so all ages and tiers are covered).
        prefix: Setting id prefix.
        cost: Range of cost per place (£, 2025 prices), uniform; or ``(median, sigma)`` of a
            lognormal when ``lognormal``.
        transport_in: Range of transport per place for a setting in area (£).
        transport_out: Range of transport per place for a setting out of area (£).
        templates: Templates, used in turn.
        hosts: Host or school names, used in turn.
        lognormal: Whether ``cost`` is a lognormal (independent fees).
        capped: Capacity rule: ``"none"`` (blank places), ``"full"`` (places set from the
            2025 occupancy, at or just above it) or ``"spare"`` (comfortably above the most
            children it ever held).
    """

    key: str
    tier: str
    category: str
    count: int
    required: bool
    prefix: str
    cost: tuple[float, float]
    transport_in: tuple[float, float]
    transport_out: tuple[float, float]
    templates: tuple[Template, ...]
    hosts: tuple[str, ...]
    lognormal: bool = False
    capped: str = "none"


LOCALITIES = ("Ashworth Town", "Hollins Moor", "Brackley Vale", "Lowgate")
_ALL: tuple[str, ...] = ()

_T = Template
KINDS: tuple[Kind, ...] = (
    Kind("ms_ey", "mainstream", "main", 1, False, "MAIN", (0, 0), (0, 200), (0, 200),
         (_T("ordinarily available provision, 0-3", _ALL, 0, 3, size=0.05),),
         ("Early years providers",)),
    Kind("ms_pri", "mainstream", "main", 4, True, "MAIN", (0, 0), (0, 300), (0, 300),
         (_T("ordinarily available provision, 4-10", _ALL, 4, 10, size=0.05),),
         ("Primary schools",)),
    Kind("ms_sec", "mainstream", "main", 4, True, "MAIN", (0, 0), (100, 500), (100, 500),
         (_T("ordinarily available provision, 11-17", _ALL, 11, 17, size=0.05),),
         ("Secondary schools",)),
    Kind("ss_ey", "sen_support", "main", 1, False, "SENS", (6000, 9000), (200, 600), (200, 600),
         (_T("inclusion funding with EHC top-up, 0-3", _ALL, 0, 3, size=0.95),),
         ("Early years providers",)),
    Kind("ss_pri", "sen_support", "main", 4, True, "SENS", (6000, 9000), (300, 700), (300, 700),
         (_T("EHC top-up, 4-10", _ALL, 4, 10, size=0.95),),
         ("Primary schools",)),
    Kind("ss_sec", "sen_support", "main", 4, True, "SENS", (6000, 9000), (400, 800), (400, 800),
         (_T("EHC top-up, 11-17", _ALL, 11, 17, size=0.95),),
         ("Secondary schools",)),
    Kind("fe", "sen_support", "fe", 2, True, "SENS", (6000, 9000), (500, 900), (500, 900),
         (_T("general FE college, 16-25", _ALL, 16, 25),),
         ("Ashworth College", "Lowgate Sixth Form and FE College", "Hollins Moor College")),
    Kind("ap", "partnership", "ap", 3, True, "PART", (8000, 12000), (1500, 3000), (1500, 3000),
         (_T("pupil referral unit, 11-15", ("SEMH", "ASD", "SLCN", "MLD", "SPLD", "OTH"), 11, 15),
          _T("primary alternative provision, 5-10", ("SEMH", "ASD", "SLCN", "MLD", "OTH"), 5, 10,
             size=0.5),
          _T("hospital and medical education service, 5-15", _ALL, 5, 15, size=0.25)),
         ("Ashworth Learning Centre", "Millbrook Primary Inclusion Centre",
          "Ashworth Hospital and Home Education Service"),
         capped="spare"),
    Kind("rb", "enhanced_resource", "rb", 10, True, "ERP", (15000, 22000), (3000, 5000),
         (3000, 5000),
         (_T("autism resource base, 4-10", ("ASD", "SLCN"), 4, 10),
          _T("autism resource base, 11-15", ("ASD",), 11, 15),
          _T("speech and language unit, 4-10", ("SLCN", "ASD"), 4, 10, change=(2027, 0.0)),
          _T("hearing impairment base, 4-15", ("HI",), 4, 15, size=0.7),
          _T("nurture base (SEMH), 5-10", ("SEMH",), 5, 10),
          _T("autism resource base, 4-10", ("ASD",), 4, 10),
          _T("learning support base, 11-15", ("MLD", "SPLD", "SLCN"), 11, 15),
          _T("communication base, 11-15", ("SLCN", "ASD"), 11, 15),
          _T("visual and physical impairment base, 4-15", ("VI", "PD", "MSI"), 4, 15,
             size=0.6),
          _T("autism and SEMH base, 11-15, opening 2026", ("ASD", "SEMH"), 11, 15,
             opens=2026)),
         ("Moorside Primary", "Hollins High School", "St Anne's CE Primary",
          "Canal Street Primary", "Vale Primary", "Mill Lane Primary", "Brackley Academy",
          "Lowgate High School", "Ashworth Park Primary", "Holy Family RC High School"),
         capped="full"),
    Kind("sp_in", "special_school", "sp", 7, True, "SPEC", (24000, 34000), (6000, 9000),
         (6000, 9000),
         (_T("special school, complex learning needs, 2-18",
             ("SLD", "PMLD", "MLD", "ASD", "SLCN", "PD", "MSI", "OTH"), 2, 18, size=1.3,
             cost_factor=1.15),
          _T("special school, autism, 4-18", ("ASD", "SLCN"), 4, 18, size=1.1,
             change=(2027, 1.25)),
          _T("special school, SEMH, 5-15", ("SEMH",), 5, 15, size=0.9, cost_factor=1.05,
             change=(2028, 1.2)),
          _T("special school, moderate learning difficulties, 4-18",
             ("MLD", "SPLD", "SLCN", "ASD", "OTH"), 4, 18, cost_factor=0.85),
          _T("special school, physical and sensory needs, 2-18",
             ("PD", "HI", "VI", "MSI", "PMLD"), 2, 18, size=0.6, cost_factor=1.15),
          _T("special school, severe learning difficulties, 4-18", ("SLD", "PMLD", "ASD"), 4,
             18, cost_factor=1.1),
          _T("special school, autism and SEMH, 11-18", ("ASD", "SEMH"), 11, 18)),
         ("Brookfield School", "Greenbank Academy", "Oakwood School", "Riverside Academy",
          "Meadowcroft School", "Hollybank School", "Kingsway Academy"),
         capped="full"),
    Kind("sp_ooa", "special_school", "sp", 5, False, "SPEC", (28000, 40000), (10000, 15000),
         (10000, 15000),
         (_T("special school, SEMH, 5-15", ("SEMH",), 5, 15, in_area=False, size=0.15),
          _T("special school, autism, 4-18", ("ASD", "SLCN"), 4, 18, in_area=False, size=0.15),
          _T("special school, sensory needs, 2-18", ("HI", "VI", "MSI"), 2, 18, in_area=False,
             size=0.08),
          _T("special school, SLD and PMLD, 2-18", ("SLD", "PMLD", "PD"), 2, 18, in_area=False,
             size=0.12),
          _T("special school, MLD, 4-15", ("MLD", "ASD", "SLCN"), 4, 15, in_area=False,
             size=0.12)),
         ("Marsden Hill School (Marsden)", "Thornley Vale Academy (Thornley)",
          "Calder Bank School (Calderbridge)", "Whitmoor Park School (Whitmoor)",
          "Fernlea Academy (Marsden)"),
         capped="spare"),
    Kind("ind", "independent", "ind", 16, True, "INDP", (58000, 0.15), (7000, 10000),
         (15000, 25000),
         (_T("independent special school, autism, 5-18", ("ASD",), 5, 18, size=3.0),
          _T("independent special school, SEMH, 8-18", ("SEMH",), 8, 18, in_area=False,
             size=1.5),
          _T("independent special school, autism and SLCN, 7-18", ("ASD", "SLCN"), 7, 18,
             in_area=False),
          _T("independent special school, SEMH, 11-15", ("SEMH",), 11, 15, in_area=False),
          _T("independent special school, autism and SEMH, 11-18", ("ASD", "SEMH"), 11, 18,
             in_area=False, size=1.5),
          _T("independent special school, autism, 11-18", ("ASD",), 11, 18, in_area=False),
          _T("independent special school, SEMH and autism, 5-15", ("SEMH", "ASD"), 5, 15,
             size=2.0),
          _T("non-maintained school for deaf children, 3-18", ("HI",), 3, 18, in_area=False,
             size=0.3, cost_factor=1.25),
          _T("non-maintained residential school, visual and multi-sensory impairment, 4-18",
             ("VI", "MSI"), 4, 18, in_area=False, size=0.3, cost_factor=1.9),
          _T("independent residential school, SLD, PMLD and autism, 5-18",
             ("SLD", "PMLD", "ASD"), 5, 18, in_area=False, size=0.5, cost_factor=2.0),
          _T("independent school, specific learning difficulties, 7-15", ("SPLD", "SLCN"), 7,
             15, in_area=False, size=0.5, cost_factor=0.75),
          _T("independent residential school, autism, 7-18", ("ASD",), 7, 18, in_area=False,
             size=0.6, cost_factor=1.6),
          _T("independent special school, SEMH, 11-18", ("SEMH",), 11, 18, in_area=False),
          _T("independent special school, autism, SEMH and SLCN, 8-18",
             ("ASD", "SEMH", "SLCN"), 8, 18, in_area=False),
          _T("non-maintained school, physical and multi-sensory needs, 3-18", ("PD", "MSI"),
             3, 18, in_area=False, size=0.3, cost_factor=1.5),
          _T("independent special school, autism, 11-18", ("ASD",), 11, 18, in_area=False)),
         ("Heathervale School", "Cedar House School", "Larkfield Hall", "The Orchard School",
          "Beckside School", "Ravensworth Academy", "Pinewood School", "Royal Pennine School",
          "St Lucy's School", "Hawthorn Park School", "Wellspring Learning", "Fellside House",
          "Copper Beech School", "Highcliffe School", "Elmhurst School", "Sandford Grange"),
         lognormal=True, capped="spare"),
    Kind("spi", "independent", "spi", 6, True, "INDP", (52000, 0.15), (7000, 10000),
         (15000, 25000),
         (_T("specialist post-16 college, autism and SLCN, 16-25", ("ASD", "SLCN"), 16, 25,
             size=2.0),
          _T("specialist residential college, complex needs, 16-25",
             ("SLD", "PMLD", "MSI", "PD"), 16, 25, in_area=False, cost_factor=1.8),
          _T("specialist post-16 college, autism and SEMH, 16-25", ("ASD", "SEMH"), 16, 25,
             in_area=False),
          _T("specialist post-16 college, learning difficulties, 16-25", ("MLD", "SLD", "ASD"),
             16, 25, in_area=False),
          _T("specialist college, sensory needs, 16-25", ("HI", "VI", "MSI"), 16, 25,
             in_area=False, size=2.0, cost_factor=1.3),
          _T("specialist post-16 institution, 16-25", _ALL, 16, 25, in_area=False)),
         ("Pennine Pathways College", "Ridgeway Specialist College", "Northgate Futures",
          "Westbrook College", "Moorland View College", "Harbour Lane College"),
         lognormal=True, capped="spare"),
)  # fmt: skip

KIND_BY_KEY: dict[str, Kind] = {k.key: k for k in KINDS}


@dataclass(frozen=True)
class Setting:
    """One setting of a generated register (places are decided later)."""

    setting: str
    name: str
    kind: Kind
    template: Template
    cost_per_place: int
    transport_per_place: int
    planning_area: str = ""

    @property
    def establishment_type(self) -> str:
        """The DfE establishment type (a column of the EHC plan statistics' caseload)."""
        label, host = self.template.label, self.name
        if self.kind.key in ("ms_ey", "ss_ey"):
            return "nm_early_years"
        if self.kind.key in ("ms_pri", "ss_pri"):
            return "mainstream_la_maintained"
        if self.kind.key in ("ms_sec", "ss_sec"):
            return "mainstream_academy"
        if self.kind.key == "ap":
            if "hospital" in label:
                return "hospital_school"
            return "ap_pru_la_maintained" if "referral" in label else "ap_pru_academy"
        if self.kind.key == "rb":
            school = "academy" if "Academy" in host else "la_maintained"
            unit = "senunit" if "unit" in label else "resourced_provision"
            return f"mainstream_{school}_{unit}"
        if self.kind.key in ("sp_in", "sp_ooa"):
            return "special_academy_free" if "Academy" in host else "special_la_maintained"
        if self.kind.key == "ind":
            return "special_non_maintained" if "non-maintained" in label else "special_independent"
        if self.kind.key == "spi":
            return "specialist_post_16_institutions"
        return "general_fe_tertiary_colleges"  # fe

    @property
    def residential(self) -> bool:
        """Whether the setting offers residential (38- or 52-week) placements."""
        return "residential" in self.template.label

    @property
    def needs_text(self) -> str:
        """The ``needs`` column: ``ALL`` or codes in census order joined by ``;``."""
        if not self.template.needs:
            return "ALL"
        return ";".join(n for n in PUBLISHED_EHCP_NEEDS if n in self.template.needs)


def layout(n_settings: int) -> dict[str, int]:
    """How many settings of each kind a borough of ``n_settings`` settings has.

    Every required kind gets one; the rest go one at a time to the kind furthest below its
    share of the reference layout. ``layout(REFERENCE_SETTINGS)`` is the reference layout.

    Raises:
        ValueError: If ``n_settings`` is smaller than the number of required kinds.
    """
    required = [k for k in KINDS if k.required]
    if n_settings < len(required):
        raise ValueError(f"n_settings must be at least {len(required)}, got {n_settings}")
    counts = {k.key: int(k.required) for k in KINDS}
    targets = {k.key: k.count * n_settings / REFERENCE_SETTINGS for k in KINDS}
    for _ in range(n_settings - len(required)):
        key = max(KINDS, key=lambda k: targets[k.key] - counts[k.key]).key
        counts[key] += 1
    return counts


def _host(kind: Kind, i: int, count: int) -> str:
    """Name of the i-th of ``count`` hosts of a kind; pools run on with numbers."""
    if kind.key in ("ms_pri", "ms_sec", "ss_pri", "ss_sec") or (
        kind.key in ("ms_ey", "ss_ey") and count > 1
    ):
        place = LOCALITIES[i] if i < len(LOCALITIES) else f"locality {i + 1}"
        return f"{kind.hosts[0]}, {place}"
    pool = kind.hosts
    if i < len(pool):
        return pool[i]
    return f"{pool[i % len(pool)]} {i // len(pool) + 1}"


def _draw_cost(kind: Kind, template: Template, rng: np.random.Generator) -> int:
    if kind.lognormal:
        median, sigma = kind.cost
        value = median * float(np.exp(sigma * rng.standard_normal())) * template.cost_factor
    else:
        lo, hi = kind.cost
        value = float(rng.uniform(lo, hi))
        if hi > lo:  # keep the factor inside the published range
            value = float(np.clip(value * template.cost_factor, lo, hi))
    return round(value / 10.0) * 10


def build_register(counts: dict[str, int], rng: np.random.Generator) -> list[Setting]:
    """The settings of a layout, with ids, names, needs, ages and 2025 unit costs.

    Early years kinds may be absent from small layouts; primary settings then start at 0.
    """
    settings: list[Setting] = []
    serial: dict[str, int] = {}
    per_prefix: dict[str, int] = {}
    for kind in KINDS:
        per_prefix[kind.prefix] = per_prefix.get(kind.prefix, 0) + counts[kind.key]
    width = max(2, len(str(max(per_prefix.values()))))
    for kind in KINDS:
        for i in range(counts[kind.key]):
            template = kind.templates[i % len(kind.templates)]
            if kind.key in ("ms_pri", "ss_pri"):
                early = counts["ms_ey" if kind.key == "ms_pri" else "ss_ey"] > 0
                if not early:
                    template = Template(
                        template.label.replace("4-10", "0-10"),
                        template.needs,
                        0,
                        10,
                        size=template.size,
                    )
            serial[kind.prefix] = serial.get(kind.prefix, 0) + 1
            setting_id = f"{kind.prefix}{serial[kind.prefix]:0{width}d}"
            lo, hi = kind.transport_in if template.in_area else kind.transport_out
            transport = round(float(rng.uniform(lo, hi)) / 10.0) * 10
            if not template.in_area:
                area = ""
            elif i < len(LOCALITIES) or kind.key not in ("ms_pri", "ms_sec", "ss_pri", "ss_sec"):
                area = LOCALITIES[i % len(LOCALITIES)]
            else:
                area = f"locality {i + 1}"
            settings.append(
                Setting(
                    setting=setting_id,
                    name=f"{_host(kind, i, counts[kind.key])} ({template.label})",
                    kind=kind,
                    template=template,
                    cost_per_place=_draw_cost(kind, template, rng),
                    transport_per_place=transport,
                    planning_area=area,
                )
            )
    return settings
