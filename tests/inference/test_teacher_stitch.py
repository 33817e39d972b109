"""Teacher mode: per-view scale/shift alignment without ground truth, on an exact scene.

The scene is an analytic box room seen from an off-centre camera: the range of every ray is
known in closed form, so a simulated teacher can return each view's *true* planar disparity
under its own random scale and shift — exactly the ambiguity the stitcher has to undo.
"""

from __future__ import annotations

import math

import pytest
import torch

from panodepth import geometry as geo
from panodepth.inference import TeacherStitcher, blend_views, fit_view_affines, stitch_views
from panodepth.teachers import build_teacher

H, W, S, FOV = 64, 128, 48, 110.0


def box_range(
    dirs: torch.Tensor, camera=(0.4, -0.3, 0.7), lo=(-2.0, -1.5, -3.0), hi=(2.5, 1.2, 2.0)
):
    """Range from ``camera`` to the walls of the box [lo, hi] along unit ``dirs`` (…, 3)."""
    c, lo_, hi_ = (torch.tensor(v, dtype=dirs.dtype) for v in (camera, lo, hi))
    bound = torch.where(dirs > 0, hi_, lo_) - c
    safe = torch.where(dirs.abs() > 1e-9, dirs, torch.ones_like(dirs))
    t = torch.where(dirs.abs() > 1e-9, bound / safe, torch.full_like(dirs, math.inf))
    return t.amin(-1)


def true_range_disparity() -> torch.Tensor:
    return 1 / box_range(geo.equirect_rays(H, W).reshape(-1, 3)).view(1, 1, H, W)


def planar_views(rotations: torch.Tensor, size: int = S, fov: float = FOV) -> torch.Tensor:
    """(6, S, S) true planar depth of each view."""
    rays = geo.view_rays(size, fov)  # z = 1, |ray| = 1/cos
    dirs = torch.einsum("nij,hwj->nhwi", rotations, rays)
    norm = dirs.norm(dim=-1)
    return box_range(dirs / norm[..., None]) / norm


def affine_fit_error(pred: torch.Tensor, truth: torch.Tensor) -> float:
    """Mean relative error of ``pred`` after the best global scale and shift."""
    a = torch.stack((pred.flatten(), torch.ones(pred.numel())), 1).double()
    sol = torch.linalg.lstsq(a, truth.flatten().double()[:, None]).solution
    fitted = (a @ sol).view_as(truth)
    return float(((fitted - truth).abs() / truth).mean())


def scrambled_views(seed: int = 0):
    rotations = geo.face_rotations()
    gen = torch.Generator().manual_seed(seed)
    scale = torch.rand(6, generator=gen) * 2 + 0.5
    shift = torch.rand(6, generator=gen) * 0.6 - 0.3
    views = scale.view(6, 1, 1) / planar_views(rotations) + shift.view(6, 1, 1)
    return views[None, :, None], rotations, scale, shift


def test_aligned_stitch_equals_truth_up_to_one_affine_and_naive_does_not():
    views, rotations, _, _ = scrambled_views()
    truth = true_range_disparity()
    aligned, valid = stitch_views(views, rotations, FOV, H, W, align=True)
    naive, _ = stitch_views(views, rotations, FOV, H, W, align=False)
    assert bool(valid.all())
    err_aligned, err_naive = affine_fit_error(aligned, truth), affine_fit_error(naive, truth)
    assert err_aligned < 0.005, err_aligned  # measured 0.05 %
    assert err_naive > 0.1, err_naive  # measured 20 %
    # only a global *scale* is free: the aligned map is the truth times one number
    ratio = aligned / truth
    assert float(ratio.std() / ratio.mean()) < 0.01


