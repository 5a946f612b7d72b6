"""A forge design, the pipeline of passes that paints it, and the recipe saved beside OUT."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..passes import PassCall, resolve
from ..passes.forge_edges import format_numbers
from .chains import ChainDesign


@dataclass(frozen=True)
class Design:
    """The parameters of the passes a forge runs after its canvas.

    edge-quantizers (DC quantizer 1, `edges` for the 14 edge positions),
    row-dc (alternate, `run_length`), edge-scatter (`counts`, `positions`,
    `magnitudes`), edge-wavefront (`choices`, `row_weight`), dc-guard.
    """

    edges: tuple[int, ...]
    counts: tuple[float, ...]
    positions: tuple[float, ...]
    magnitudes: tuple[float, ...]
    run_length: int = 128
    choices: int = 16
    row_weight: float = 1.0

    def calls(self, canvas: PassCall) -> list[PassCall]:
        """The pipeline: `canvas` (forge-synthesize or forge-tile), then the design's passes."""
        return [
            canvas,
            resolve("edge-quantizers", {"dc": 1, "edges": format_numbers(self.edges)}),
            resolve("row-dc", {"mode": "alternate", "run_length": self.run_length}),
            resolve(
                "edge-scatter",
                {
                    "counts": format_numbers(self.counts),
                    "positions": format_numbers(self.positions),
                    "magnitudes": format_numbers(self.magnitudes),
                },
            ),
            resolve("edge-wavefront", {"choices": self.choices, "row_weight": self.row_weight}),
            resolve("dc-guard", {}),
        ]

    def with_density(self, factor: float) -> Design:
        """The design with the weight of blocks without edge coefficients scaled by
        `factor` (below 1: denser, more JPEG bytes), rounded as the recipe carries it."""
        counts = (float(f"{self.counts[0] * factor:.6g}"), *self.counts[1:])
        return replace(self, counts=counts)

    def normalized(self) -> Design:
        """Rounded to the values a recipe carries, weights summing to 1 (trials replay exactly)."""

        def weights(values: tuple[float, ...]) -> tuple[float, ...]:
            array = np.abs(np.asarray(values, np.float64))
            if array.sum() <= 0:
                array = np.ones_like(array)
            return tuple(round(float(v), 4) for v in array / array.sum())

        return replace(
            self,
            edges=tuple(int(v) for v in np.clip(np.rint(self.edges), 1, 255)),
            counts=weights(self.counts),
            positions=weights(self.positions),
            magnitudes=weights(self.magnitudes),
            run_length=max(0, int(self.run_length)),
            choices=max(1, int(self.choices)),
            row_weight=round(max(0.0, float(self.row_weight)), 3),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "family": "lepton-dc",
            "edges": list(self.edges),
            "counts": list(self.counts),
            "positions": list(self.positions),
            "magnitudes": list(self.magnitudes),
            "run_length": self.run_length,
            "choices": self.choices,
            "row_weight": self.row_weight,
        }


# The best design found by offline searches at full size (tools/forge_report.py
# records them); a forge starts here and refines it within its budget.
DEFAULT_DESIGN = Design(
    edges=(245, 218, 88, 228, 193, 133, 135, 255, 248, 114, 198, 160, 70, 238),
    counts=(0.5857, 0.0024, 0.4119),
    positions=(0.6121, 0, 0, 0, 0, 0, 0, 0.3385, 0.0494, 0, 0, 0, 0, 0),
    magnitudes=(0.0087, 0.1793, 0.0935, 0.1574, 0.2347, 0.138, 0.1884),
    run_length=128,
    choices=16,
    row_weight=1.0,
)


@dataclass
class ForgeResult:
    """A forged file and how it was made and measured."""

    data: bytes
    jpeg_bytes: int
    lepton_bytes: int
    ratio: float
    width: int
    height: int
    seed: int
    budget: int
    trials: int
    recipe: list[dict[str, Any]]
    design: Design | ChainDesign
    lepton_cpp_bytes: int | None = None  # the reference C++ Lepton, when it was found
    ratios: dict[str, float] = field(default_factory=dict)  # every codec that checked it
    targets: list[str] = field(default_factory=lambda: ["lepton"])  # the codecs maximised
    seconds: float = 0.0
    cut_short: bool = False  # the time guard stopped the search before its budget
    changed: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def smallest_ratio(self) -> float:
        """The forge's score: the smallest ratio over its target codecs."""
        return min((self.ratios.get(name, 0.0) for name in self.targets), default=self.ratio)

    @property
    def lepton_cpp_ratio(self) -> float | None:
        return None if self.lepton_cpp_bytes is None else self.lepton_cpp_bytes / self.jpeg_bytes

    def recipe_toml(self, source: str | None = None) -> str:
        """The recipe as a TOML pipeline for `jpegsurgeon transform --pipeline`;
        `source` is the photo a `forge --from` started from (a synthesized
        forge replays on any JPEG: its first pass replaces the image)."""
        replay_on = source or "ANY.jpg"
        lines = [
            "# jpegsurgeon forge recipe: replay with",
            f"#   jpegsurgeon transform {replay_on} OUT.jpg --pipeline THIS.toml "
            f"--seed {self.seed}",
            f"# JPEG {self.jpeg_bytes} bytes, Lepton {self.lepton_bytes} bytes, "
            f"ratio {self.ratio:.4f}, {self.width}x{self.height}",
        ]
        if set(self.ratios) - {"lepton"}:
            ratios = ", ".join(f"{name} {ratio:.4f}" for name, ratio in self.ratios.items())
            lines.append(f"# ratios: {ratios}; targets: {', '.join(self.targets)}")
        for step in self.recipe:
            lines += ["", "[[pass]]", f"name = {_toml_value(step['name'])}"]
            lines += [f"{k} = {_toml_value(v)}" for k, v in step["parameters"].items()]
        return "\n".join(lines) + "\n"

    def as_dict(self) -> dict[str, Any]:
        return {
            "jpeg_bytes": self.jpeg_bytes,
            "lepton_bytes": self.lepton_bytes,
            "ratio": self.ratio,
            "lepton_cpp_bytes": self.lepton_cpp_bytes,
            "lepton_cpp_ratio": self.lepton_cpp_ratio,
            "ratios": self.ratios,
            "targets": self.targets,
            "smallest_ratio": self.smallest_ratio,
            "width": self.width,
            "height": self.height,
            "seed": self.seed,
            "budget": self.budget,
            "trials": self.trials,
            "cut_short": self.cut_short,
            "seconds": round(self.seconds, 1),
            "design": self.design.as_dict(),
            "recipe": self.recipe,
            "changed": self.changed,
            "notes": self.notes,
        }


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
