"""HoHoNet: 360° depth from latent horizontal features and a per-column DCT.

Sun, Sun, Chen, "HoHoNet: 360 Indoor Holistic Understanding with Latent Horizontal
Features", CVPR 2021 (https://arxiv.org/abs/2011.11498). Depth variant of the released
configuration ``HOHO_depth_dct_efficienthc_TransEn1`` (the one Depth Anywhere trains).

Pipeline for a (B, 3, H, W) panorama (shapes at 512×1024 in brackets):

1. ResNet-50 features at 1/4 … 1/32 (256, 512, 1024, 2048 channels).
2. Efficient height compression (EHC), per stage: 3×3 conv to C/4 channels, width
   up-sampling to W/4 columns (circular linear interpolation), 3×3 conv, then a learned
   per-channel weighted sum over the feature rows (the original's depthwise (h, 1) conv) →
   (B, C/4, W/4). The four are concatenated (960) and fused by a 1×1 conv to 1024 channels:
   the latent horizontal feature (B, 1024, W/4) [B×1024×256].
3. One pre-norm transformer encoder layer (8 heads, feed-forward 2048, dropout 0.1) over the
   W/4 columns, with a sinusoidal positional encoding added first.
4. Width up-sampling ×4 to W columns and a circular 1-D 3×3 conv to 256 channels.
5. Depth head: 1×1 conv + BN + ReLU, 1×1 conv to K = 64 DCT coefficients per column; the
   column of H pixels is ``bias + Σ_k c_k cos(π k (y + ½) / H)``.

Where this implementation departs from the original code (sunset1995/HoHoNet,
``lib/model/hohonet.py`` and the modules it configures):

* Output head: the original outputs the DCT reconstruction as depth in metres (linear). Here
  that raw reconstruction goes through the shared
  :class:`~panodepth.models.base.Student360` head: ``"disparity"`` = ``softplus(raw)`` or
  ``"depth"`` = ``max_depth · sigmoid(raw)``. The original's bias init 2.5 makes its first
  prediction 2.5 m everywhere; here the bias starts where the head gives that same 2.5 m
  (``logit(2.5 / max_depth)`` for depth, ``softplus⁻¹(1 / 2.5)`` for disparity).
* Any resolution (H % 32 == 0, W = 2·H); the original is tied to 512×1024 by its height
  kernels, DCT basis and positional-encoding buffer. Nothing here is sized by the input:

  - the row-weighting kernels are parameters of the original's lengths at H = 512
    (128, 64, 32, 16 rows at 1/4 … 1/32) that are resampled to the actual feature height
    (area-averaged when shorter, linearly interpolated when longer) and scaled by
    ``512 / H`` so they keep summing over the same latitudes; at 512×1024 they are used
    as they are, so the count and the function equal the original's;
  - the DCT basis (K × H) and the positional encoding (1024 × W/4) are built from the input
    size and cached per (size, device, dtype) outside the state dict;
  - the positional encoding is indexed by longitude in units of the original's columns
    (position ``j · 256 / (W/4)``), so a column sees the same encoding at any resolution.
* Circular padding: every padded convolution wraps around in longitude and pads the height
  with zeros (:func:`~panodepth.models.layers.use_circular_padding`; the original does the
  same with its ``wrap_lr_pad``; the 1-D conv pads circularly by hand). Without the
  positional encoding, the model is exactly equivariant to a yaw roll by a multiple of 32 px;
  the absolute positional encoding (as in the original) breaks that equivariance in the
  transformer only. ``position_encoding=False`` drops it (same weights).
* The original's ImageNet weights for the backbone are optional (``pretrained``); no CUDA
  calls, no scipy/sklearn imports.

``release_math=True`` computes as the Depth Anywhere release does, for its released weights
(which also use ``head="linear"``): the input is ImageNet-normalised twice (the release's
loader normalises, then the network again) and the first max-pool pads with −∞ on all sides
(the release wraps only convolutions around). Everything else above is the release's
function at 512×1024; its ``infer`` then keeps rows 80:−80, a converted model predicts all
rows.

Size: 49,466,433 parameters (ResNet-50 without classifier 23.51 M, EHC with fusion 16.69 M,
transformer 8.40 M, up-sampling and head 0.87 M), the original's 49.47 M at 512×1024, and the
same at any input size.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .backbones import resnet, resnet_stages
from .base import Student360
from .layers import use_circular_padding
from .registry import register_model

STAGE_CHANNELS = (256, 512, 1024, 2048)  # ResNet-50 stages at 1/4 … 1/32
REFERENCE_HEIGHT = 512  # the original's input height: its row kernels are 512/4 … 512/32 long
REFERENCE_COLUMNS = 256  # the original's number of latent columns (1024 / 4)
LATENT_CHANNELS = 1024
EMBED_CHANNELS = 256
DCT_COMPONENTS = 64
INITIAL_DEPTH = 2.5  # metres: the original's bias init (its head outputs depth linearly)


def initial_raw(output: str, head: str, max_depth: float, depth: float = INITIAL_DEPTH) -> float:
    """The raw value for which the base-class ``head`` outputs ``depth`` metres (``output``
    ``"depth"``) or the disparity 1/depth (``"disparity"``)."""
    target = depth if output == "depth" else 1 / depth
    if head == "sigmoid":
        share = min(target / max_depth, 0.5)
        return math.log(share / (1 - share))
    if head == "softplus":
        return math.log(math.expm1(target))  # softplus⁻¹
    return target


def upsample_width(x: Tensor, scale: int) -> Tensor:
    """Linear up-sampling of the last (longitude) axis by ``scale``, wrapping around.

    ``x`` is (B, C, W) or (B, C, h, W); returns the same with ``scale · W`` columns. Output
    column ``j`` sits at input coordinate ``(j + ½) / scale − ½`` (align_corners=False), the
    left and right neighbours of the borders being the opposite borders.
    """
    if scale == 1:
        return x
    x = torch.cat([x[..., -1:], x, x[..., :1]], dim=-1)
    if x.ndim == 3:
        x = F.interpolate(x, scale_factor=scale, mode="linear", align_corners=False)
    else:
        x = F.interpolate(x, scale_factor=(1, scale), mode="bilinear", align_corners=False)
    return x[..., scale:-scale]


def dct_basis(n_components: int, height: int, device=None, dtype=None) -> Tensor:
    """DCT-II (unnormalised) basis (K, H): ``cos(π k (y + ½) / H)``, y = 0 … H−1 top to bottom.

    A column of coefficients ``c`` (K,) reconstructs ``Σ_k c_k · basis[k]`` (H,). For
    K > H the basis is overcomplete (rows k and 2H − k alias); it still reconstructs.
    """
    y = (torch.arange(height, device=device, dtype=torch.float64) + 0.5) * (math.pi / height)
    k = torch.arange(n_components, device=device, dtype=torch.float64)
    return torch.cos(k[:, None] * y[None]).to(dtype or torch.get_default_dtype())


def sinusoidal_encoding(
    channels: int, columns: int, reference_columns: int = REFERENCE_COLUMNS, device=None
) -> Tensor:
    """Transformer positional encoding (1, C, N) for N columns, in float32.

    Channel 2i is ``sin(p · 10000^(−2i/C))``, channel 2i+1 the cosine, at position
    ``p = j · reference_columns / N`` for column j: the original's column index when
    N = ``reference_columns``, the same longitude at any other N.
    """
    pos = torch.arange(columns, device=device, dtype=torch.float64) * (reference_columns / columns)
    freq = torch.exp(
        torch.arange(0, channels, 2, device=device, dtype=torch.float64)
        * (-math.log(10000.0) / channels)
    )
    angles = pos[:, None] * freq[None]  # (N, C/2)
    pe = torch.stack([angles.sin(), angles.cos()], dim=-1).flatten(1)  # (N, C): sin, cos, ...
    return pe.T[None].float().contiguous()


class HeightCompression(nn.Module):
    """One stage of EHC: (B, C, h, w) features → (B, C/4, W/4) per-column features.

    3×3 conv + BN + ReLU to C/4 channels, width up-sampling by ``scale`` (to W/4 columns),
    3×3 conv + BN + ReLU, then a weighted sum over the h rows with one learned weight per
    channel and row. The weights are stored at the original's length ``rows`` (the feature
    height at H = 512) and resampled to h (see :meth:`row_weights`).
    """

    def __init__(self, in_channels: int, scale: int, rows: int) -> None:
        super().__init__()
        c = in_channels // 4
        self.scale = scale
        self.conv1 = nn.Sequential(
            nn.Conv2d(in_channels, c, 3, padding=1, bias=False),
            nn.BatchNorm2d(c),
            nn.ReLU(inplace=True),
        )
        self.conv2 = nn.Sequential(
            nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU(inplace=True)
        )
        self.weight = nn.Parameter(torch.empty(c, rows))
        # the default init of the original's depthwise (rows, 1) conv: fan_in = rows
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))

    def row_weights(self, height: int) -> Tensor:
        """(C/4, height) row weights: the stored ones resampled to ``height`` rows, scaled by
        ``rows / height`` so that each row weighs the latitudes it covers (identity at the
        stored length)."""
        rows = self.weight.shape[-1]
        if height == rows:
            return self.weight
        w = self.weight[None]
        if height < rows:
            w = F.adaptive_avg_pool1d(w, height)
        else:
            w = F.interpolate(w, size=height, mode="linear", align_corners=False)
        return w[0] * (rows / height)

    def forward(self, x: Tensor) -> Tensor:
        x = self.conv2(upsample_width(self.conv1(x), self.scale))
        w = self.row_weights(x.shape[-2]).to(x.dtype)
        return torch.einsum("bchw,ch->bcw", x, w)


class HoHoNet(Student360):
    """HoHoNet (CVPR 2021), depth variant, on the :class:`~panodepth.models.base.Student360`
    contract.

    Args:
        output: ``"disparity"`` (softplus head) or ``"depth"`` (``max_depth · sigmoid``).
        max_depth: upper bound of the depth head, metres.
        pretrained: start the ResNet-50 from torchvision's ImageNet weights.
        position_encoding: add the sinusoidal positional encoding before the transformer
            (the original does); without it the model is exactly equivariant to yaw rolls
            by multiples of 32 px. Does not change the weights.
        n_components: DCT coefficients per column (the original: 64).
        head: the last activation if not the one of ``output``; the release's is ``"linear"``
            (the bias then starts at 2.5 m, or 1/2.5 for disparity, as the original's).
        release_math: the release's double normalisation and max-pool padding.

    Input (B, 3, H, W) RGB in [0, 1] with W = 2·H, H % 32 == 0; output (B, 1, H, W).

    Example:
        >>> model = HoHoNet(output="depth").eval()
        >>> model(torch.rand(1, 3, 64, 128)).shape
        torch.Size([1, 1, 64, 128])
    """

    def __init__(
        self,
        *,
        output: str = "disparity",
        max_depth: float = 10.0,
        pretrained: bool = False,
        position_encoding: bool = True,
        n_components: int = DCT_COMPONENTS,
        head: str | None = None,
        release_math: bool = False,
    ) -> None:
        super().__init__(output=output, max_depth=max_depth, head=head)
        if n_components < 1:
            raise ValueError(f"n_components must be positive, got {n_components}")
        self.position_encoding = bool(position_encoding)
        self.n_components = int(n_components)
        self.release_math = bool(release_math)

        self.stem, self.stages = resnet_stages(resnet(50, pretrained))
        self.compress = nn.ModuleList(
            HeightCompression(c, scale=2**k, rows=REFERENCE_HEIGHT // 4 // 2**k)
            for k, c in enumerate(STAGE_CHANNELS)
        )
        self.fuse = nn.Sequential(
            nn.Conv2d(sum(STAGE_CHANNELS) // 4, LATENT_CHANNELS, 1, bias=False),
            nn.BatchNorm2d(LATENT_CHANNELS),
            nn.ReLU(inplace=True),
        )
        self.transformer = nn.TransformerEncoderLayer(
            LATENT_CHANNELS,
            nhead=8,
            dim_feedforward=2048,
            dropout=0.1,
            batch_first=True,
            norm_first=True,
        )
        # width ×4 then this 1-D conv (padding applied circularly in forward)
        self.embed = nn.Conv1d(LATENT_CHANNELS, EMBED_CHANNELS, 3, bias=False)
        self.embed_bn = nn.BatchNorm1d(EMBED_CHANNELS)
        self.coefficients = nn.Sequential(
            nn.Conv1d(EMBED_CHANNELS, EMBED_CHANNELS, 1),
            nn.BatchNorm1d(EMBED_CHANNELS),
            nn.ReLU(inplace=True),
            nn.Conv1d(EMBED_CHANNELS, self.n_components, 1, bias=False),
        )
        nn.init.normal_(self.coefficients[-1].weight, std=0.1 / math.sqrt(EMBED_CHANNELS / 2))
        start = initial_raw(self.output, self.head_kind, self.max_depth)
        self.bias = nn.Parameter(torch.full((1,), start))

        use_circular_padding(self.stem)
        use_circular_padding(self.stages)
        use_circular_padding(self.compress)
        if self.release_math:  # the release wraps its convolutions only, not the max-pool
            self.stages[0][0] = self.stem_pool()
        # size-dependent tables, never in the state dict: (kind, size, device, dtype) → tensor
        self._tables: dict[tuple, Tensor] = {}

    @staticmethod
    def stem_pool() -> nn.MaxPool2d:
        """ResNet's 3×3, stride-2 max-pool with its usual (−∞) padding on all sides."""
        return nn.MaxPool2d(kernel_size=3, stride=2, padding=1)

    def _table(self, kind: str, size: int, ref: Tensor) -> Tensor:
        key = (kind, size, ref.device, ref.dtype)
        table = self._tables.get(key)
        if table is None:
            if kind == "dct":
                table = dct_basis(self.n_components, size, ref.device, ref.dtype)
            else:
                table = sinusoidal_encoding(LATENT_CHANNELS, size, device=ref.device)
                table = table.to(ref.dtype)
            self._tables[key] = table
        return table

    def horizontal_features(self, x: Tensor) -> Tensor:
        """Normalised images → the latent horizontal feature (B, 1024, W/4) (before the
        transformer)."""
        f = self.stem(x)
        parts = []
        for stage, compress in zip(self.stages, self.compress, strict=True):
            f = stage(f)
            parts.append(compress(f))
        return self.fuse(torch.cat(parts, 1)[:, :, None])[:, :, 0]

    def predict(self, x: Tensor) -> Tensor:
        height = x.shape[-2]
        if self.release_math:  # normalised by the release's loader, then again inside
            x = (x - self.mean.to(x.dtype)) / self.std.to(x.dtype)
        feat = self.horizontal_features(x)  # (B, 1024, W/4)
        if self.position_encoding:
            feat = feat + self._table("pe", feat.shape[-1], feat)
        feat = self.transformer(feat.transpose(1, 2)).transpose(1, 2)
        feat = upsample_width(feat, 4)  # (B, 1024, W)
        feat = F.relu(self.embed_bn(self.embed(F.pad(feat, (1, 1), mode="circular"))))
        coeffs = self.coefficients(feat)  # (B, K, W)
        basis = self._table("dct", height, coeffs)  # (K, H)
        return self.bias.to(coeffs.dtype) + torch.einsum("bkw,kh->bhw", coeffs, basis)[:, None]


@register_model("hohonet", params=49_466_433)
def hohonet(
    *,
    output: str = "disparity",
    max_depth: float = 10.0,
    pretrained: bool = False,
    position_encoding: bool = True,
    n_components: int = DCT_COMPONENTS,
    head: str | None = None,
    release_math: bool = False,
) -> HoHoNet:
    """HoHoNet with a ResNet-50, EHC, one transformer layer and a 64-term DCT per column
    (49.47 M parameters).

    Paper: https://arxiv.org/abs/2011.11498. Departures from the original code are listed in
    :mod:`panodepth.models.hohonet` (output head, any resolution, longitude-scaled positional
    encoding). The options are :class:`HoHoNet`'s.
    """
    return HoHoNet(
        output=output, max_depth=max_depth, pretrained=pretrained,
        position_encoding=position_encoding, n_components=n_components, head=head,
        release_math=release_math,
    )  # fmt: skip