def test_fitted_affines_undo_the_per_view_scale_and_shift():
    views, rotations, _, _ = scrambled_views(seed=3)
    affines = fit_view_affines(views, rotations, FOV)
    assert float(affines[0, :, 0].mean()) == pytest.approx(1.0, abs=1e-5)  # the gauge
    # α_f·p_f + β_f must be λ/z_f with one λ for all views. (α_f and β_f alone are not
    # identifiable for a view that sees a single plane head-on — the ceiling here — where
    # 1/z is constant; their combination is.)
    aligned = affines[0, :, 0].view(6, 1, 1) * views[0, :, 0] + affines[0, :, 1].view(6, 1, 1)
    lam = aligned * planar_views(rotations)
    assert float(lam.std() / lam.mean()) < 0.005


def test_ninety_degree_views_and_invalid_views_stay_finite():
    rotations = geo.face_rotations()
    views = 1 / planar_views(rotations, fov=90.0)
    views = views[None, :, None] * torch.linspace(0.5, 2, 6).view(1, 6, 1, 1, 1)
    out, valid = stitch_views(views, rotations, 90.0, H, W)
    assert torch.isfinite(out).all() and bool(valid.float().mean() > 0.99)
    # a view without a single valid pixel: the ridge keeps the system well posed
    views, rotations, _, _ = scrambled_views()
    mask = torch.ones_like(views, dtype=torch.bool)
    mask[:, 4] = False  # the "up" view is all sky
    affines = fit_view_affines(views, rotations, FOV, valid=mask)
    assert torch.isfinite(affines).all()
    out, valid = blend_views(views, rotations, FOV, H, W, affines, valid=mask)
    assert torch.isfinite(out).all()
    assert not bool(valid[0, 0, 0].any()) and bool(valid[0, 0, H // 2].all())  # zenith unseen
    truth = true_range_disparity()
    assert affine_fit_error(out[valid], truth[valid]) < 0.01


class RangeDecodingTeacher(torch.nn.Module):
    """A simulated perfect-but-affine teacher: the panorama's red channel is range / 10 m;
    each output view is its true planar disparity times a_k plus b_k (k = view index)."""

    def __init__(self, fov: float, seed: int = 0) -> None:
        super().__init__()
        self.fov = fov
        gen = torch.Generator().manual_seed(seed)
        self.scale = torch.rand(6, generator=gen) * 2 + 0.5
        self.shift = torch.rand(6, generator=gen) * 0.4 - 0.2

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        n, _, s, _ = images.shape
        rng = images[:, :1] * 10
        cos = 1 / geo.view_rays(s, self.fov).norm(dim=-1)
        planar = rng * cos
        k = torch.arange(n) % 6
        return self.scale[k].view(n, 1, 1, 1) / planar + self.shift[k].view(n, 1, 1, 1)


def test_teacher_stitcher_end_to_end_with_a_simulated_teacher():
    truth = true_range_disparity()
    pano = (1 / truth / 10).expand(2, 3, H, W).contiguous()  # batch of two, red = range / 10
    stitcher = TeacherStitcher(RangeDecodingTeacher(FOV), fov_deg=FOV, face_size=S)
    out = stitcher(pano)
    assert out.shape == (2, 1, H, W)
    assert affine_fit_error(out[:1], truth) < 0.02
    assert affine_fit_error(out[1:], truth) < 0.02
    naive = TeacherStitcher(RangeDecodingTeacher(FOV), fov_deg=FOV, face_size=S, align=False)
    assert affine_fit_error(naive(pano)[:1], truth) > 0.1


def test_teacher_stitcher_runs_a_real_tiny_teacher(teacher_dir):
    teacher = build_teacher(str(teacher_dir), input_size=56)
    stitcher = TeacherStitcher(teacher)
    assert stitcher.view_size(64) == round(32 * math.tan(math.radians(55)))
    with torch.inference_mode():
        out = stitcher(torch.rand(1, 3, 32, 64))
    assert out.shape == (1, 1, 32, 64)
    assert torch.isfinite(out).all() and bool((out >= 0).all())


def test_bad_fov_is_refused():
    with pytest.raises(ValueError, match="fov_deg"):
        TeacherStitcher(torch.nn.Identity(), fov_deg=80.0)
