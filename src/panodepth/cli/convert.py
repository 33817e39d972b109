"""Convert a checkpoint of the Depth Anywhere release (.pth) into a panodepth student file.

SRC is a release .pth file (a plain state dict of its UniFuse, BiFuseV2, HoHoNet or EGFormer)
or the name of a released checkpoint (e.g. unifuse-mp3d-st3d, found in the models folder,
$PANODEPTH_HOME/depth-anywhere/ or ~/.cache/panodepth/depth-anywhere/). The architecture is
detected from the state dict's keys unless --arch is given. The file is read with
torch.load(weights_only=True): anything but a plain tensor state dict is refused.

DST (.safetensors) is a normal panodepth student file: the student computes as the release
does (its head and math), at any W = 2·H size with H % 32 == 0 (H ≥ 64 for UniFuse and
BiFuse++). Its metadata records the source file name and SHA-256, the architecture, the
output kind (relative disparity), and the training data when SRC is one of the release's
files. `panodepth predict` and `panodepth eval` also take the .pth directly.
"""

from __future__ import annotations

import sys
from pathlib import Path

from jsonargparse import ArgumentParser, Namespace

ARCHES = ("unifuse", "bifusepp", "hohonet", "egformer")


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("src", help="release .pth file, or a released checkpoint's name")
    parser.add_argument("dst", help="student file to write (.safetensors)")
    parser.add_argument("--arch", choices=ARCHES, default=None,
                        help="architecture (default: detected from the keys)")  # fmt: skip
    parser.add_argument("--overwrite", action="store_true", help="replace an existing DST")


def run(cfg: Namespace) -> int:
    from panodepth.io.students import save_student
    from panodepth.models.released import LICENCE, OUTPUT_KIND, ReleaseFormatError, load_released

    dst = Path(cfg.dst)
    if dst.suffix != ".safetensors":
        print(f"error: {dst}: the student file must end in .safetensors", file=sys.stderr)
        return 2
    if dst.exists() and not cfg.overwrite:
        print(f"error: {dst} exists (--overwrite to replace it)", file=sys.stderr)
        return 2
    try:
        model = load_released(cfg.src, cfg.arch)
    except ReleaseFormatError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    info, arch = model.release_info, model.model_name
    meta = {
        "source": info["file"],
        "source_sha256": info["sha256"],
        "source_format": "Depth Anywhere release state dict (torch.save(model.state_dict()))",
        "architecture": arch,
        "output_kind": OUTPUT_KIND,
        "dropped": f"{info['constants']} constants, {info['unused']} unused: "
        + "; ".join(info["notes"]),
    }
    member = info["weights"]
    if member is not None:
        ckpt = member.value
        meta.update(release=ckpt.name, training_data=ckpt.training_data, licence=LICENCE)
        if ckpt.zero_shot_s2d3d is not None:
            meta["paper_zero_shot_stanford2d3d"] = (
                f"AbsRel {ckpt.zero_shot_s2d3d[0]}, delta1 {ckpt.zero_shot_s2d3d[1]}"
            )
    save_student(model, dst, meta)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"{info['file']}: released {arch} ({n_params:,} parameters)"
          + (f", {member.value.name}: {member.value.training_data}" if member else ""))  # fmt: skip
    print(f"  dropped {info['constants']} constant and {info['unused']} unused tensors:")
    for note in info["notes"]:
        print(f"  - {note}")
    print(f"  output: {OUTPUT_KIND.split(':')[0]} (head {model.head_kind}, release math)")
    print(f"wrote {dst}")
    return 0
