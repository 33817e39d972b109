"""BiFuse++: bi-projection fusion of an equirect and a cube-map ResNet-34 (supervised variant).

Wang, Yeh, Cheng, Tsai, Sun, "BiFuse++: Self-supervised and Efficient Bi-projection Fusion for
360° Depth Estimation", TPAMI 2022 (https://arxiv.org/abs/2209.02952); the released code is
``fuenwang/BiFusev2`` (``BiFusev2/BiFuse.py``, ``ResUNet`` with ``layers=34``). This is our own
implementation of that network.

Architecture (input H×W, W = 2·H):

* **Two encoders**, both torchvision ResNet-34 (stem + four stages, strides 4, 8, 16, 32;
  64, 128, 256, 512 channels). The equirect branch sees the panorama; the cube branch sees its
  six 90° faces of side H/2 (F, R, B, L, U, D from :func:`panodepth.geometry.equirect_to_cube`)
  as a batch of B·6 images.
* **Two-way fusion after every stage** (:class:`BiProjectionFusion`): the cube features are
  stitched into the equirect frame (c2e), concatenated with the equirect features, and three
  1×1 conv–BN–ReLU heads read the concatenation: an equirect residual (added to the equirect
  stream), a cube residual (projected onto the faces with e2c and added to the cube stream) and
  the fused features, the decoder's skip at that scale.
* **Decoder**: four PixelShuffle(2) blocks (3×3 conv–BN–ReLU to 4·C' channels, then shuffle),
  each but the first fed the concatenation of the upsampled features and the fused skip of the
  next finer stage, then a 1×1 conv to one channel at H/2 and a bilinear ×2 upsampling
  (``align_corners=True``, as released) to the input size.

Deviations from the release, on purpose:

* The cube residual is added on the faces: ``cube + e2c(res)``. The release computes
  ``e2c(c2e(cube) + res)``, i.e. it also sends the whole cube stream through a c2e → e2c round
  trip at every stage, which re-samples (blurs) the cube features again each time. Same
  parameters, same fusion inputs and outputs; our form keeps the cube branch's own features.
* The release's raw output is linear (metric depth, BerHu loss). Here the raw map goes through
  the :class:`~panodepth.models.base.Student360` head: softplus for ``output="disparity"``,
  ``max_depth · sigmoid`` for ``output="depth"``.
* Projections come from :mod:`panodepth.geometry` (pixel centres at (i + 0.5)/S, seam-aware
  stitching) instead of the release's per-resolution grid *buffers* (``align_corners=True``
  sampling, face-border clipping): the grids are cached by the geometry module on the input's
  device and are not module state, so any H with H % 32 == 0 works (the release builds grids
  for a fixed list of heights).
* Neither branch pads horizontally in a circular way: the release uses torchvision's zero
  padding in both encoders and the decoder, and so do we.
* The last fusion module has only its skip head. The release builds its equirect and cube
  heads too, but both streams end after stage 4, so their outputs are never used: 1.05 M
  parameters that never get a gradient (and make DDP fail unless it searches for unused
  parameters). Hence 51.44 M parameters instead of the release's 52.49 M (−2.0 %; ours plus
  those two heads is the release's count exactly); the computed function is the same.
* ``fusion=False`` is an equirect-only ablation (not in the release): no cube encoder and no
  fusion modules; each stage's equirect features are the decoder's skips directly.

``release_math=True`` computes as the Depth Anywhere release does, for its released weights
(which also use ``head="linear"``): the release's ``CETransform`` projections at every size
(:mod:`panodepth.models.release_math`) and its fusion order ``e2c(c2e(cube) + residual)``;
H ≥ 64.

Parameters (independent of the resolution): 51.44 M with ``fusion=True`` (release: 52.49 M,
see above), 29.11 M for the ``fusion=False`` ablation.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from panodepth.geometry import cube_to_equirect, equirect_to_cube

from .backbones import resnet, resnet_stages
from .base import RELEASE_MIN_HEIGHT, Student360, check_release_height
from .registry import register_model
from .release_math import gather
from .release_math.cube import bifuse_cube_table, bifuse_stitch_table

STAGE_CHANNELS = (64, 128, 256, 512)  # ResNet-34 stages 1-4


def _conv_bn_relu(cin: int, cout: int, kernel_size: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel_size, padding=kernel_size // 2),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


def cube_to_equirect_features(
    cube: Tensor, height: int, width: int, release_math: bool = False
) -> Tensor:
    """(B·6, C, S, S) face features (six per sample) → (B, C, H, W) equirect.

    Faces F, R, B, L, U, D of :mod:`panodepth.geometry`, or with ``release_math`` the
    release's faces and stitching (:func:`~.release_math.cube.bifuse_stitch_table`)."""
    n, c, s, _ = cube.shape
    faces = cube.reshape(n // 6, 6, c, s, s)
    if release_math:
        table = bifuse_stitch_table(s, height, width, cube.device)
        return gather(faces.transpose(1, 2).flatten(2), table)
    return cube_to_equirect(faces, height, width)


def equirect_to_cube_features(equi: Tensor, face_size: int, release_math: bool = False) -> Tensor:
    """(B, C, H, W) equirect features → (B·6, C, S, S) faces (six per sample; see
    :func:`cube_to_equirect_features`; the release's faces have S = H/2)."""
    b, c, h = equi.shape[:3]
    if release_math:
        if face_size != h // 2:
            raise ValueError(f"the release's cube of an H = {h} map has faces of {h // 2} px")
        faces = gather(equi.flatten(2), bifuse_cube_table(h, equi.device)).transpose(1, 2)
    else:
        faces = equirect_to_cube(equi, face_size)
    return faces.reshape(b * 6, c, face_size, face_size)


class BiProjectionFusion(nn.Module):
    """Two-way fusion of one encoder stage (1×1 conv–BN–ReLU heads on [equi, c2e(cube)]).

    Args:
        channels: C, the channel count of both streams at this stage.
        update_streams: build the equirect and cube heads (``False`` for the last stage, after
            which both streams end; they are then returned unchanged).

    Forward:
        equi (B, C, h, w) and cube (B·6, C, s, s) → (equi', cube', fused) with
        ``equi' = equi + f_e(x)``, ``cube' = cube + e2c(f_c(x))``, ``fused = f(x)`` and
        ``x = [equi, c2e(cube)]`` (2C channels). The stitched size is the equirect stream's and
        the face size the cube stream's, so the two need not match exactly (at stage 4 they
        differ when H is not a multiple of 64: ⌈H/64⌉ face rows against H/32 equirect rows).
    """

    def __init__(
        self, channels: int, update_streams: bool = True, release_math: bool = False
    ) -> None:
        super().__init__()
        self.release_math = release_math
        self.to_skip = _conv_bn_relu(2 * channels, channels, 1)
        self.to_equi = self.to_cube = None
        if update_streams:
            self.to_equi = _conv_bn_relu(2 * channels, channels, 1)
            self.to_cube = _conv_bn_relu(2 * channels, channels, 1)

    def forward(self, equi: Tensor, cube: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        h, w = equi.shape[-2:]
        stitched = cube_to_equirect_features(cube, h, w, self.release_math)
        x = torch.cat((equi, stitched), 1)
        if self.to_equi is not None and self.to_cube is not None:
            s = cube.shape[-1]
            if self.release_math:  # the release: e2c(c2e(cube) + residual)
                cube = equirect_to_cube_features(stitched + self.to_cube(x), s, True)
            else:
                cube = cube + equirect_to_cube_features(self.to_cube(x), s)
            equi = equi + self.to_equi(x)
        return equi, cube, self.to_skip(x)


class PixelShuffleUp(nn.Sequential):
    """3×3 conv–BN–ReLU to 4·``cout`` channels, then PixelShuffle(2).

    (B, cin, h, w) → (B, cout, 2h, 2w).
    """

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__(_conv_bn_relu(cin, 4 * cout, 3), nn.PixelShuffle(2))


class BiFusePP(Student360):
    """BiFuse++ (supervised variant): two ResNet-34 encoders with bi-projection fusion.

    Args:
        output: ``"disparity"`` or ``"depth"`` (see :class:`~panodepth.models.base.Student360`).
        max_depth: depth range of the ``"depth"`` head, metres.
        pretrained: ImageNet weights for both encoders (torchvision's).
        fusion: ``False`` builds the equirect-only ablation (no cube branch, no fusion).
        head: the last activation if not the one of ``output``; the release's is ``"linear"``.
        release_math: the release's projections and fusion order (see the module docstring).

    Input (B, 3, H, W) RGB in [0, 1], W = 2·H, H % 32 == 0; output (B, 1, H, W).
    """

    def __init__(
        self,
        *,
        output: str = "disparity",
        max_depth: float = 10.0,
        pretrained: bool = False,
        fusion: bool = True,
        head: str | None = None,
        release_math: bool = False,
    ) -> None:
        super().__init__(output=output, max_depth=max_depth, head=head)
        self.fusion = bool(fusion)
        self.release_math = bool(release_math)
        self.equi_stem, self.equi_stages = resnet_stages(resnet(34, pretrained))
        if self.fusion:
            self.cube_stem, self.cube_stages = resnet_stages(resnet(34, pretrained))
            last = len(STAGE_CHANNELS) - 1
            self.fuse = nn.ModuleList(
                BiProjectionFusion(c, i < last, self.release_math)
                for i, c in enumerate(STAGE_CHANNELS)
            )
        c1, c2, c3, c4 = STAGE_CHANNELS
        self.up4 = PixelShuffleUp(c4, c3)  # stride 32 → 16
        self.up3 = PixelShuffleUp(c3 + c3, c2)  # [up4, skip3] → stride 8
        self.up2 = PixelShuffleUp(c2 + c2, c1)  # [up3, skip2] → stride 4
        self.up1 = PixelShuffleUp(c1 + c1, c1 // 2)  # [up2, skip1] → stride 2
        self.out = nn.Conv2d(c1 // 2, 1, kernel_size=1)

    def encode(self, x: Tensor) -> list[Tensor]:
        """The decoder's skips at strides 4, 8, 16, 32 (fused, or equirect-only)."""
        equi = self.equi_stem(x)
        if not self.fusion:
            skips = []
            for stage in self.equi_stages:
                equi = stage(equi)
                skips.append(equi)
            return skips
        cube = self.cube_stem(equirect_to_cube_features(x, x.shape[-2] // 2, self.release_math))
        skips = []
        for equi_stage, cube_stage, fuse in zip(
            self.equi_stages, self.cube_stages, self.fuse, strict=True
        ):
            equi, cube, skip = fuse(equi_stage(equi), cube_stage(cube))
            skips.append(skip)
        return skips

    @property
    def min_height(self) -> int:
        return RELEASE_MIN_HEIGHT if self.release_math and self.fusion else 32

    def predict(self, x: Tensor) -> Tensor:
        if self.release_math and self.fusion:
            check_release_height(x.shape[-2], "BiFuse++")
        s1, s2, s3, s4 = self.encode(x)
        y = self.up4(s4)
        y = self.up3(torch.cat((y, s3), 1))
        y = self.up2(torch.cat((y, s2), 1))
        y = self.up1(torch.cat((y, s1), 1))
        return F.interpolate(self.out(y), size=x.shape[-2:], mode="bilinear", align_corners=True)


@register_model("bifusepp", params=51_436_257)
def bifusepp(
    *,
    output: str = "disparity",
    max_depth: float = 10.0,
    pretrained: bool = False,
    fusion: bool = True,
    head: str | None = None,
    release_math: bool = False,
) -> BiFusePP:
    """BiFuse++ (Wang et al., TPAMI 2022; https://arxiv.org/abs/2209.02952), supervised variant.

    Two ResNet-34 encoders (equirect and cube, face side H/2) fused after every stage, and a
    PixelShuffle decoder; 51.44 M parameters (release 52.49 M, of which 1.05 M unused).
    Departures from the release (cube residual added on the faces, no unused last-stage heads,
    softplus/sigmoid head, geometry-module projections) are listed in
    :mod:`panodepth.models.bifusepp`.

    Args:
        output: ``"disparity"`` (softplus, relative) or ``"depth"`` (max_depth · sigmoid, m).
        max_depth: depth range of the ``"depth"`` head, metres.
        pretrained: torchvision ImageNet weights for both encoders.
        fusion: ``False`` = equirect-only ablation (no cube branch).
        head: the last activation (see :class:`~panodepth.models.base.Student360`); the
            release's is ``"linear"``.
        release_math: compute as the Depth Anywhere release does (its projections and fusion
            order; :mod:`panodepth.models.release_math`), for its released weights.
    """
    return BiFusePP(
        output=output, max_depth=max_depth, pretrained=pretrained, fusion=fusion, head=head,
        release_math=release_math,
    )  # fmt: skip
