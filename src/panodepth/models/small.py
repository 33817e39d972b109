"""PanoUNet: a small 360° U-Net for CPU demos and tests (registry name ``"pano-unet"``).

Not a published architecture: a compact stand-in for the paper's students (UniFuse,
BiFuse++, ... at 15–52 M parameters) that trains at tens of images per second on two
CPU cores at 64×128, so the Depth Anywhere experiment can run end to end on synthetic
domains in minutes. It follows the :class:`~panodepth.models.base.Student360` contract
(RGB in [0, 1], ImageNet normalisation inside, W = 2·H, H % 32 == 0, ``"disparity"`` or
``"depth"`` head).

Architecture (``width`` = w, channels c = w · :data:`MULTIPLIERS` = w/2, w, 2w, 4w, 4w, 4w)::

    level 0 (1/1)   conv-BN-ReLU ×2, 3 → w/2
    level k (1/2^k) 2×2 max-pool, conv-BN-ReLU ×2, c[k−1] → c[k]      k = 1 … 5 (1/32)
    decoder         nearest ×2 upsampling, concat skip k, conv-BN-ReLU ×2 → c[k], k = 4 … 0
    head            3×3 conv c[0] → 1 (raw map; the base class applies softplus / sigmoid)

Conventions:
    * Every 3×3 convolution is a :class:`~panodepth.models.layers.CircularConv2d`: the width
      wraps around (longitude ±180° are neighbours), the height is zero-padded (the poles
      are not neighbours). Pooling (2×2, stride 2, no padding) and nearest upsampling need
      no padding, so the network is exactly equivariant to a yaw roll of the input by a
      multiple of its total stride (32 px): ``model(x.roll(32k, -1)) == model(x).roll(32k, -1)``
      (in eval mode; BatchNorm in train mode uses batch statistics, which a roll does not
      change either).
    * Nothing is sized by the input resolution; any H % 32 == 0 works with the same weights.

Size: 492,193 parameters at ``width=16`` (grows as width²), ≈ 106 M multiply-adds per
image at 64×128; see ``benchmarks/small_student.py`` for its speed on the machine at hand.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .base import Student360
from .layers import conv3x3
from .registry import register_model

MULTIPLIERS = (0.5, 1, 2, 4, 4, 4)  # channels of levels 1/1 … 1/32, in units of ``width``


def double_conv(in_channels: int, out_channels: int) -> nn.Sequential:
    """Two longitude-circular 3×3 convolutions, each followed by BatchNorm and ReLU."""
    return nn.Sequential(
        conv3x3(in_channels, out_channels, bias=False, circular=True),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
        conv3x3(out_channels, out_channels, bias=False, circular=True),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


class PanoUNet(Student360):
    """A small U-Net with longitude-circular padding on the Student360 contract.

    Args:
        output: ``"disparity"`` (softplus head) or ``"depth"`` (``max_depth · sigmoid``).
        max_depth: upper bound of the depth head, metres.
        head: the last activation, if not the one of ``output`` (see
            :class:`~panodepth.models.base.Student360`).
        width: channels at 1/2 resolution (even); the full-resolution level has ``width/2``
            (most of the compute happens there), the coarser ones ``width ·``
            :data:`MULTIPLIERS`.

    Input (B, 3, H, W) RGB in [0, 1] with W = 2·H, H % 32 == 0; output (B, 1, H, W).

    Example:
        >>> model = PanoUNet(width=8).eval()
        >>> model(torch.rand(1, 3, 64, 128)).shape
        torch.Size([1, 1, 64, 128])
    """

    def __init__(
        self,
        *,
        output: str = "disparity",
        max_depth: float = 10.0,
        width: int = 16,
        head: str | None = None,
    ) -> None:
        super().__init__(output=output, max_depth=max_depth, head=head)
        if isinstance(width, bool) or not isinstance(width, int) or width < 2 or width % 2:
            raise ValueError(f"width must be a positive even integer, got {width!r}")
        self.width = width
        c = [int(width * m) for m in MULTIPLIERS]
        self.encoder = nn.ModuleList(
            double_conv(3 if k == 0 else c[k - 1], c[k]) for k in range(len(c))
        )
        self.decoder = nn.ModuleList(double_conv(c[k + 1] + c[k], c[k]) for k in range(len(c) - 1))
        self.out_conv = conv3x3(c[0], 1, circular=True)

    def predict(self, x: Tensor) -> Tensor:
        skips = []
        for k, block in enumerate(self.encoder):
            x = block(x if k == 0 else F.max_pool2d(x, 2))
            skips.append(x)
        y = skips.pop()
        for k in range(len(self.decoder) - 1, -1, -1):
            y = F.interpolate(y, scale_factor=2.0, mode="nearest")
            y = self.decoder[k](torch.cat([y, skips[k]], 1))
        return self.out_conv(y)


@register_model("pano-unet", params=492_193)
def pano_unet(
    *, output: str = "disparity", max_depth: float = 10.0, width: int = 16, head: str | None = None
) -> PanoUNet:
    """A small 360° U-Net for CPU demos (492,193 parameters at ``width=16``).

    Not from a paper: see :mod:`panodepth.models.small` for the architecture and why it exists.
    ``head``: the last activation (:class:`~panodepth.models.base.Student360`).
    """
    return PanoUNet(output=output, max_depth=max_depth, width=width, head=head)
