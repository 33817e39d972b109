"""Cube seam measure: face assignment, zero for GT, large for per-face scales, ≈ 1 otherwise."""

from __future__ import annotations

import math

import pytest
import torch

from panodepth.geometry import (
    FACE_NAMES,
    cube_to_equirect,
    equirect_lonlat,
    equirect_to_cube,
    lonlat_to_xyz,
    rotation_matrix,
)
from panodepth.metrics import (
    control_rotations,
    cube_face_index,
    seam_measure,
    seam_statistics,
    seam_summary,
)


@pytest.fixture(scope="module")
def depth_valid(scenes):
    samples = [scenes["home"], scenes["outdoor"]]  # the shared renders of tests/conftest.py
    depth = torch.stack([s.depth for s in samples])
    valid = torch.stack([s.valid for s in samples])
    assert not valid.all()  # the outdoor scene has sky
    return depth, valid


def test_face_index_follows_the_cube_convention():
    faces = cube_face_index(64, 128)
    assert faces.shape == (64, 128) and faces.dtype == torch.int64
    assert FACE_NAMES[int(faces[32, 64])] == "F"  # straight ahead
    assert FACE_NAMES[int(faces[32, 96])] == "R"  # lon +90°
    assert FACE_NAMES[int(faces[32, 0])] == "B"  # the ±180° seam
    assert FACE_NAMES[int(faces[0, 10])] == "U" and FACE_NAMES[int(faces[63, 10])] == "D"
    # the same faces as equirect_to_cube / cube_to_equirect (nearest): a face-id round trip
    ids = torch.arange(6.0).view(1, 6, 1, 1, 1).expand(1, 6, 1, 32, 32)
    stitched = cube_to_equirect(ids, 64, 128, mode="nearest")[0, 0]
    assert (stitched == faces).float().mean() > 0.99
    # a rotated cube's faces are the un-rotated ones of the rotated panorama's rays
    rot = rotation_matrix(math.pi / 2, 0.0, 0.0)  # yaw 90°: F looks where R looked
    turned = cube_face_index(64, 128, rot)
    assert FACE_NAMES[int(turned[32, 96])] == "F"


def test_ground_truth_has_no_seams(depth_valid):
    depth, valid = depth_valid
    out = seam_measure(depth, depth, valid)
    assert out["seam"] == 0 and out["control"] == 0 and math.isnan(out["ratio"])
    assert out["seam_pairs"] > 500 and out["control_pairs"] > 500
    # invariant to a global scale; disparity input through the alignment
    assert seam_measure(3.0 * depth, depth, valid)["seam"] < 1e-6  # float32 rounding
    disparity = torch.where(valid, 1 / depth.clamp_min(1e-3), torch.zeros_like(depth))
    assert seam_measure(disparity, depth, valid, pred_kind="disparity")["seam"] < 1e-6


def face_scaled(depth, sigma=0.2, seed=0):
    """Per-face random scales stitched back into an equirect map (a seam-ful prediction)."""
    g = torch.Generator().manual_seed(seed)
    scale = torch.exp(sigma * torch.randn(depth.shape[0], 6, 1, 1, 1, generator=g))
    faces = equirect_to_cube(depth, depth.shape[-2] // 2, mode="nearest") * scale
    return cube_to_equirect(faces, depth.shape[-2], depth.shape[-1], mode="nearest")


def noise(depth, sigma=0.05, seed=1):
    g = torch.Generator().manual_seed(seed)
    return torch.exp(sigma * torch.randn(depth.shape, generator=g))


def test_per_face_scales_make_seams(depth_valid):
    depth, valid = depth_valid
    stitched = face_scaled(depth)
    # stitching is exact away from face borders (nearest sampling of the GT)
    out = seam_measure(stitched * noise(depth), depth, valid)
    assert out["ratio"] > 3, out
    plain = seam_measure(depth * noise(depth), depth, valid)
    assert 0.85 < plain["ratio"] < 1.15, plain  # the same noise without the face scales


def smooth_fields(n, height, seed=0):
    """Random smooth log-error fields on the sphere (sums of plane waves), (n, 1, H, 2H)."""
    g = torch.Generator().manual_seed(seed)
    lon, lat = equirect_lonlat(height, 2 * height)
    xyz = lonlat_to_xyz(lon, lat)
    fields = torch.zeros(n, 1, height, 2 * height)
    for i in range(n):
        for _ in range(6):
            k = torch.randn(3, generator=g)
            k = k / k.norm() * (1 + 3 * torch.rand((), generator=g))
            fields[i, 0] += torch.sin(xyz @ k + 6 * torch.rand((), generator=g))
    return torch.exp(0.1 * fields)


def test_smooth_perturbations_are_not_seams():
    fields = smooth_fields(24, 64)
    gt = torch.full_like(fields, 3.0)
    stats = seam_statistics(gt * fields, gt)
    assert stats.shape == (24, 4)
    pooled = seam_summary(stats)
    assert 0.9 < pooled["ratio"] < 1.1, pooled
    # pooling = the same measure on the whole batch at once
    assert seam_measure(gt * fields, gt)["ratio"] == pytest.approx(pooled["ratio"])


def test_options_and_bad_input(depth_valid):
    depth, valid = depth_valid
    pred = face_scaled(depth) * noise(depth)
    one = seam_measure(pred, depth, valid, control=control_rotations()[0])
    assert one["control_pairs"] < seam_measure(pred, depth, valid)["control_pairs"]
    narrow = seam_measure(pred, depth, valid, max_lat_deg=20.0)
    assert 0 < narrow["seam_pairs"] < one["seam_pairs"]
    assert math.isnan(seam_measure(pred, depth, torch.zeros_like(valid))["ratio"])
    with pytest.raises(ValueError, match="align_mode"):
        seam_measure(pred, depth, align_mode="mean")
    with pytest.raises(ValueError, match="same shape"):
        seam_measure(pred[..., :64], depth)
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        seam_summary(torch.zeros(4))
