"""How each released state dict maps onto a panodepth student: names, shapes, options.

The Depth Anywhere release saves ``model.state_dict()`` of its own copies of the four
students. A :class:`ReleaseLayout` holds, per architecture, the facts needed to read one
(taken from the release's model code; ``tests/models/data/release/*.json`` lists every key
and shape of the four state dicts, generated from that code by
``benchmarks/release_parity.py --write-manifests``):

* ``signature``: keys that only this architecture's state dict has (to detect it);
* ``constants``: keys that hold no trained value (projection grids, lookup tables,
  normalisation constants, BatchNorm-free buffers): dropped, panodepth computes its own;
* ``unused``: trained keys that the release's forward pass never reads: dropped, with a note;
* ``renames``: ``(regex, replacement)`` pairs applied in order to every other key; the
  result must be a key of the student built with ``options`` (a bijection, checked when
  loading);
* ``reshape``: per target-key regex, a function turning the release's tensor into ours.

Pure data and pure functions: nothing here reads a file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from torch import Tensor

Rename = tuple[str, str | Callable[[re.Match[str]], str]]


@dataclass(frozen=True)
class ReleaseLayout:
    """The mapping of one released architecture (see the module docstring)."""

    arch: str  # panodepth registry name
    release_name: str  # the release's name (its model folder)
    options: dict[str, Any]
    signature: tuple[str, ...]
    renames: tuple[Rename, ...]
    constants: tuple[str, ...] = ()
    unused: tuple[str, ...] = ()
    reshape: dict[str, Callable[[Tensor], Tensor]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def classify(self, key: str) -> str:
        """``"constant"``, ``"unused"`` or ``"weight"``."""
        if any(re.fullmatch(p, key) for p in self.constants):
            return "constant"
        if any(re.fullmatch(p, key) for p in self.unused):
            return "unused"
        return "weight"

    def target(self, key: str) -> str:
        """panodepth's name of a release weight key."""
        for pattern, repl in self.renames:
            key = re.sub(pattern, repl, key)
        return key

    def convert(self, key: str, value: Tensor) -> Tensor:
        """The release's tensor ``value`` of ``key`` in panodepth's layout."""
        target = self.target(key)
        for pattern, fn in self.reshape.items():
            if re.fullmatch(pattern, target):
                return fn(value)
        return value


def _resnet(prefix: str, target: str) -> tuple[Rename, ...]:
    """torchvision ResNet names under ``prefix`` → panodepth's (stem, stages) split."""
    return (
        (rf"^{prefix}\.conv1\.", f"{target}_stem.0."),
        (rf"^{prefix}\.bn1\.", f"{target}_stem.1."),
        (rf"^{prefix}\.layer1\.", f"{target}_stages.0.1."),
        (rf"^{prefix}\.layer([234])\.", lambda m: f"{target}_stages.{int(m[1]) - 1}."),
    )


# ------------------------------------------------------------------------------------ UniFuse
# equi_decoder is an nn.ModuleList of the release's OrderedDict, in this order:
_UNIFUSE_DECODER = {
    0: "fusions.4", 1: "upconvs.4.0", 2: "fusions.3", 3: "iconvs.3.0", 4: "upconvs.3.0",
    5: "fusions.2", 6: "iconvs.2.0", 7: "upconvs.2.0", 8: "fusions.1", 9: "iconvs.1.0",
    10: "upconvs.1.0", 11: "fusions.0", 12: "iconvs.0.0", 13: "upconvs.0.0",
    14: "out_conv.0.0", 15: "out_conv.1",
}  # fmt: skip

