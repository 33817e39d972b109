"""EGFormer: an equirectangular-geometry-biased transformer for 360° depth.

Yun, Shin, Eum, Kim, Lim, "EGformer: Equirectangular Geometry-biased Transformer for 360 Depth
Estimation", ICCV 2023 (https://arxiv.org/abs/2304.07803).

A U-shaped encoder–decoder of transformer blocks on tokens, no CNN backbone (the layout of
the released ``EGDepthModel``, embedding width 32, every stage two "slots"):

* stem: 3×3 conv, stride 2 → 32 channels at 1/2, LayerNorm;
* encoder stages at 1/2, 1/4 (32, 64 ch.): a *PanoFormer layer* (two PanoFormer blocks,
  1 / 2 heads) then one EG block with vertical stripes (1 / 2 heads);
  at 1/8, 1/16 (128, 256 ch.): EG blocks, horizontal then vertical (4 / 8 heads);
  bottleneck at 1/32 (512 ch., 16 heads), horizontal then vertical;
* between stages a 3×3 stride-2 conv + GELU + LayerNorm doubles the width ("merge"); on the way
  up nearest ×2 upsampling + 3×3 conv + GELU + LayerNorm halves it;
* decoder stages at 1/16, 1/8 (EG blocks, 8 / 4 heads) and 1/4, 1/2 (a PanoFormer layer with
  4 / 2 heads then a vertical EG block with 2 / 1 heads); after each, the encoder feature of
  the same scale is concatenated and a 3×3 conv + GELU + LayerNorm ("tune") halves the width;
* head: tune conv, 3×3 conv, bilinear ×2 to full resolution, 3×3 conv → 32, ReLU, 1×1 → 1.

The EG block is a pre-norm transformer block whose attention is the equirect-geometry-biased
stripe attention of :mod:`.attention` (ERP chord-distance bias, 1 − cos scores, adaptive
re-weighting with the block input). The PanoFormer block (Shen et al., ECCV 2022) attends, per
head, to 9 learned-offset samples around a 3×3 tangent-plane pattern at each pixel, weighted
by a softmax predicted from the query, and has a depthwise-conv feed-forward (LeFF).

Where this implementation departs from the original code (yuniw18/EGformer,
``models/egformer.py`` and ``models/Panoformer/``):

* Any size: the original hard-codes 512×1024 (position-bias lookup tables, tangent sampling
  patterns and token reshapes, built with ``.cuda()`` at import/construction). Here every
  table is derived from the feature size on the input's device and cached outside the
  state dict, so any ``H % 32 == 0``, ``W = 2·H`` runs with the same weights.
* ERP position bias: ``-0.1 · chord(i, j)`` from the pixels' unit rays — symmetric, largest
  (0) at zero distance and cyclic across the ±180° seam. The original adds
  ``+0.1 · sign(j − i) · chord`` (an antisymmetric table, its own code comments that dropping
  the sign would respect the horizontal cycle) and spaces its angles with
  ``linspace(0, N, N)`` (steps of N/(N−1) pixels); here angles come from the pixel centres.
* Adaptive re-weighting of the residual: with vertical stripes, ``1 − M`` of column w scales
  column w here; the original reshapes the raster-ordered block input into chunks of H tokens,
  so it scales tokens w·H … w·H + H − 1 (part of a row) instead (rows are unaffected).
* Adaptive re-weighting is normalised **per sample** (by the largest stripe importance of the
  same panorama); the original divides by the maximum over the whole batch (its comment
  flags this for batch size > 1), so a sample's output depended on its batch-mates.
* Memory: stripe scores are computed in chunks and recomputed in backward
  (:func:`~.attention.stripe_attention`; once per block when whole blocks are checkpointed);
  the original materialises every attention map of a layer plus a repeated bias table of the
  same size.

``release_math=True`` switches the first three departures above back (the original's ERP bias
tables, PanoFormer pattern and sampling, vertical residual layout; computed for any size by
:mod:`panodepth.models.release_math.egformer`) for the Depth Anywhere release's weights, which
also use ``head="linear"``. Re-weighting stays per sample: the same as the release at batch
size 1, the batch size of its evaluation (``batch_size_val=1``).

``benchmarks/egformer_parity.py`` checks all this against the original code: with the original's
tables, sampling convention and residual layout fed in, the whole model agrees to float32
precision.
* PanoFormer attention: the tangent pattern uses the exact inverse gnomonic projection with
  ``atan2`` (the original's ``arctan`` folds taps near the poles), the pixel-centre
  convention of :mod:`panodepth.geometry`, and samples wrap around in longitude (the
  original's ``grid_sample`` reads zeros past the ±180° seam and mixes ``align_corners``
  conventions). Parameters are the same (q/k/value projections, offsets, weights, output).
* Output head: the final sigmoid of the original is replaced by the shared
  :class:`~panodepth.models.base.Student360` head (``"depth"``: ``max_depth · sigmoid``,
  ``"disparity"``: softplus; Depth Anywhere trains EGFormer with a linear head).
* The original's unused final ``LayerNorm`` (64 parameters) is left out; stochastic depth
  (0.1 in the original) is off by default (``drop_path_rate``); dropout rates are 0 as there.

Size: 15,388,647 parameters (the original: 15.39 M, 64 more in its unused norm); the count does not
depend on the input size.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.checkpoint import checkpoint

from .attention import (
    adaptive_reweighting,
    sample_taps,
    stripe_attention,
    stripe_chord_tables,
    tangent_reference_points,
    tap_row_groups,
)
from .base import Student360
from .registry import register_model
from .release_math import egformer as release

EMBED_DIM = 32
ENCODER_HEADS = (1, 2, 4, 8, 16)  # EG blocks at 1/2 … 1/32
DECODER_HEADS = (8, 4, 2, 1)  # EG blocks at 1/16 … 1/2
PANO_HEADS = (1, 2, 4, 2)  # PanoFormer layers: encoder 1/2, 1/4, decoder 1/4, 1/2


class DropPath(nn.Module):
    """Stochastic depth: drop the whole residual branch of a sample with probability ``p``."""

    def __init__(self, p: float = 0.0) -> None:
        super().__init__()
        self.p = float(p)

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(1.0 - self.p)
        return x * keep / (1.0 - self.p)


class Mlp(nn.Sequential):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))


class EGBlock(nn.Module):
    """Pre-norm transformer block with EG stripe attention; tokens (B, H, W, C)."""

    def __init__(
        self,
        dim: int,
        heads: int,
        direction: str,
        mlp_ratio: float = 4.0,
        drop_path: float = 0.0,
        release_math: bool = False,
    ) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"dim {dim} is not divisible by {heads} heads")
        self.heads = heads
        self.direction = direction
        self.release_math = release_math
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))
        self.drop_path = DropPath(drop_path)

    def forward(self, x: Tensor, recompute: bool = True) -> Tensor:
        """``recompute=False`` when the whole block is checkpointed (see
        :func:`~.attention.stripe_attention`)."""
        x = x + self.drop_path(self.proj(self.attend(x, recompute)))
        return x + self.drop_path(self.mlp(self.norm2(x)))

    def attend(self, x: Tensor, recompute: bool = True) -> Tensor:
        b, h, w, c = x.shape
        vertical = self.direction == "vertical"
        if vertical:  # stripes = columns: (B, W, H, C)
            x = x.transpose(1, 2)
        s, n = x.shape[1:3]
        qkv = self.qkv(self.norm1(x)).view(b, s, n, 3, self.heads, c // self.heads)
        q, k, v = qkv.permute(3, 0, 1, 4, 2, 5).unbind(0)  # each (B, S, heads, N, d)
        tables = release.stripe_tables if self.release_math else stripe_chord_tables
        scale, table = tables(h, w, self.direction, x.device, torch.float32)
        out, importance = stripe_attention(q, k, v, scale, table, recompute=recompute)
        out = out.permute(0, 1, 3, 2, 4).reshape(b, s, n, c)
        m = adaptive_reweighting(importance).to(out.dtype)[:, :, None, None]
        if vertical and self.release_math:
            # the original scales raster chunk w of the block input (tokens w·H … w·H + H − 1,
            # part of a row) by column w's 1 − M instead of column w itself
            x = x.transpose(1, 2).reshape(b, w, h, c) * (1.0 - m)
            return (out * m).transpose(1, 2) + x.reshape(b, h, w, c)
        out = out * m + x * (1.0 - m)  # EaAR: weak stripes fall back to their input
        return out.transpose(1, 2) if vertical else out


class PanoSelfAttention(nn.Module):
    """PanoFormer's attention: per head, a softmax-weighted sum of 9 bilinear samples at a
    tangent-plane 3×3 pattern around each pixel plus learned offsets (in pixels)."""

    taps = 9

    def __init__(self, dim: int, heads: int, release_math: bool = False) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"dim {dim} is not divisible by {heads} heads")
        self.heads = heads
        self.release_math = release_math
        self.q_proj = nn.Linear(dim, dim)
        self.k_proj = nn.Linear(dim, dim)  # the sampled values
        self.offset_proj = nn.Linear(dim, 2 * heads * self.taps)
        self.A_proj = nn.Linear(dim, heads * self.taps)
        self.wm_proj = nn.Linear(dim, dim)

    def forward(self, x: Tensor) -> Tensor:
        b, h, w, c = x.shape
        m, t, d = self.heads, self.taps, c // self.heads
        query = self.q_proj(x)
        offsets = self.offset_proj(query).view(b, h, w, m, t, 2)
        weights = self.A_proj(query).view(b, h, w, m, t).softmax(-1)
        points_fn = release.tangent_points if self.release_math else tangent_reference_points
        ref = points_fn(h, w, x.device, torch.float32)  # (H, W, 9, 2)
        points = ref[:, :, None] + offsets.float()  # (B, H, W, heads, 9, 2)
        # output rows in g groups (more maps for grid_sample's threads), group-major
        g = tap_row_groups(b * m, h, x.device)
        points = points.view(b, g, h // g, w, m, t, 2).permute(1, 0, 4, 2, 3, 5, 6)
        points = points.reshape(g * b * m, h // g, w * t, 2)
        values = self.k_proj(x).view(b, h, w, m, d).permute(0, 3, 4, 1, 2).reshape(b * m, d, h, w)
        sample = release.sample_taps if self.release_math else sample_taps
        sampled = sample(values, points).view(g, b, m, d, h // g, w, t)
        weights = weights.view(b, g, h // g, w, m, t).permute(1, 0, 4, 2, 3, 5).unsqueeze(3)
        out = (sampled * weights.to(sampled.dtype)).sum(-1)  # (g, B, heads, d, H/g, W)
        out = out.permute(1, 0, 4, 5, 2, 3).reshape(b, h, w, c)  # no permuted copy of the taps
        return self.wm_proj(out.to(x.dtype))


class LeFF(nn.Module):
    """Locally-enhanced feed-forward: linear, 3×3 depthwise conv (longitude-circular), linear."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.linear1 = nn.Sequential(nn.Linear(dim, hidden), nn.GELU())
        self.dwconv = nn.Conv2d(hidden, hidden, 3, padding=(1, 0), groups=hidden)  # zeros in H
        self.linear2 = nn.Linear(hidden, dim)

    def forward(self, x: Tensor) -> Tensor:
        y = self.linear1(x)  # (B, H, W, hidden)
        y = torch.cat((y[:, :, -1:], y, y[:, :, :1]), dim=2)  # circular padding in longitude
        # the conv sees a channels-last view and returns channels-last: no transposed copies
        y = F.gelu(self.dwconv(y.permute(0, 3, 1, 2)))
        return self.linear2(y.permute(0, 2, 3, 1))


