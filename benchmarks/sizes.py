"""The registry of benchmark sizes: one borough, a region, all LAs — and their smoke versions.

A size is a list of boroughs run one after another, each either the bundled example run
by ``scenarios/baseline.yaml`` or a synthetic borough written by
:func:`sufficiency.datasets.synthetic_borough`, plus ``--set`` values applied to every
run. Every size has a smoke version (:meth:`Size.smoke`): the same code paths on tiny
boroughs, so CI can run every benchmark once in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"

#: Local authorities in England with SEND duties (the DfE's published statistics).
N_LAS = 153
#: LAs the default runner takes from ``national`` (``--all-las`` runs all of them).
NATIONAL_SUBSET = 5
#: Settings of the smoke boroughs.
SMOKE_SETTINGS = 12


@dataclass(frozen=True)
class Borough:
    """One borough to run.

    Attributes:
        n_settings: Settings of a synthetic borough; None for the bundled example.
        seed: Seed of the synthetic borough.
    """

    n_settings: int | None = None
    seed: int = 0

    @property
    def label(self) -> str:
        """Short name, e.g. ``bundled`` or ``synthetic-600-s3``."""
        if self.n_settings is None:
            return "bundled"
        return f"synthetic-{self.n_settings}-s{self.seed}"

    def scenario(self, folder: Path) -> Path:
        """Path of the borough's scenario file, writing a synthetic one into ``folder``.

        ``folder`` should be new for each run (a synthetic borough already written there
        is reused, so sizes sharing a borough generate it once).
        """
        if self.n_settings is None:
            return BASELINE
        from sufficiency.datasets import synthetic_borough

        target = folder / self.label
        existing = target / "scenario.yaml"
        if existing.is_file():
            return existing
        return synthetic_borough(self.n_settings, seed=self.seed, path=target)


@dataclass(frozen=True)
class Size:
    """A benchmark size.

    Attributes:
        name: Registry key.
        description: One line for the results table.
        boroughs: Boroughs run one after another.
        set_values: ``KEY=VALUE`` settings applied to every run (as ``sufficiency run --set``).
        slow: Left out unless asked for by name.
        reference: Whether to time the per-row reference cost arrays at this size.
        repeat: Times each stage is run by ``run.py`` (the best is recorded).
    """

    name: str
    description: str
    boroughs: tuple[Borough, ...]
    set_values: tuple[str, ...] = ()
    slow: bool = False
    reference: bool = True
    repeat: int = 3

    def smoke(self) -> Size:
        """The same size on tiny synthetic boroughs (at most two), for CI."""
        n = min(len(self.boroughs), 2)
        return replace(
            self,
            boroughs=tuple(Borough(SMOKE_SETTINGS, seed=i + 1) for i in range(n)),
            repeat=1,
        )

    def first(self, n: int) -> Size:
        """The size cut to its first ``n`` boroughs."""
        return replace(self, boroughs=self.boroughs[:n])


def _national() -> tuple[Borough, ...]:
    """153 synthetic LAs of 60–70 settings (≈3,000–3,400 EHC plans each), fixed seeds."""
    return tuple(Borough(60 + (7 * i) % 11, seed=1000 + i) for i in range(N_LAS))


NO_CONTINUITY = ("allocation.continuity=false",)

SIZES: dict[str, Size] = {
    s.name: s
    for s in (
        Size(
            "borough",
            "bundled borough (Ashworth, 67 settings, 3,300 EHC plans), scenarios/baseline.yaml",
            (Borough(),),
        ),
        Size(
            "region",
            "synthetic region, 600 settings, without placement continuity",
            (Borough(600, seed=3),),
            set_values=NO_CONTINUITY,
        ),
        Size(
            "region-continuity",
            "synthetic region, 600 settings, with placement continuity",
            (Borough(600, seed=3),),
            # the whole model took ≈45 s in Clp's barrier, ≈60 s in HiGHS's interior point;
            # with dominated chains fixed empty and the rest in parts, ≈8 s of CPU. The time
            # limit stays high so the stages timed one engine alone on the MPS file finish
            set_values=("allocation.time_limit_seconds=900",),
            slow=True,
            repeat=1,
        ),
        Size(
            "national",
            f"{N_LAS} synthetic LAs of 60–70 settings run one after another",
            _national(),
            reference=False,
            repeat=1,
        ),
    )
}

#: Sizes run when none are named.
DEFAULT_SIZES: tuple[str, ...] = tuple(name for name, s in SIZES.items() if not s.slow)


def select(names: str | None, *, smoke: bool = False, las: int | None = None) -> list[Size]:
    """Sizes by comma-separated names (None: the default ones), cut or reduced as asked.

    Args:
        names: e.g. ``"borough,region"``; ``"all"`` includes the slow sizes.
        smoke: Reduce every size to its smoke version.
        las: Boroughs to keep of multi-borough sizes (None keeps ``NATIONAL_SUBSET``;
            0 keeps all).

    Raises:
        KeyError: Naming an unknown size.
    """
    if names in (None, ""):
        chosen = list(DEFAULT_SIZES)
    elif names == "all":
        chosen = list(SIZES)
    else:
        chosen = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in chosen if n not in SIZES]
    if unknown:
        raise KeyError(f"unknown size(s) {', '.join(unknown)}; known: {', '.join(SIZES)}")
    out = []
    for name in chosen:
        size = SIZES[name]
        keep = NATIONAL_SUBSET if las is None else las
        if keep and len(size.boroughs) > keep:
            size = size.first(keep)
        out.append(size.smoke() if smoke else size)
    return out