UNIFUSE = ReleaseLayout(
    arch="unifuse",
    release_name="UniFuse",
    # 10 · sigmoid, trained as relative disparity; max_depth is read from the file
    options={"output": "disparity", "head": "sigmoid", "max_depth": 10.0, "release_math": True},
    signature=("max_depth", "equi_encoder.conv1.weight", "equi_decoder.0.res_conv1.weight"),
    constants=(r"projectors\.\d+\.sample_grid", r"max_depth"),
    renames=(
        *_resnet("equi_encoder", "equi"),
        *_resnet("cube_encoder", "cube"),
        (r"^equi_decoder\.(\d+)\.", lambda m: _UNIFUSE_DECODER[int(m[1])] + "."),
        (r"\.conv\.conv\.", "."),  # ConvBlock → Conv3x3 → conv
        (r"^(out_conv\.1)\.conv\.", r"\1."),  # the last Conv3x3
        (r"\.res_conv1\.", ".reduce.0."),
        (r"\.res_bn1\.", ".reduce.1."),
        (r"\.res_conv2\.", ".residual.0."),
        (r"\.res_bn2\.", ".residual.1."),
        (r"\.selayer\.", ".se."),
        (r"^(fusions\.\d)\.conv\.", r"\1.merge.0."),
    ),
    notes=(
        "max_depth (a frozen parameter, 10) sets the head's bound",
        "projectors.*.sample_grid are the cube → equirect grids of 512×1024 (recomputed for "
        "any size)",
    ),
)

# ------------------------------------------------------------------------------------ BiFuse++
BIFUSEPP = ReleaseLayout(
    arch="bifusepp",
    release_name="BiFuseV2",
    options={"output": "disparity", "head": "linear", "release_math": True},
    signature=("dnet.resnet_equi.conv1.weight", "dnet.f1.conv_cat.0.weight"),
    # one shared CETransform, registered under dnet.ce and under each fusion module
    constants=(r"dnet\.(ce|f[1-4]\.CE)\.(e2c|c2e)\..*",),
    unused=(r"dnet\.f4\.conv_(equi|cube)_cat\..*",),
    renames=(
        (r"^dnet\.", ""),
        *_resnet("resnet_equi", "equi"),
        *_resnet("resnet_cube", "cube"),
        (r"^f([1-4])\.", lambda m: f"fuse.{int(m[1]) - 1}."),
        (r"\.conv_equi_cat\.", ".to_equi."),
        (r"\.conv_cube_cat\.", ".to_cube."),
        (r"\.conv_cat\.", ".to_skip."),
        (r"^deconv([1-4])\.0\.", r"up\1.0."),
        (r"^deconv1\.2\.", "out."),
    ),
    notes=(
        "dnet.ce and dnet.f1-4.CE are five copies of one CETransform (projection grids and "
        "masks for heights 8-512: constants, recomputed for any size)",
        "dnet.f4.conv_equi_cat / conv_cube_cat are computed by the release and never used "
        "(its streams end after stage 4): dropped",
    ),
)

# ------------------------------------------------------------------------------------ HoHoNet
HOHONET = ReleaseLayout(
    arch="hohonet",
    release_name="HoHoNet",
    options={"output": "disparity", "head": "linear", "release_math": True},
    signature=("encoder.encoder.conv1.1.weight", "decoder.ghc_lst.0.7.weight"),
    constants=(r"x_mean", r"x_std", r"horizon_refine\.pos", r"modalities\.0\.basis"),
    renames=(  # the release wraps padded convolutions as Sequential(LR_PAD, conv): ".1."
        (r"^encoder\.encoder\.conv1\.1\.", "stem.0."),
        (r"^encoder\.encoder\.bn1\.", "stem.1."),
        (r"^encoder\.encoder\.layer1\.", "stages.0.1."),
        (r"^encoder\.encoder\.layer([234])\.", lambda m: f"stages.{int(m[1]) - 1}."),
        (r"\.conv2\.1\.weight$", ".conv2.weight"),
        (r"^decoder\.ghc_lst\.(\d)\.0\.1\.", r"compress.\1.conv1.0."),
        (r"^decoder\.ghc_lst\.(\d)\.1\.", r"compress.\1.conv1.1."),
        (r"^decoder\.ghc_lst\.(\d)\.4\.1\.", r"compress.\1.conv2.0."),
        (r"^decoder\.ghc_lst\.(\d)\.5\.", r"compress.\1.conv2.1."),
        (r"^decoder\.ghc_lst\.(\d)\.7\.", r"compress.\1."),
        (r"^decoder\.fuse\.", "fuse."),
        (r"^horizon_refine\.transen\.layers\.0\.", "transformer."),
        (r"^emb_shared_latent\.1\.1\.", "embed."),
        (r"^emb_shared_latent\.2\.", "embed_bn."),
        (r"^modalities\.0\.estimator\.", "coefficients."),
        (r"^modalities\.0\.bias", "bias"),
    ),
    # the row weights: a depthwise (h, 1) convolution there, (C, h) here
    reshape={r"compress\.\d\.weight": lambda t: t.reshape(t.shape[0], -1)},
    notes=(
        "x_mean / x_std (ImageNet, applied a second time inside the network), the positional "
        "encoding and the DCT basis of 512×1024 are constants, recomputed for any size",
    ),
)