class PanoformerBlock(nn.Module):
    """Pre-norm PanoFormer block (tangent-pattern attention + LeFF); tokens (B, H, W, C)."""

    def __init__(
        self,
        dim: int,
        heads: int,
        mlp_ratio: float = 4.0,
        drop_path: float = 0.0,
        release_math: bool = False,
    ) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.dattn = PanoSelfAttention(dim, heads, release_math)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = LeFF(dim, int(dim * mlp_ratio))
        self.drop_path = DropPath(drop_path)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.drop_path(self.dattn(self.norm1(x)))
        return x + self.drop_path(self.mlp(self.norm2(x)))


class ConvNormAct(nn.Module):
    """3×3 conv (stride 2 to go down, after nearest ×2 to go up) + GELU + LayerNorm, on tokens
    (B, H, W, C) — the original's ``Merge_Block`` / ``Tune_Block``."""

    def __init__(self, cin: int, cout: int, scale: str = "same") -> None:
        super().__init__()
        self.scale = scale
        self.conv = nn.Conv2d(cin, cout, 3, 2 if scale == "down" else 1, 1)
        self.norm = nn.LayerNorm(cout)

    def forward(self, x: Tensor) -> Tensor:
        y = x.permute(0, 3, 1, 2)
        if self.scale == "up":
            y = F.interpolate(y, scale_factor=2.0, mode="nearest")
        return self.norm(F.gelu(self.conv(y)).permute(0, 2, 3, 1))


