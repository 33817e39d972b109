"""Parity of our EGFormer with the original code (yuniw18/EGformer) for identical weights.

Builds the original ``EGDepthModel`` (512×1024, hard-coded there) on CPU from an extracted
checkout, maps its state dict onto :class:`panodepth.models.egformer.EGFormer`
(:func:`map_state_dict`) and compares, in float32 and eval mode, component by component where
the math is the same, then the whole model with the documented departures switched back to
the original's math by feeding ours the original's own tables (position-bias lookup tables,
tangent sampling pattern, ``grid_sample`` convention) and, without any patch, with
``release_math=True`` (panodepth's own computation of those tables, as for the Depth Anywhere
release's weights), and finally the difference that each departure makes on its own.
Weights are the original's initialisation plus seeded noise (its init zeroes the PanoFormer
offsets and tap logits, which would hide the sampling).

    .venv/bin/python benchmarks/egformer_parity.py --original /tmp/egformer_orig

The checkout is only read: ``.cuda()`` of tensors and modules is a no-op while this runs, and
when ``timm`` / ``einops`` are not installed, minimal stand-ins take their place (the original
uses only timm's ``DropPath`` — identity in eval —, ``trunc_normal_``, ``to_2tuple``,
``register_model`` and two einops rearrangements). Figures: max |Δ| and max |reference| per
component; exit status 1 if a same-math comparison differs by more than ``--tol`` relative to
the largest reference magnitude.
"""

from __future__ import annotations

import argparse
import os
import sys
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

import panodepth.models.egformer as ours_mod
from panodepth.models.egformer import EGBlock, EGFormer, PanoformerBlock
from panodepth.models.released import convert_state_dict

sys.path.insert(0, str(Path(__file__).parent))
from release_code import no_cuda, stand_ins

STAGES = {  # original stage → ours (stages with a PanoFormer layer: blocks 0, 1 then the EG block)
    "stage1": "encoder.0",
    "stage2": "encoder.1",
    "stage3": "encoder.2",
    "stage4": "encoder.3",
    "bottleneck": "bottleneck",
    "dec_stage5": "decoder.0",
    "dec_stage6": "decoder.1",
    "dec_stage7": "decoder.2",
    "dec_stage8": "decoder.3",
}
LEVELS = {"stage1": 1, "stage2": 2, "stage3": 3, "stage4": 4, "bottleneck": 5,
          "dec_stage5": 4, "dec_stage6": 3, "dec_stage7": 2, "dec_stage8": 1}  # fmt: skip


def map_state_dict(orig: dict[str, Tensor]) -> dict[str, Tensor]:
    """The original's weights under our names: the mapping of the Depth Anywhere release's
    EGFormer (:data:`panodepth.models.released.layouts.EGFORMER`; the release vendors this
    code), checked to be a bijection onto our state dict. PanoFormer offsets are (row, column)
    pairs there and (u, v) = (column, row) here: the pairs of ``offset_proj`` are swapped."""
    return {k: v.clone() for k, v in convert_state_dict(orig, "egformer").state.items()}


# ---------------------------------------------------------------- loading the original


def load_original(root: Path) -> tuple[types.ModuleType, nn.Module]:
    """The original module ``models/egformer.py`` of the depth model and an ``EGDepthModel``."""
    if not (root / "models" / "egformer.py").is_file():
        raise SystemExit(f"{root}: no models/egformer.py (extract the repository's root there)")
    os.environ.setdefault("MPLBACKEND", "Agg")  # its PanoFormer code imports pylab
    stand_ins()
    sys.path.insert(0, str(root))
    # ``models`` there is a namespace package, which any module ``models`` on the path (e.g.
    # benchmarks/models.py) would shadow
    package = types.ModuleType("models")
    package.__path__ = [str(root / "models")]
    sys.modules["models"] = package
    import models.egformer as orig_mod  # type: ignore[import-not-found]

    return orig_mod, orig_mod.EGDepthModel().eval()


