"""UniFuse: unidirectional fusion of cube-map features into an equirect depth network.

Jiang, Sheng, Zhu, Wang, Zhang, Fang, "UniFuse: Unidirectional Fusion for 360° Panorama
Depth Estimation", IEEE RA-L 2021 (https://arxiv.org/abs/2102.03550).

Two ResNet-18 encoders with separate weights: one on the equirect panorama, one on its six
90° cube faces (face size H/2, run as a batch of B·6 images). At each of the five encoder
scales (the stem at 1/2 and the four stages at 1/4 … 1/32), the cube features are stitched
back to equirect with :func:`panodepth.geometry.cube_to_equirect` and merged into the
equirect features by a Cubemap-to-Equirectangular Enhancement (CEE) block. Only the fused
equirect features go on, as the skips of a Monodepth2-style decoder (3×3 conv + ELU,
nearest ×2 upsampling, skip concatenation) that ends at full resolution: information flows
from the cube to the equirect branch only ("unidirectional"), and no cube-side decoder is
needed.

Where this implementation departs from the original code (alibaba/UniFuse-Unidirectional-
Fusion, ``networks/unifuse.py``):

* Output head: the original predicts depth as ``10 · sigmoid``; here the raw map goes through
  the shared :class:`~panodepth.models.base.Student360` head, ``"depth"`` =
  ``max_depth · sigmoid`` (the same as the original with ``max_depth=10``) or
  ``"disparity"`` = ``softplus`` (for the affine-invariant Depth Anywhere recipe).
* The cube faces are made inside the model from the (normalised) panorama with
  :func:`~panodepth.geometry.equirect_to_cube` (face size H/2, as in the original data
  loaders), so the model takes one input; the original takes a pre-computed cube strip.
  Normalising before or after the projection is the same (bilinear weights sum to 1).
* Cube → equirect uses the project's cube convention and its cached stitching tables
  (bilinear with neighbouring-face padding at face borders), not the original's
  nearest-face ``grid_sample`` over a face-type channel; sampling grids are never
  parameters (the original stores them as frozen ``nn.Parameter``s tied to one input size),
  so any ``H % 32 == 0``, ``W = 2·H`` works with the same weights.
* Padding: the original pads every convolution with zeros (there is no circular padding in
  UniFuse). That is the default here too; ``circular_padding=True`` makes the equirect
  branch (encoder, CEE 3×3 convs, decoder) wrap around in longitude, which removes the seam
  at ±180° (the cube encoder stays zero-padded: its faces are ordinary pinhole images).
* ``fusion=False`` builds the original's equirect-only baseline (``networks/equi.py``): no
  cube encoder and no CEE blocks; the skips are the raw equirect features.

``release_math=True`` switches the projections back to the Depth Anywhere release's (its input
cube as its data loader samples it, its ``Cube2Equirec`` stitching;
:mod:`panodepth.models.release_math`) for its released weights, which also use
``head="sigmoid"`` (``10 · sigmoid``) read as relative disparity; needs H ≥ 64.

Size: 30,263,281 parameters with fusion (ResNet-18 classifier heads dropped), 14,327,217
without; the count does not depend on the input resolution (nothing is sized by it).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from panodepth.geometry import cube_to_equirect, equirect_to_cube

from .backbones import resnet, resnet_stages
from .base import RELEASE_MIN_HEIGHT, Student360, check_release_height
from .layers import conv3x3, use_circular_padding
from .registry import register_model
from .release_math import gather
from .release_math.cube import py360_cube_table, unifuse_stitch_table

ENCODER_CHANNELS = (64, 64, 128, 256, 512)  # ResNet-18: stem (1/2), stages 1/4 … 1/32
DECODER_CHANNELS = (16, 32, 64, 128, 256)  # decoder width at 1/1 … 1/16


class SqueezeExcite(nn.Module):
    """Channel attention (Hu et al., 2018): global average → FC → ReLU → FC → sigmoid gate."""

    def __init__(self, channels: int, reduction: int = 16) -> None:
        super().__init__()
        self.fc = nn.Sequential(
            nn.Linear(channels, channels // reduction, bias=False),
            nn.ReLU(inplace=True),
            nn.Linear(channels // reduction, channels, bias=False),
            nn.Sigmoid(),
        )

    def forward(self, x: Tensor) -> Tensor:
        gate = self.fc(x.mean(dim=(-2, -1)))
        return x * gate[..., None, None]


class CEEFusion(nn.Module):
    """Cubemap-to-Equirectangular Enhancement: fuses stitched cube features into equirect ones.

    ``e`` equirect features, ``c`` cube features stitched to equirect, both (B, C, h, w)::

        r   = BN(conv3×3(ReLU(BN(conv1×1([e, c])))))   # residual from both views
        out = ReLU(conv1×1(SE([e, c + r])))             # enhanced cube features next to e

    Returns (B, C, h, w).
    """

    def __init__(self, channels: int, squeeze_excite: bool = True) -> None:
        super().__init__()
        c = channels
        self.reduce = nn.Sequential(
            nn.Conv2d(2 * c, c, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU(inplace=True)
        )
        self.residual = nn.Sequential(conv3x3(c, c, bias=False), nn.BatchNorm2d(c))
        self.se = SqueezeExcite(2 * c) if squeeze_excite else nn.Identity()
        self.merge = nn.Sequential(nn.Conv2d(2 * c, c, 1, bias=False), nn.ReLU(inplace=True))

    def forward(self, equi: Tensor, cube: Tensor) -> Tensor:
        enhanced = cube + self.residual(self.reduce(torch.cat([equi, cube], 1)))
        return self.merge(self.se(torch.cat([equi, enhanced], 1)))


def conv_elu(in_channels: int, out_channels: int) -> nn.Sequential:
    """Decoder block: 3×3 convolution (with bias) + ELU."""
    return nn.Sequential(conv3x3(in_channels, out_channels), nn.ELU(inplace=True))


class UniFuse(Student360):
    """UniFuse (RA-L 2021) on the :class:`~panodepth.models.base.Student360` contract.

    Args:
        output: ``"disparity"`` (softplus head) or ``"depth"`` (``max_depth · sigmoid``).
        max_depth: upper bound of the depth head, metres.
        pretrained: start both ResNet-18 encoders from torchvision's ImageNet weights.
        fusion: ``True`` = UniFuse; ``False`` = the equirect-only baseline (no cube branch).
        circular_padding: wrap the equirect branch's padding around in longitude (the
            original uses zeros).
        squeeze_excite: the SE block inside CEE (the original's default, ``se_in_fusion``).
        head: the last activation if not the one of ``output`` (see
            :class:`~panodepth.models.base.Student360`).
        release_math: compute the cube projections as the Depth Anywhere release does (for
            its released weights; :mod:`panodepth.models.release_math`).

    Input (B, 3, H, W) RGB in [0, 1] with W = 2·H, H % 32 == 0; output (B, 1, H, W).

    Example:
        >>> model = UniFuse(output="depth").eval()
        >>> model(torch.rand(1, 3, 64, 128)).shape
        torch.Size([1, 1, 64, 128])
    """

    def __init__(
        self,
        *,
        output: str = "disparity",
        max_depth: float = 10.0,
        pretrained: bool = False,
        fusion: bool = True,
        circular_padding: bool = False,
        squeeze_excite: bool = True,
        head: str | None = None,
        release_math: bool = False,
    ) -> None:
        super().__init__(output=output, max_depth=max_depth, head=head)
        self.fusion = bool(fusion)
        self.circular_padding = bool(circular_padding)
        self.release_math = bool(release_math)
        enc, dec = ENCODER_CHANNELS, DECODER_CHANNELS

        self.equi_stem, self.equi_stages = resnet_stages(resnet(18, pretrained))
        if self.fusion:
            self.cube_stem, self.cube_stages = resnet_stages(resnet(18, pretrained))
            self.fusions = nn.ModuleList(CEEFusion(c, squeeze_excite) for c in enc)

        # upconvs[k]: level k (1/2^(k+1)) → decoder width dec[k], then ×2 upsampling;
        # iconvs[k]: [upsampled decoder features, skip k] → dec[k + 1], for k = 0 … 3.
        self.upconvs = nn.ModuleList(
            conv_elu(enc[4] if k == 4 else dec[k + 1], dec[k]) for k in range(5)
        )
        self.iconvs = nn.ModuleList(conv_elu(dec[k + 1] + enc[k], dec[k + 1]) for k in range(4))
        self.out_conv = nn.Sequential(conv_elu(dec[0], dec[0]), conv3x3(dec[0], 1))

        if self.circular_padding:
            for part in (self.equi_stem, self.equi_stages, self.upconvs, self.iconvs):
                use_circular_padding(part)
            use_circular_padding(self.out_conv)
            if self.fusion:
                use_circular_padding(self.fusions)

    def to_cube(self, x: Tensor) -> Tensor:
        """(B, C, H, W) equirect → (B, 6, C, H/2, H/2) cube faces F, R, B, L, U, D."""
        h, w = x.shape[-2:]
        if self.release_math:
            faces = gather(x.flatten(2), py360_cube_table(h, w, h // 2, x.device))
            return faces.transpose(1, 2)
        return equirect_to_cube(x, h // 2)

    def stitch(self, faces: Tensor, height: int) -> Tensor:
        """(B, 6, C, s, s) face features → (B, C, height, 2·height) equirect."""
        if self.release_math:
            table = unifuse_stitch_table(faces.shape[-1], height, 2 * height, faces.device)
            return gather(faces.transpose(1, 2).flatten(2), table)
        return cube_to_equirect(faces, height, 2 * height)

    def encode_equirect(self, x: Tensor) -> list[Tensor]:
        """Equirect features at 1/2, 1/4, 1/8, 1/16, 1/32 (channels :data:`ENCODER_CHANNELS`)."""
        return _encode(self.equi_stem, self.equi_stages, x)

    def encode_cube(self, faces: Tensor) -> list[Tensor]:
        """(B, 6, 3, S, S) faces → per-scale features stitched to equirect (B, C, h, w)."""
        b, s = faces.shape[0], faces.shape[-1]
        feats = _encode(self.cube_stem, self.cube_stages, faces.reshape(b * 6, 3, s, s))
        h = 2 * s  # face size S = H/2
        out = []
        for k, f in enumerate(feats):
            out.append(self.stitch(f.unflatten(0, (b, 6)), h >> (k + 1)))
        return out

    @property
    def min_height(self) -> int:
        return RELEASE_MIN_HEIGHT if self.release_math and self.fusion else 32

    def predict(self, x: Tensor) -> Tensor:
        if self.release_math and self.fusion:
            check_release_height(x.shape[-2], "UniFuse")
        skips = self.encode_equirect(x)
        if self.fusion:
            cube = self.encode_cube(self.to_cube(x))
            skips = [fuse(e, c) for fuse, e, c in zip(self.fusions, skips, cube, strict=True)]
        y = skips[4]
        for k in range(4, -1, -1):
            if k < 4:
                y = self.iconvs[k](torch.cat([y, skips[k]], 1))
            y = F.interpolate(self.upconvs[k](y), scale_factor=2.0, mode="nearest")
        return self.out_conv(y)


def _encode(stem: nn.Module, stages: nn.ModuleList, x: Tensor) -> list[Tensor]:
    feats = [stem(x)]
    for stage in stages:
        feats.append(stage(feats[-1]))
    return feats


@register_model("unifuse", params=30_263_281)
def unifuse(
    *,
    output: str = "disparity",
    max_depth: float = 10.0,
    pretrained: bool = False,
    fusion: bool = True,
    circular_padding: bool = False,
    squeeze_excite: bool = True,
    head: str | None = None,
    release_math: bool = False,
) -> UniFuse:
    """UniFuse with two ResNet-18 encoders and CEE fusion at five scales (30.26 M parameters).

    Paper: https://arxiv.org/abs/2102.03550. Departures from the original code are listed in
    :mod:`panodepth.models.unifuse` (output head, in-model cube projection, optional
    longitude-circular padding). The options are :class:`UniFuse`'s.
    """
    return UniFuse(
        output=output, max_depth=max_depth, pretrained=pretrained, fusion=fusion,
        circular_padding=circular_padding, squeeze_excite=squeeze_excite, head=head,
        release_math=release_math,
    )  # fmt: skip