class EGFormer(Student360):
    """EGFormer (see the module docstring); ``drop_path_rate`` sets stochastic depth,
    ``checkpoint_blocks`` recomputes each transformer block in backward (the original's
    ``use_checkpoint``). On by default: the attention maps dominate EGFormer's training memory,
    and recomputing them roughly halves the peak (7.1 → 3.9–4.3 GiB for a 512×1024 step on
    CPU) at about the same step time; it changes nothing at inference."""

    def __init__(
        self,
        *,
        output: str = "disparity",
        max_depth: float = 10.0,
        drop_path_rate: float = 0.0,
        mlp_ratio: float = 4.0,
        checkpoint_blocks: bool = True,
        head: str | None = None,
        release_math: bool = False,
    ) -> None:
        super().__init__(output, max_depth, head)
        self.checkpoint_blocks = bool(checkpoint_blocks)
        self.release_math = bool(release_math)
        if not 0.0 <= drop_path_rate < 1.0:
            raise ValueError(f"drop_path_rate must be in [0, 1), got {drop_path_rate!r}")
        dims = [EMBED_DIM * 2**i for i in range(5)]  # 32 … 512 at 1/2 … 1/32
        # stochastic depth grows linearly over the 22 blocks (8 PanoFormer, 14 EG), as there
        rates = iter(torch.linspace(0, drop_path_rate, 22, device="cpu").tolist())

        def eg(dim: int, heads: int, direction: str) -> EGBlock:
            return EGBlock(dim, heads, direction, mlp_ratio, next(rates), self.release_math)

        def pano(dim: int, heads: int) -> list[nn.Module]:
            return [
                PanoformerBlock(dim, heads, mlp_ratio, next(rates), self.release_math)
                for _ in range(2)
            ]

        def hv(dim: int, heads: int) -> nn.ModuleList:
            return nn.ModuleList([eg(dim, heads, "horizontal"), eg(dim, heads, "vertical")])

        self.stem = nn.Conv2d(3, dims[0], 3, 2, 1)
        self.stem_norm = nn.LayerNorm(dims[0])
        self.encoder = nn.ModuleList(
            [
                nn.ModuleList([*pano(dims[0], PANO_HEADS[0]), eg(dims[0], 1, "vertical")]),
                nn.ModuleList([*pano(dims[1], PANO_HEADS[1]), eg(dims[1], 2, "vertical")]),
                hv(dims[2], ENCODER_HEADS[2]),
                hv(dims[3], ENCODER_HEADS[3]),
            ]
        )
        self.downsample = nn.ModuleList(ConvNormAct(dims[i], dims[i + 1], "down") for i in range(4))
        self.bottleneck = hv(dims[4], ENCODER_HEADS[4])
        self.upsample = nn.ModuleList(ConvNormAct(dims[i], dims[i - 1], "up") for i in (4, 3, 2, 1))
        self.decoder = nn.ModuleList(
            [
                hv(dims[3], DECODER_HEADS[0]),
                hv(dims[2], DECODER_HEADS[1]),
                nn.ModuleList([*pano(dims[1], PANO_HEADS[2]), eg(dims[1], 2, "vertical")]),
                nn.ModuleList([*pano(dims[0], PANO_HEADS[3]), eg(dims[0], 1, "vertical")]),
            ]
        )
        self.tune = nn.ModuleList(ConvNormAct(2 * dims[i], dims[i]) for i in (3, 2, 1, 0))
        self.tune_final = ConvNormAct(dims[0], dims[0])
        self.out_conv1 = nn.Conv2d(dims[0], dims[0], 3, 1, 1)
        self.out_conv2 = nn.Conv2d(dims[0], 32, 3, 1, 1)
        self.out_conv3 = nn.Conv2d(32, 1, 1)
        self.apply(_init_weights)

    def predict(self, x: Tensor) -> Tensor:
        t = self.stem_norm(self.stem(x).permute(0, 2, 3, 1))  # tokens (B, H/2, W/2, 32)
        skips = []
        for stage, down in zip(self.encoder, self.downsample, strict=True):
            t = self._run(stage, t)
            skips.append(t)
            t = down(t)
        t = self._run(self.bottleneck, t)
        for up, stage, tune, skip in zip(
            self.upsample, self.decoder, self.tune, reversed(skips), strict=True
        ):
            t = self._run(stage, up(t))
            t = tune(torch.cat((skip, t), dim=-1))
        y = self.out_conv1(self.tune_final(t).permute(0, 3, 1, 2))
        y = F.interpolate(y, scale_factor=2.0, mode="bilinear", align_corners=True)
        return self.out_conv3(F.relu(self.out_conv2(y)))

    def _run(self, blocks: nn.ModuleList, t: Tensor) -> Tensor:
        for block in blocks:
            if self.checkpoint_blocks and torch.is_grad_enabled() and t.requires_grad:
                # recomputed in backward; the attention chunks then need no checkpoint of their own
                args = (False,) if isinstance(block, EGBlock) else ()
                t = checkpoint(block, t, *args, use_reentrant=False)
            else:
                t = block(t)
        return t


