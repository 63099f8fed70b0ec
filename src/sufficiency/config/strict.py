"""The base of every scenario model: unknown keys rejected, objects immutable."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """Base of every scenario model: unknown keys are errors and objects are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)
