import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sufficiency import taxonomy
from sufficiency.errors import DataError


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("Autistic Spectrum Disorder", "ASD"),
        ("ASC", "ASD"),
        ("autism", "ASD"),
        ("  Social, Emotional and Mental Health ", "SEMH"),
        ("SLD - Severe Learning Difficulty", "SLD"),
        ("Speech, Language and Communication Needs", "SLCN"),
        ("spld", "SPLD"),
        ("Multi-Sensory Impairment", "MSI"),
        ("Profound & Multiple Learning Difficulty", "PMLD"),
        ("Other Difficulty/Disability", "OTH"),
        ("SEN support but no specialist assessment of type of need", "NSA"),
    ],
)
def test_need_aliases(label: str, code: str) -> None:
    assert taxonomy.need_code(label) == code


def test_unknown_need_lists_accepted_values() -> None:
    with pytest.raises(DataError) as err:
        taxonomy.need_code("Dragons")
    text = str(err.value)
    assert "'Dragons'" in text and "ASD" in text and "SEMH" in text


def test_tiers_ordered_and_aliases() -> None:
    assert taxonomy.TIERS[0] == "mainstream" and taxonomy.TIERS[-1] == "independent"
    assert taxonomy.tier_name(5) == "special_school"
    assert taxonomy.tier_name("Resourced provision") == "enhanced_resource"
    with pytest.raises(DataError):
        taxonomy.tier_name("castle")


def test_age_bands_and_phases() -> None:
    ages = np.arange(26)
    bands = taxonomy.age_band_of(ages)
    assert list(bands[[0, 4, 5, 10, 11, 15, 16, 19, 20, 25]]) == [
        "0-4",
        "0-4",
        "5-10",
        "5-10",
        "11-15",
        "11-15",
        "16-19",
        "16-19",
        "20-25",
        "20-25",
    ]
    assert taxonomy.age_band_label("Age 11 to 15") == "11-15"
    assert list(taxonomy.phase_of([3, 4, 11, 16, 19])) == [
        "early_years",
        "primary",
        "secondary",
        "post16",
        "post19",
    ]


def test_every_ehcp_need_has_a_broad_area() -> None:
    assert set(taxonomy.BROAD_AREA) == set(taxonomy.NEEDS)
    assert taxonomy.BROAD_AREA["ASD"] == "communication_and_interaction"


def test_register_alias() -> None:
    taxonomy.register_need_alias("Neurodivergent - autism pathway", "ASD")
    assert taxonomy.need_code("neurodivergent autism pathway") == "ASD"
    with pytest.raises(DataError):
        taxonomy.register_need_alias("x", "XYZ")


@settings(max_examples=100, deadline=None)
@given(
    values=st.lists(
        st.one_of(
            st.sampled_from(["ASD", "SEMH", "SLCN", "asd", "Total", ""]),
            st.none(),
            st.just(float("nan")),
            st.integers(0, 3),
        ),
        max_size=40,
    ),
    kind=st.sampled_from(["object", "str", "category"]),
)
def test_a_column_made_categorical_is_what_its_text_gives(values: list[object], kind: str) -> None:
    """as_category turns each distinct value to text once: the categories, the missing
    values and the index of ``astype(str).astype(dtype)``."""
    import warnings

    column = pd.Series(values, dtype=object, index=range(7, 7 + len(values)), name="need")
    if kind == "str":
        column = column.map(lambda v: v if isinstance(v, str) else None).astype("str")
    elif kind == "category":
        column = column.map(str).astype("category")
    with warnings.catch_warnings():  # pandas warns of values outside the categories
        warnings.simplefilter("ignore")
        expected = column.astype(str).astype(taxonomy.NEED_DTYPE)
    got = taxonomy.as_category(column, taxonomy.NEED_DTYPE)
    pd.testing.assert_series_equal(got, expected)


_NAMED = [
    (code, name) for code, names in taxonomy._NEED_ALIASES_RAW.items() for name in (code, *names)
]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(_NAMED), min_size=1, max_size=5),
    st.lists(st.sampled_from([";", "; ", ",", ", ", " / ", "/", "|"]), min_size=5, max_size=5),
)
def test_a_list_of_needs_reads_whatever_separates_them(
    named: list[tuple[str, str]], seps: list[str]
) -> None:
    """Needs written by code or by name ("Social, Emotional and Mental Health", "Other
    Difficulty/Disability": a separator inside a name), separated by ';', ',', '/' or '|',
    read as the codes they name, in order, each once."""
    text = named[0][1] + "".join(
        sep + name for sep, (_, name) in zip(seps, named[1:], strict=False)
    )
    codes, unknown = taxonomy.need_list(text)
    assert unknown == []
    assert codes == list(dict.fromkeys(code for code, _ in named))


def test_a_list_of_needs_names_what_it_does_not_know() -> None:
    assert taxonomy.need_list("ASD, Dyspraxia / SEMH") == (["ASD", "SEMH"], ["Dyspraxia"])
    assert taxonomy.need_list("Social, emotional and mental health; ASD") == (["SEMH", "ASD"], [])