# ------------------------------------------------------------------------------------ EGFormer
_EG_STAGES = {
    "stage1": "encoder.0", "stage2": "encoder.1", "stage3": "encoder.2", "stage4": "encoder.3",
    "bottleneck": "bottleneck", "dec_stage5": "decoder.0", "dec_stage6": "decoder.1",
    "dec_stage7": "decoder.2", "dec_stage8": "decoder.3",
}  # fmt: skip
_PANO = "stage1|stage2|dec_stage7|dec_stage8"  # stages that open with a PanoFormer layer


def _flip_offset_pairs(t: Tensor) -> Tensor:
    """PanoFormer offsets are (row, column) pairs there, (u, v) = (column, row) here."""
    return t.reshape(-1, 2, *t.shape[1:]).flip(1).reshape(t.shape)


EGFORMER = ReleaseLayout(
    arch="egformer",
    release_name="EGFormer",
    options={"output": "disparity", "head": "linear", "release_math": True},
    signature=("patch_embed.0.weight", "stage1.0.blocks.0.dattn.offset_proj.weight"),
    unused=(r"norm\.(weight|bias)",),
    renames=(
        (rf"^({_PANO})\.0\.blocks\.([01])\.", lambda m: f"{_EG_STAGES[m[1]]}.{m[2]}."),
        (rf"^({_PANO})\.1\.", lambda m: f"{_EG_STAGES[m[1]]}.2."),
        (r"^(stage3|stage4|bottleneck|dec_stage5|dec_stage6)\.", lambda m: f"{_EG_STAGES[m[1]]}."),
        (r"^patch_embed\.0\.", "stem."),
        (r"^patch_embed\.2\.", "stem_norm."),
        (r"^downsample([1-4])\.", lambda m: f"downsample.{int(m[1]) - 1}."),
        (r"^upsample([5-8])\.", lambda m: f"upsample.{int(m[1]) - 5}."),
        (r"^tune([5-8])\.", lambda m: f"tune.{int(m[1]) - 5}."),
        (r"^output_conv\.([024])\.", lambda m: f"out_conv{int(m[1]) // 2 + 1}."),
        (r"\.mlp\.fc1\.", ".mlp.0."),
        (r"\.mlp\.fc2\.", ".mlp.2."),
        (r"\.mlp\.dwconv\.0\.", ".mlp.dwconv."),
        (r"\.mlp\.linear2\.0\.", ".mlp.linear2."),
    ),
    reshape={r".*\.dattn\.offset_proj\.(weight|bias)": _flip_offset_pairs},
    notes=("norm.* (a final LayerNorm that the release never calls) is dropped",),
)

LAYOUTS: dict[str, ReleaseLayout] = {x.arch: x for x in (UNIFUSE, BIFUSEPP, HOHONET, EGFORMER)}