def randomise(model: nn.Module, seed: int = 0) -> None:
    """Seeded noise on every weight; PanoFormer offsets of a few pixels, non-uniform taps."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=gen)
            if "offset_proj" in name:
                p.copy_(noise * (2.0 if name.endswith("bias") else 0.1))  # pixels
            elif "A_proj" in name:
                p.copy_(noise * 0.2)
            else:
                p.add_(noise * (0.1 if p.ndim == 1 else 0.02))


# ---------------------------------------------------------------- the original's math, fed to ours


@contextmanager
def original_position_bias(orig_mod: types.ModuleType) -> Iterator[None]:
    """Our stripe attention with the original's ERP bias lookup tables (``+0.1 · sign(j − i) ·
    chord`` on ``linspace(0, N, N)`` angles, rows scaled by ``sin(k·π/H)``), factored as ours
    (per-stripe scale × one table; ours adds ``−0.1 · scale · table``)."""

    def tables(height: int, width: int, direction: str, *_: object) -> tuple[Tensor, Tensor]:
        if direction == "horizontal":
            lut = next(
                t for t in orig_mod.HRPE_LUT if t.shape[0] == height and t.shape[-1] == width
            )
            table = lut[height // 2, 0]  # the row at sin(π/2) = 1
            pi = torch.acos(torch.zeros(1)).item() * 2
            scale = torch.stack(
                [torch.sin(torch.as_tensor(k * pi / height)) for k in range(height)]
            )
            assert (scale[:, None, None] * table - lut[:, 0]).abs().max() < 1e-6
        else:
            lut = next(
                t for t in orig_mod.VRPE_LUT if t.shape[0] == width and t.shape[-1] == height
            )
            table, scale = lut[0, 0], torch.ones(width)
        return scale, -table

    with _patched(ours_mod, stripe_chord_tables=tables):
        yield


@contextmanager
def original_sampling(orig_mod: types.ModuleType) -> Iterator[None]:
    """Our PanoFormer attention with the original's tangent pattern (``genSamplingPattern``,
    (row, column) → (u, v)) and its sampling convention (``grid = 2p/(size − 1) − 1`` read with
    ``align_corners=False``, zeros outside, no wrap at the seam)."""
    cache: dict[tuple[int, int], Tensor] = {}

    def points(height: int, width: int, *_: object) -> Tensor:
        if (height, width) not in cache:
            cache[height, width] = orig_mod.genSamplingPattern(height, width, 3, 3)[0].flip(-1)
        return cache[height, width]

    def sample(values: Tensor, pts: Tensor) -> Tensor:
        h, w = values.shape[-2:]
        groups = pts.shape[0] // values.shape[0]
        values = values.expand(groups, *values.shape).flatten(0, 1) if groups > 1 else values
        grid = torch.stack(
            (2 * pts[..., 0] / max(w - 1, 1) - 1, 2 * pts[..., 1] / max(h - 1, 1) - 1), -1
        )
        return F.grid_sample(values, grid, "bilinear", "zeros", align_corners=False)

    with _patched(ours_mod, tangent_reference_points=points, sample_taps=sample):
        yield


@contextmanager
def original_vertical_residual() -> Iterator[None]:
    """Our EG attention with the original's EaAR residual for vertical stripes: there
    ``res_x.reshape(-1, H_sp·W_sp, C)`` cuts the raster-ordered block input into chunks of H
    consecutive tokens, so column w's ``1 − M`` scales raster chunk w (tokens w·H … w·H + H − 1,
    i.e. part of a row), not column w; with rows (horizontal stripes) chunk and stripe agree."""
    attend, captured = EGBlock.attend, []

    def capture(importance: Tensor, *args: object) -> Tensor:
        captured.append(reweighting(importance, *args))
        return captured[-1]

    def patched(self: EGBlock, x: Tensor, recompute: bool = True) -> Tensor:
        out = attend(self, x, recompute)
        if self.direction != "vertical":
            return out
        b, h, w, c = x.shape
        keep = 1.0 - captured.pop()  # (B, W)
        out = out - x * keep[:, None, :, None]  # ours: column w gets 1 − M_w
        return out + (x.reshape(b, w, h, c) * keep[:, :, None, None]).reshape(b, h, w, c)

    reweighting = ours_mod.adaptive_reweighting
    with _patched(ours_mod, adaptive_reweighting=capture):
        EGBlock.attend = patched  # type: ignore[method-assign]
        try:
            yield
        finally:
            EGBlock.attend = attend  # type: ignore[method-assign]


@contextmanager
def _patched(module: types.ModuleType, **names: object) -> Iterator[None]:
    saved = {k: getattr(module, k) for k in names}
    module.__dict__.update(names)
    try:
        yield
    finally:
        module.__dict__.update(saved)


# ---------------------------------------------------------------- comparisons


class Report:
    def __init__(self, tol: float) -> None:
        self.tol, self.failed = tol, []

    def row(self, name: str, ours: Tensor, ref: Tensor, same_math: bool = True) -> float:
        if ours.shape != ref.shape:
            raise AssertionError(f"{name}: shape {tuple(ours.shape)} vs {tuple(ref.shape)}")
        diff = (ours - ref).abs().max().item()
        scale = ref.abs().max().item()
        rel = diff / max(scale, 1e-30)
        verdict = "departure" if not same_math else ("ok" if rel <= self.tol else "MISMATCH")
        if verdict == "MISMATCH":
            self.failed.append(name)
        print(f"{name:<46} max|Δ| {diff:9.2e}  max|ref| {scale:8.2e}  rel {rel:8.1e}  {verdict}")
        return diff


def tokens(x: Tensor) -> Tensor:  # (B, H, W, C) → the original's (B, H·W, C)
    return x.flatten(1, 2)


def compare_components(orig: nn.Module, ours: EGFormer, orig_mod: types.ModuleType, rep: Report):
    gen = torch.Generator().manual_seed(1)

    def rand(*shape: int) -> Tensor:
        return torch.randn(*shape, generator=gen)

    sizes = [(256 // 2**i, 512 // 2**i) for i in range(5)]  # 1/2 … 1/32 of 512×1024
    dims = [32 * 2**i for i in range(5)]
    img = torch.rand(1, 3, 512, 1024, generator=gen)
    rep.row("stem (conv + LayerNorm)", ours.stem_norm(ours.stem(img).permute(0, 2, 3, 1)),
            orig.patch_embed(img).view(1, *sizes[0], dims[0]))  # fmt: skip
    for i in range(4):
        h, w = sizes[i]
        x = rand(1, h, w, dims[i])
        ref = getattr(orig, f"downsample{i + 1}")(tokens(x))
        rep.row(f"merge (down) {h}×{w}", tokens(ours.downsample[i](x)), ref)
    for i in range(4):
        h, w = sizes[4 - i]
        x = rand(1, h, w, dims[4 - i])
        ref = getattr(orig, f"upsample{i + 5}")(tokens(x))
        rep.row(f"merge (up) {h}×{w}", tokens(ours.upsample[i](x)), ref)
    for i in range(4):
        h, w = sizes[3 - i]
        x = rand(1, h, w, 2 * dims[3 - i])
        ref = getattr(orig, f"tune{i + 5}")(x.permute(0, 3, 1, 2))
        rep.row(f"tune {h}×{w}", ours.tune[i](x).permute(0, 3, 1, 2), ref)
    x = rand(1, *sizes[0], dims[0])
    rep.row("tune final", ours.tune_final(x).permute(0, 3, 1, 2), orig.tune_final(tokens(x)))
    y = rand(1, dims[0], *sizes[0])
    head = ours.out_conv1(y)
    head = F.interpolate(head, scale_factor=2.0, mode="bilinear", align_corners=True)
    rep.row("output convs (pre-activation)", ours.out_conv3(F.relu(ours.out_conv2(head))),
            orig.output_conv[:5](y))  # fmt: skip

    for name, ob, mb, (h, w) in block_pairs(orig, ours):
        x = rand(1, h, w, mb.norm1.normalized_shape[0])
        tag = f"{name} {h}×{w}"
        if isinstance(mb, EGBlock):
            qkv = ob.qkv(ob.norm1(tokens(x))).reshape(1, h * w, 3, -1).permute(2, 0, 1, 3)
            ref_attn, ref_block = ob.attns[0](qkv, tokens(x)), ob(tokens(x))
            with original_position_bias(orig_mod), original_vertical_residual():
                rep.row(f"EG attention {tag}", tokens(mb.attend(x)), ref_attn)
                rep.row(f"EG block {tag}", tokens(mb(x)), ref_block)
            rep.row(f"  feed-forward {tag}", tokens(mb.mlp(x)), ob.mlp(tokens(x)))
            with original_vertical_residual():
                rep.row(f"  EG block, our ERP bias {tag}", tokens(mb(x)), ref_block, False)
            if mb.direction == "vertical":
                with original_position_bias(orig_mod):
                    rep.row(
                        f"  EG block, our residual layout {tag}", tokens(mb(x)), ref_block, False
                    )
        else:
            ref_points = ob.ref_point.repeat(1, 1, 1, 1, 1)
            with original_sampling(orig_mod):
                rep.row(f"PanoFormer attention {tag}", mb.dattn(x),
                        ob.dattn(x, x.unsqueeze(0), ref_points))  # fmt: skip
                rep.row(f"PanoFormer block {tag}", tokens(mb(x)), ob(tokens(x)))
            rep.row(f"  LeFF {tag}", tokens(mb.mlp(x)), ob.mlp(tokens(x), h, w))
            rep.row(f"  PanoFormer block, our sampling {tag}", tokens(mb(x)), ob(tokens(x)), False)


def block_pairs(
    orig: nn.Module, ours: EGFormer
) -> Iterator[tuple[str, nn.Module, nn.Module, tuple]]:
    for stage, target in STAGES.items():
        h = 512 // 2 ** LEVELS[stage]
        ours_blocks = ours.get_submodule(target)
        orig_blocks = getattr(orig, stage)
        if isinstance(ours_blocks[0], PanoformerBlock):
            pairs = [*zip(orig_blocks[0].blocks, ours_blocks[:2], strict=True),
                     (orig_blocks[1], ours_blocks[2])]  # fmt: skip
        else:
            pairs = list(zip(orig_blocks, ours_blocks, strict=True))
        for i, (ob, mb) in enumerate(pairs):
            yield f"{target}.{i}", ob, mb, (h, 2 * h)


def compare_models(orig: nn.Module, ours: EGFormer, orig_mod: types.ModuleType, rep: Report):
    gen = torch.Generator().manual_seed(2)
    x = torch.rand(2, 3, 512, 1024, generator=gen)
    orig.output_conv[5] = nn.Identity()  # compare before the final activation (ours: Student360)
    ref = orig(x[:1])

    def run(batch: Tensor, bias: bool = True, sampling: bool = True, residual: bool = True):
        with (
            _maybe(bias, original_position_bias, orig_mod),
            _maybe(sampling, original_sampling, orig_mod),
            _maybe(residual, original_vertical_residual),
        ):
            return ours.predict(batch)

    one = x[:1]
    rep.row("full model B=1, the original's math", run(one), ref)
    release = EGFormer(checkpoint_blocks=False, release_math=True).eval()
    release.load_state_dict(ours.state_dict())
    rep.row("full model B=1, release_math=True (no patches)", release.predict(one), ref)
    rep.row("  departure: ERP position bias", run(one, bias=False), ref, False)
    rep.row("  departure: PanoFormer pattern + sampling", run(one, sampling=False), ref, False)
    rep.row("  departure: vertical EaAR residual layout", run(one, residual=False), ref, False)
    rep.row("  all departures (our model as is)", ours.predict(one), ref, False)
    ours2 = run(x)
    rep.row("  departure: per-sample re-weighting (B=2)", ours2, orig(x), False)
    rep.row("  ours B=2 vs B=1, sample 0 (no coupling)", ours2[:1], run(one))


@contextmanager
def _maybe(on: bool, ctx: Callable, *args: object) -> Iterator[None]:
    if on:
        with ctx(*args):
            yield
    else:
        yield


def pattern_difference(orig_mod: types.ModuleType) -> None:
    """How far our tangent pattern lies from the original's, in pixels (seam wrap removed)."""
    from panodepth.models.attention import tangent_reference_points

    for h in (256, 16):
        theirs = orig_mod.genSamplingPattern(h, 2 * h, 3, 3)[0].flip(-1).double()
        # the original's pixel p is read at p·W/(W − 1) − ½ in our centre-at-integer convention
        theirs = theirs * torch.tensor([2 * h / (2 * h - 1), h / (h - 1)]) - 0.5
        mine = tangent_reference_points(h, 2 * h, dtype=torch.float64)
        d = mine - theirs
        d[..., 0] = torch.remainder(d[..., 0] + h, 2 * h) - h
        d = d.norm(dim=-1)
        mid = d[h // 4 : 3 * h // 4]
        print(f"tangent taps {h}×{2 * h}: |ours − original| px: median {d.median():.3f}, "
              f"max {d.max():.2f}, max within ±45° latitude {mid.max():.3f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--original", type=Path, required=True,
                        help="extracted checkout of yuniw18/EGformer (its root)")  # fmt: skip
    parser.add_argument("--tol", type=float, default=1e-5, help="max |Δ| / max |reference|")
    parser.add_argument("--threads", type=int, default=min(os.cpu_count() or 1, 8))
    parser.add_argument("--skip-model", action="store_true", help="components only")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} threads, CPU, float32, eval")
    torch.manual_seed(0)  # the original's own initialisation, before the noise of randomise()
    with no_cuda(), torch.no_grad():
        orig_mod, orig = load_original(args.original)
        randomise(orig)
        mapped = map_state_dict(orig.state_dict())
        ours = EGFormer(checkpoint_blocks=False).eval()
        ours_params = dict(ours.named_parameters())
        missing = sorted(set(ours_params) - set(mapped))
        unexpected = sorted(set(mapped) - set(ours.state_dict()))
        if missing or unexpected:
            raise SystemExit(f"key mapping: missing {missing[:5]}, unexpected {unexpected[:5]}")
        ours.load_state_dict(mapped, strict=False)
        n_orig = sum(p.numel() for p in orig.parameters())
        n_mapped = sum(v.numel() for v in mapped.values())
        n_ours = sum(p.numel() for p in ours_params.values())
        print(f"parameters: original {n_orig:,} (unused final norm: {n_orig - n_mapped}), "
              f"mapped {n_mapped:,} in {len(mapped)} tensors, ours {n_ours:,}: "
              f"{'match' if n_mapped == n_ours else 'MISMATCH'}")  # fmt: skip
        rep = Report(args.tol)
        if n_mapped != n_ours:
            rep.failed.append("parameter count")
        pattern_difference(orig_mod)
        compare_components(orig, ours, orig_mod, rep)
        if not args.skip_model:
            compare_models(orig, ours, orig_mod, rep)
    if rep.failed:
        print(f"MISMATCH (rel > {args.tol:g}): {', '.join(rep.failed)}")
        sys.exit(1)
    print(f"all same-math comparisons within rel {args.tol:g}")


if __name__ == "__main__":
    main()
