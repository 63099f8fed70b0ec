"""Options of the statutory returns (the DSG management plan's High Needs Block figures) and
of published outputs (disclosure control)."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from .strict import Strict

_FINANCIAL_YEAR = re.compile(r"^(\d{4})-(\d{2})$")


def financial_year_label(start: int) -> str:
    """The label of the April–March financial year starting in April of ``start``:
    ``2026`` -> ``"2026-27"``."""
    return f"{start}-{(start + 1) % 100:02d}"


class ReturnsOptions(Strict):
    """Inputs of the DSG management plan: the High Needs Block allocation and the balance."""

    hnb_allocation_gbp_by_financial_year: dict[str, float] = Field(
        default_factory=dict,
        description=(
            "The High Needs Block allocation, £ per financial year (April–March), keyed by "
            "the year as '2026-27'. Years without one show no surplus or deficit."
        ),
    )
    opening_balance_gbp: float | None = Field(
        default=None,
        ge=-1e12,
        le=1e12,
        description=(
            "£ the High Needs Block reserve stands at before the first financial year "
            "shown (negative: a deficit brought forward). Not given: the balance lines are "
            "blank (not £0: a council's deficit is not assumed away)."
        ),
    )

    @field_validator("hnb_allocation_gbp_by_financial_year")
    @classmethod
    def _years_and_amounts(cls, value: dict[str, float]) -> dict[str, float]:
        for key, amount in value.items():
            match = _FINANCIAL_YEAR.match(str(key))
            if match is None or financial_year_label(int(match.group(1))) != key:
                raise ValueError(
                    f"financial year {key!r} must be written as April's year and the next, "
                    "e.g. '2026-27'"
                )
            if not 0.0 <= amount <= 1e12:
                raise ValueError(f"allocation for {key} must be £0 or more, got {amount:g}")
        return value


class ReportOptions(Strict):
    """How outputs meant for publication are written."""

    disclosure: bool = Field(
        default=False,
        description=(
            "Disclosure control for published tables: counts of children rounded to whole "
            "children, counts of 1 to 4 suppressed (shown 'c') with secondary suppression so "
            "no suppressed count can be narrowed to less than 0 to 4 (the DSG plan, SCAP and "
            "commissioning tables from everything they publish together; the report's other "
            "tables from their own totals), in the workbook, the HTML page, a published/ copy "
            "of the count tables and summary.json. The working CSV files keep full precision."
        ),
    )
