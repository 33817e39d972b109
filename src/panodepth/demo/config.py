"""Settings of the demo: the paper's experiment on synthetic domains, sized for a CPU.

Two presets share one code path: :data:`FULL` (the default of ``panodepth demo``, ≤ 15 min
on a 2-core CPU) and :data:`QUICK` (``--quick``, ≤ 3 min, for CI: same stages, fewer
panoramas and steps). The domains, the paper's analog (see ``panodepth.data.synthetic.domains``):
A = labeled ("office": narrow); B = unlabeled, diverse ("hotel+loft+classroom+outdoor":
indoor styles and outdoor scenes, sky, watermarks), overlapping C in kind but never C's
domain; C = held-out test ("home", never seen in any form, scored only to report); a
validation domain ("cabin") for design choices (``count_val``, used by
``benchmarks/distill_gain.py``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from panodepth.conventions import VALIDATION_DOMAIN
from panodepth.distill.simulated import SimulationParams


@dataclass(frozen=True)
class DemoConfig:
    """Everything the demo does, in one place (all sizes in pixels, counts in panoramas)."""

    height: int = 64  # panoramas are height × 2·height; cube faces height/2
    count_a: int = 240
    count_b: int = 240
    count_c: int = 48
    count_b_test: int = 48  # unseen panoramas of B (clean): how well B itself was learned
    count_val: int = 0  # validation-domain panoramas (the benchmark's design choices)
    domain_a: str = "office"
    domain_b: str = "hotel+loft+classroom+outdoor"  # a mixture: sample i from domain i mod 4
    domain_c: str = "home"
    domain_val: str = VALIDATION_DOMAIN
    watermark_prob_b: float = 0.5
    teacher: str = "synthetic-small"  # or "simulated", or a Depth Anything id / folder
    # the simulated teacher's degradations (teacher="simulated"; panodepth.distill.simulated)
    simulated: SimulationParams = field(default_factory=SimulationParams)
    rotations: int = 4  # cached pseudo-label draws per unlabeled panorama
    max_deg: float = 45.0  # random rotation bound (the ablation uses 0)
    student: str = "pano-unet"
    student_options: dict[str, Any] = field(default_factory=dict)
    steps: int = 600
    batch_size: int = 8  # labeled panoramas per step (+ the same number unlabeled)
    lr: float = 1e-3
    lr_schedule: str = "cosine"  # decays to 1 % by the last step: the end weights settle
    seed: int = 0
    protocol: str = "lsq_disparity"  # affine in disparity: the students and teacher are relative
    figure_rows: int = 3
    eval_every: int = 0  # score monitored sets every N training steps (0: only at the end)
    num_workers: int = 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def with_overrides(self, **changes: Any) -> DemoConfig:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


FULL = DemoConfig()
QUICK = DemoConfig(
    count_a=12,
    count_b=12,
    count_c=4,
    count_b_test=4,
    rotations=2,
    steps=12,
    batch_size=4,
    figure_rows=2,
    num_workers=0,
)
