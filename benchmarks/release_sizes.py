"""How a released model's prediction changes with the input size (it was trained at 512×1024).

For each panorama, the model predicts at each ``--heights`` (W = 2·H) and at 512; each
prediction is resized (bilinear, in disparity) to 512×1024 and scored against the 512×1024
one with the ``lsq_disparity`` protocol (least-squares scale and shift in disparity: the
released models predict relative disparity), as AbsRel and δ1 of the depth. 0 / 1 means "the
same shape of depth as at 512×1024"; it says nothing about accuracy (for that, evaluate on a
dataset: ``panodepth eval --protocol release``).

    .venv/bin/python benchmarks/release_sizes.py --checkpoint hohonet-mp3d-st3d
    .venv/bin/python benchmarks/release_sizes.py --checkpoint EGFormer_st3d.pth --heights 256 1024

``--checkpoint`` takes what ``panodepth predict --checkpoint`` takes (a release ``.pth``, a
released name found in the models folder, a student file). The release's weights cannot be
downloaded on the machines this project is built on: see BENCHMARKS.md for what was run.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

import torch
import torch.nn.functional as F

from panodepth.inference.predictor import Predictor, depth_from_disparity
from panodepth.io.images import load_panorama
from panodepth.metrics import DepthMetrics

SHARED = Path(__file__).resolve().parents[1] / "../shared/data/panoramas"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--panoramas", nargs="+", type=Path, default=None,
                        help="default: the real panoramas in ../shared/data/panoramas")  # fmt: skip
    parser.add_argument("--heights", nargs="+", type=int, default=[256, 1024])
    parser.add_argument("--reference", type=int, default=512)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    panoramas = args.panoramas or sorted(
        p for p in SHARED.resolve().glob("*.*")
        if p.suffix in (".png", ".jpg") and "depth" not in p.name
    )  # fmt: skip
    print(f"{args.checkpoint}: prediction at H×2H against {args.reference}×{2 * args.reference}, "
          f"lsq_disparity, {len(panoramas)} panoramas")  # fmt: skip
    predictors = {
        h: Predictor.from_student(args.checkpoint, height=h, device=args.device)
        for h in sorted({args.reference, *args.heights})
    }
    rows: dict[int, list[tuple[float, float]]] = {h: [] for h in args.heights}
    for path in panoramas:
        img = load_panorama(path)[None]
        size = (args.reference, 2 * args.reference)
        ref = predictors[args.reference].disparity(_resize(img, size))
        gt, valid = depth_from_disparity(ref, metric=False)
        for h in args.heights:
            disp = predictors[h].disparity(_resize(img, (h, 2 * h)))
            disp = F.interpolate(disp, size=size, mode="bilinear", align_corners=False)
            acc = DepthMetrics("lsq_disparity", "disparity", max_depth=1e4)
            acc.update(disp, gt, valid)
            m = acc.compute()
            rows[h].append((m["abs_rel"], m["delta1"]))
            print(f"  {path.name:<36} {h}×{2 * h}: AbsRel {m['abs_rel']:.3f}  δ1 {m['delta1']:.3f}")
    for h, values in rows.items():
        rel, d1 = (statistics.median(v[i] for v in values) for i in (0, 1))
        print(f"median over panoramas, {h}×{2 * h} vs {size_str(args.reference)}: "
              f"AbsRel {rel:.3f}, δ1 {d1:.3f}")  # fmt: skip


def size_str(h: int) -> str:
    return f"{h}×{2 * h}"


def _resize(img: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    if tuple(img.shape[-2:]) == size:
        return img
    return F.interpolate(img, size=size, mode="bilinear", antialias=True, align_corners=False)


if __name__ == "__main__":
    main()
