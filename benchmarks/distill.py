"""Benchmark one distillation step: geometry vs the teacher's forward pass.

For a batch of B unlabeled panoramas at H×2H (default 4 at 512×1024) it times, on CPU:

* geometry: random rotations, the teacher's views of the rotated panoramas
  (``panorama_to_faces``: six 256² cube faces each), and the student side
  (``student_to_faces`` of a student disparity, forward + backward);
* the teacher forward on those B·6 faces (``DepthAnythingTeacher``, input 518).

Teachers: a tiny Depth Anything (4 layers, 137 k parameters) and the **Depth Anything V2
Small architecture** (24.8 M parameters) built from its configuration with random weights —
no weights can be downloaded on the build machines, and the forward time does not depend on
the weights' values. ``--teacher DIR`` times a real checkpoint directory instead.
Target (issue #4): geometry < 5 % of the step.

    .venv/bin/python benchmarks/distill.py [--batch 4] [--height 512] [--teacher DIR]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable

import torch

from panodepth.distill import FaceProjection, panorama_to_faces, student_to_faces
from panodepth.geometry import random_rotation
from panodepth.teachers.tiny import save_tiny_depth_anything

V2_SMALL = {
    "backbone": {"hidden_size": 384, "num_hidden_layers": 12, "num_attention_heads": 6,
                 "intermediate_size": 1536, "image_size": 518, "out_indices": [3, 6, 9, 12],
                 "layerscale_value": 1.0},
    "head": {"reassemble_hidden_size": 384, "neck_hidden_sizes": [48, 96, 192, 384],
             "fusion_hidden_size": 64, "head_hidden_size": 32,
             "reassemble_factors": [4, 2, 1, 0.5]},
}  # fmt: skip


def save_random_depth_anything(spec: dict, folder: str) -> str:
    """Save a randomly initialised Depth Anything of the given sizes; return its folder."""
    from transformers import DepthAnythingConfig, DepthAnythingForDepthEstimation, Dinov2Config

    backbone = Dinov2Config(patch_size=14, reshape_hidden_states=False, **spec["backbone"])
    config = DepthAnythingConfig(backbone_config=backbone, **spec["head"])
    torch.manual_seed(0)
    DepthAnythingForDepthEstimation(config).save_pretrained(folder)
    return folder


def timed(fn: Callable[[], object], repeats: int = 1) -> float:
    fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--height", type=int, default=512)
    parser.add_argument("--teacher", default=None, help="a real Depth Anything directory")
    parser.add_argument("--threads", type=int, default=min(os.cpu_count() or 1, 8))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    from panodepth.teachers import DepthAnythingTeacher

    b, h = args.batch, args.height
    pano = torch.rand(b, 3, h, 2 * h)
    projection = FaceProjection()
    student = torch.rand(b, 1, h, 2 * h) + 0.1

    def geometry() -> None:
        rot = random_rotation(b)
        panorama_to_faces(pano, rot, projection)
        disp = student.clone().requires_grad_()
        student_to_faces(disp, rot, projection).sum().backward()

    t_geo = timed(geometry, repeats=3)
    faces = panorama_to_faces(pano, random_rotation(b), projection).reshape(-1, 3, h // 2, h // 2)
    print(f"batch {b} at {h}×{2 * h}: {faces.shape[0]} faces of {h // 2}², {args.threads} threads")
    print(f"geometry (rotate, {b}×6 faces, student_to_faces fwd+bwd): {t_geo * 1000:.0f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        teachers = {"tiny Depth Anything": str(save_tiny_depth_anything(f"{tmp}/tiny"))}
        if args.teacher:
            teachers[f"checkpoint {args.teacher}"] = args.teacher
        else:
            teachers["Depth Anything V2 Small architecture (random weights)"] = (
                save_random_depth_anything(V2_SMALL, f"{tmp}/v2s")
            )
        for name, folder in teachers.items():
            size = 56 if "tiny" in name else 518
            teacher = DepthAnythingTeacher(folder, input_size=size)
            t_teacher = timed(lambda t=teacher: t(faces))
            share = t_geo / (t_geo + t_teacher)
            verdict = "PASS" if share < 0.05 else "MISS"
            print(f"{name} (input {size}): teacher {t_teacher * 1000:.0f} ms → geometry "
                  f"{share:.1%} of the step [{verdict} < 5 %]")  # fmt: skip


if __name__ == "__main__":
    main()
