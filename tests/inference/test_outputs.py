"""Files of ``panodepth predict``: paths, previews, point clouds (depth formats: tests/io)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import trimesh
from PIL import Image
from plyfile import PlyData

from panodepth.inference import outputs


def depth_map(h: int = 16, w: int = 32) -> np.ndarray:
    rng = np.random.default_rng(0)
    depth = (rng.random((h, w)) * 4 + 0.5).astype(np.float32)
    depth[0, :5] = 0  # invalid
    return depth


def test_png_scale_is_coarser_only_when_needed():
    depth = depth_map()
    assert outputs.png_scale(depth, 0.001) == 0.001
    assert outputs.png_scale(depth * 100, 0.001) == pytest.approx(float(depth.max()) * 100 / 65535)


def test_output_paths_keep_sub_folders_and_stay_inside(tmp_path):
    paths = outputs.output_paths(tmp_path, "sub/b", ["png16", "preview"], ply=True)
    assert paths["png16"] == tmp_path / "sub" / "b.png"
    assert paths["preview"] == tmp_path / "sub" / "b_preview.png"
    assert paths["sidecar"] == tmp_path / "sub" / "b.json" and paths["ply"].name == "b.ply"
    for bad in ("../b", "/abs/b", ""):
        with pytest.raises(ValueError, match="must be a relative path inside"):
            outputs.output_paths(tmp_path, bad, ["png16"])


def test_preview_is_rgb(tmp_path):
    depth = depth_map()
    path = outputs.write_preview(tmp_path / "p.png", depth, depth > 0)
    with Image.open(path) as im:
        assert im.size == (32, 16) and im.mode == "RGB"
        assert im.getpixel((0, 0)) == (0, 0, 0)  # invalid = black


def test_ply_points_are_in_the_camera_frame(tmp_path):
    depth = depth_map()
    rgb = np.random.default_rng(1).random((3, 16, 32)).astype(np.float32)
    xyz, colours = outputs.point_cloud(depth, rgb)
    assert len(xyz) == int((depth > 0).sum())
    path = outputs.write_ply(tmp_path / "c.ply", xyz, colours)
    ply = PlyData.read(str(path))
    assert not ply.text and ply.byte_order == "<"
    v = ply["vertex"]
    assert [p.name for p in v.properties] == ["x", "y", "z", "red", "green", "blue"]
    assert v["x"].dtype == np.float32 and v["red"].dtype == np.uint8
    # the documented convention (geometry/sphere.py) written out: pixel centres, range × ray
    h, w = depth.shape
    lon = ((np.arange(w) + 0.5) / w * 2 * np.pi - np.pi)[None, :]
    lat = (np.pi / 2 - (np.arange(h) + 0.5) / h * np.pi)[:, None]
    rays = np.stack(np.broadcast_arrays(np.cos(lat) * np.sin(lon), -np.sin(lat),
                                        np.cos(lat) * np.cos(lon)), -1)  # fmt: skip
    expected = depth[..., None] * rays
    ok = depth > 0
    np.testing.assert_allclose(np.stack([v["x"], v["y"], v["z"]], 1), expected[ok], atol=1e-6)
    cols = np.round(rgb.transpose(1, 2, 0)[ok] * 255).astype(np.uint8)
    np.testing.assert_array_equal(np.stack([v["red"], v["green"], v["blue"]], 1), cols)
    # the convention spelled out: the centre of the top row is up (−y), the centre pixel forward
    flat = np.full((16, 32), 2.0, np.float32)
    pts, _ = outputs.point_cloud(flat, rgb)
    grid = pts.reshape(16, 32, 3)
    assert grid[0, 16, 1] < -1.9 and grid[8, 16, 2] > 1.9 and grid[8, 24, 0] > 1.9  # right = +x


def test_point_cloud_stride_and_max_points():
    depth = np.ones((16, 32), np.float32)
    rgb = np.zeros((3, 16, 32), np.float32)
    assert len(outputs.point_cloud(depth, rgb, stride=2)[0]) == 8 * 16
    assert len(outputs.point_cloud(depth, rgb, max_points=100)[0]) == 100
    valid = np.zeros((16, 32), bool)
    valid[3, 4] = True
    assert len(outputs.point_cloud(depth, rgb, valid)[0]) == 1


def test_glb_loads_in_trimesh_with_gltf_axes(tmp_path):
    depth = depth_map()
    rgb = np.random.default_rng(2).random((3, 16, 32)).astype(np.float32)
    xyz, colours = outputs.point_cloud(depth, rgb)
    path = outputs.write_glb(tmp_path / "c.glb", xyz, colours)
    scene = trimesh.load(path)
    (cloud,) = scene.geometry.values()
    assert isinstance(cloud, trimesh.PointCloud)
    np.testing.assert_allclose(cloud.vertices, xyz * [1, -1, -1], atol=1e-6)  # y up, −z forward
    np.testing.assert_array_equal(np.asarray(cloud.colors)[:, :3], colours)
    with pytest.raises(ValueError, match="no valid points"):
        outputs.write_glb(tmp_path / "e.glb", xyz[:0], colours[:0])


def test_output_paths_and_sidecar(tmp_path):
    paths = outputs.output_paths(tmp_path, "a/b", ["png16", "npy", "exr", "preview"], True, True)
    names = sorted(p.relative_to(tmp_path).as_posix() for p in paths.values())
    assert names == [
        "a/b.exr", "a/b.glb", "a/b.json", "a/b.npy", "a/b.ply", "a/b.png", "a/b_preview.png",
    ]  # fmt: skip
    with pytest.raises(ValueError, match="unknown output formats"):
        outputs.output_paths(tmp_path, "a", ["jpg"])
    outputs.write_sidecar(paths["sidecar"], {"scale": 0.5})
    assert json.loads(paths["sidecar"].read_text()) == {"scale": 0.5}


def sphere_rays(h: int, w: int) -> np.ndarray:
    """(H, W, 3) rays of geometry/sphere.py's pixel centres, written out for any W."""
    lon = ((np.arange(w) + 0.5) / w * 2 * np.pi - np.pi)[None, :]
    lat = (np.pi / 2 - (np.arange(h) + 0.5) / h * np.pi)[:, None]
    return np.stack(np.broadcast_arrays(np.cos(lat) * np.sin(lon), -np.sin(lat),
                                        np.cos(lat) * np.cos(lon)), -1)  # fmt: skip