def _init_weights(m: nn.Module) -> None:
    if isinstance(m, nn.Linear):
        nn.init.trunc_normal_(m.weight, std=0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.LayerNorm):
        nn.init.ones_(m.weight)
        nn.init.zeros_(m.bias)


@register_model("egformer", params=15_388_647)
def egformer(
    *,
    output: str = "disparity",
    max_depth: float = 10.0,
    drop_path_rate: float = 0.0,
    mlp_ratio: float = 4.0,
    checkpoint_blocks: bool = True,
    head: str | None = None,
    release_math: bool = False,
) -> EGFormer:
    """EGFormer (Yun et al., ICCV 2023), 15.39 M parameters, no backbone, no pretrained weights.

    Args:
        output: ``"disparity"`` (softplus head) or ``"depth"`` (``max_depth · sigmoid``).
        max_depth: metres, for ``output="depth"``.
        drop_path_rate: stochastic depth (default 0; the original trains with 0.1).
        mlp_ratio: feed-forward width over the embedding width.
        checkpoint_blocks: activation checkpointing per block in training (default on).
        head: the last activation if not the one of ``output``; the release's is ``"linear"``.
        release_math: the release's math (see the module docstring).
    """
    return EGFormer(
        output=output, max_depth=max_depth, drop_path_rate=drop_path_rate, mlp_ratio=mlp_ratio,
        checkpoint_blocks=checkpoint_blocks, head=head, release_math=release_math,
    )  # fmt: skip
