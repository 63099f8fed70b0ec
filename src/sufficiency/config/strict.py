"""The base of every scenario model: unknown keys rejected, objects immutable, numbers finite."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """Base of every scenario model: unknown keys are errors, objects are immutable, and
    numbers are finite (``.nan`` and ``.inf`` are refused wherever a number is expected)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_default=True, allow_inf_nan=False
    )


def refuse_removed(data: Any, key: str, why: str) -> Any:
    """For a ``mode="before"`` validator: refuse a key that was removed, saying why."""
    if isinstance(data, dict) and key in data:
        raise ValueError(f"{key!r} was removed: {why}")
    return data