def test_point_cloud_of_a_near_2to1_map_puts_every_pixel_on_its_own_ray():
    depth = depth_map(16, 33)  # an input within 2 % of 2:1, written at its own size
    rgb = np.random.default_rng(1).random((3, 16, 33)).astype(np.float32)
    xyz, _ = outputs.point_cloud(depth, rgb)
    ok = depth > 0
    assert len(xyz) == int(ok.sum())  # one point per valid pixel of the written map
    expected = (depth[..., None] * sphere_rays(16, 33))[ok]
    np.testing.assert_allclose(xyz, expected, atol=1e-6)
    assert len(outputs.point_cloud(depth, rgb, stride=2)[0]) == int(ok[::2, ::2].sum())


def test_mesh_of_a_near_2to1_map_is_built_on_its_2to1_resampling():
    depth = np.full((16, 33), 2.5, np.float32)  # 33×16: meshed as 32×16
    depth[8, 10] = 0  # an invalid pixel stays out of the resampled map
    rgb = np.full((3, 16, 33), 0.5, np.float32)
    mesh = outputs.depth_mesh(depth, rgb, depth > 0)
    np.testing.assert_allclose(np.linalg.norm(mesh.vertices, axis=1), 2.5, rtol=1e-5)
    assert len(mesh.vertices) <= 16 * 32 + 2 and len(mesh.faces) > 0
    strided = outputs.depth_mesh(depth, rgb, depth > 0, stride=2)  # 32 columns: stride 2 fits
    assert len(strided.vertices) <= 8 * 16 + 2


def test_exact_equirect_resamples_near_2to1_maps_in_disparity_and_keeps_invalid_out():
    import torch

    depth = torch.full((8, 17), 4.0)
    depth[:, 5:9] = 2.0
    depth[3, 12] = 0.0
    rgb = torch.rand(3, 8, 17)
    d, colours, ok = outputs.exact_equirect(depth, rgb, depth > 0)
    assert d.shape == ok.shape == (8, 16) and colours.shape == (3, 8, 16)
    assert bool((d[ok] >= 2.0 - 1e-5).all() and (d[ok] <= 4.0 + 1e-5).all())
    assert not bool(ok[3].all()) and bool(ok[:3].all())  # the hole, no 0 blended in
    assert bool((d[~ok] == 0).all())
    same = outputs.exact_equirect(d, colours, ok)  # already 2:1: as it is
    assert same[0] is d and same[1] is colours and same[2] is ok


def test_previous_files_are_only_the_outputs_the_old_sidecar_lists(tmp_path):
    assert outputs.previous_files(tmp_path, "a") == []  # no sidecar
    (tmp_path / "sub").mkdir()
    sidecar = tmp_path / "sub" / "a.json"
    listed = ["a.ply", "a_mesh.glb", "a.png", "a.json", "../b.png", "/etc/passwd", "b.ply",
              "a.ply.bak", "notes.txt", 3]  # fmt: skip
    sidecar.write_text(json.dumps({"files": listed}))
    found = outputs.previous_files(tmp_path, "sub/a")
    assert found == [tmp_path / "sub" / n for n in ("a.ply", "a_mesh.glb", "a.png")]
    for broken in ("not json", "[1, 2]", '{"files": "a.ply"}'):
        sidecar.write_text(broken)
        assert outputs.previous_files(tmp_path, "sub/a") == []
