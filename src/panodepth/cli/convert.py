"""Convert a Depth Anywhere release .pth to a student file, or a student to a Hub folder.

SRC → DST: a release .pth into a panodepth student file; with --pretrained, any student into a
folder for the Hugging Face Hub.

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

With --pretrained, DST is a folder as Student360.save_pretrained writes it: model.safetensors
(the student file above), config.json and a README.md model card (architecture, output kind,
parameters, training data, metrics when known, --license: not stated unless given), ready for
`hf upload OWNER/NAME DST` and then `panodepth predict --checkpoint OWNER/NAME`. SRC may then
also be any student that --checkpoint takes (a student file, .ckpt, folder or hub id).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from jsonargparse import ArgumentParser, Namespace

if TYPE_CHECKING:
    from panodepth.models import Student360

ARCHES = ("unifuse", "bifusepp", "hohonet", "egformer")


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument(
        "src",
        help="release .pth file or released checkpoint's name "
        "(--pretrained: or any student checkpoint, folder or hub id)",
    )
    parser.add_argument("dst", help="student file to write (.safetensors); --pretrained: a folder")
    parser.add_argument("--arch", choices=ARCHES, default=None,
                        help="architecture (default: detected from the keys)")  # fmt: skip
    parser.add_argument("--overwrite", action="store_true", help="replace an existing DST")
    parser.add_argument(
        "--pretrained",
        action="store_true",
        help="write DST as a Hub folder: model.safetensors, config.json, README.md",
    )
    parser.add_argument(
        "--license",
        default=None,
        help="--pretrained: the card's licence id (default: not stated, 'other')",
    )
    parser.add_argument(
        "--training_data",
        "--training-data",
        default=None,
        help="--pretrained: what the student was trained on (card text)",
    )
    parser.add_argument(
        "--repo_id",
        "--repo-id",
        default=None,
        help="--pretrained: the hub id for the card's usage lines (owner/name)",
    )


def run(cfg: Namespace) -> int:
    from panodepth.models.released import ReleaseFormatError, released_names

    dst = Path(cfg.dst)
    if not cfg.pretrained and dst.suffix != ".safetensors":
        print(f"error: {dst}: the student file must end in .safetensors", file=sys.stderr)
        return 2
    if dst.exists() and not cfg.overwrite:
        print(f"error: {dst} exists (--overwrite to replace it)", file=sys.stderr)
        return 2
    if cfg.pretrained and dst.is_file():
        print(f"error: {dst} is a file; --pretrained writes a folder", file=sys.stderr)
        return 2
    release = (
        not cfg.pretrained
        or Path(cfg.src).suffix.lower() == ".pth"
        or cfg.src.lower() in released_names()
    )
    try:
        model, meta, card = _load_release(cfg) if release else _load_student(cfg)
    except (ReleaseFormatError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if cfg.pretrained:
        from panodepth.io.students import save_student_folder

        card.update(license=cfg.license, repo_id=cfg.repo_id)
        if cfg.training_data:
            card["training_data"] = cfg.training_data
        save_student_folder(model, dst, meta, card)
    else:
        from panodepth.io.students import save_student

        save_student(model, dst, meta)
    print(f"wrote {dst}")
    return 0


def _load_release(cfg: Namespace) -> tuple[Student360, dict[str, str], dict[str, object]]:
    """The released student, its provenance metadata and model-card fields; prints a report."""
    from panodepth.models.released import LICENCE, OUTPUT_KIND, load_released

    model = load_released(cfg.src, cfg.arch)
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
    card: dict[str, object] = {
        "description": f"Converted by `panodepth convert` from the Depth Anywhere release's "
        f"`{info['file']}` (SHA-256 `{info['sha256']}`); the release's licence: {LICENCE}."
    }
    member = info["weights"]
    if member is not None:
        ckpt = member.value
        meta.update(release=ckpt.name, training_data=ckpt.training_data, licence=LICENCE)
        card["training_data"] = ckpt.training_data
        if ckpt.zero_shot_s2d3d is not None:
            meta["paper_zero_shot_stanford2d3d"] = (
                f"AbsRel {ckpt.zero_shot_s2d3d[0]}, delta1 {ckpt.zero_shot_s2d3d[1]}"
            )
            absrel, delta1 = ckpt.zero_shot_s2d3d
            card["metrics"] = {"Stanford2D3D (zero-shot)": {"abs_rel": absrel, "delta1": delta1}}
            card["metrics_protocol"] = "as reported in the Depth Anywhere paper (not re-measured)"
    n_params = sum(p.numel() for p in model.parameters())
    print(f"{info['file']}: released {arch} ({n_params:,} parameters)"
          + (f", {member.value.name}: {member.value.training_data}" if member else ""))  # fmt: skip
    print(f"  dropped {info['constants']} constant and {info['unused']} unused tensors:")
    for note in info["notes"]:
        print(f"  - {note}")
    print(f"  output: {OUTPUT_KIND.split(':')[0]} (head {model.head_kind}, release math)")
    return model, meta, card


def _load_student(cfg: Namespace) -> tuple[Student360, dict[str, str], dict[str, object]]:
    """Any student source of --checkpoint, no extra metadata, no card fields; prints a line."""
    from panodepth.io.students import load_student

    model = load_student(cfg.src)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"{cfg.src}: {model.model_name} ({n_params:,} parameters, {model.output_kind})")
    return model, {}, {}
