"""The loop that trains the small teacher (panodepth.training.teacher) and the shared
learning-rate schedule (panodepth.training.schedule)."""

from __future__ import annotations

import math

import pytest
import torch

from panodepth.data.synthetic import render_perspective, sample_scene, sample_seed
from panodepth.geometry import rotation_matrix
from panodepth.training.schedule import lr_factor
from panodepth.training.teacher import (
    TrainConfig,
    ViewSpec,
    render_views,
    sample_batch,
    train_small_unet,
)

pytestmark = pytest.mark.usefixtures("one_thread")


class TestTraining:
    def test_views_are_deterministic(self) -> None:
        spec = ViewSpec(size=16, views_per_scene=2)
        a, b = render_views("office", 3, 0, spec), render_views("office", 3, 0, spec)
        torch.testing.assert_close(a.rgb, b.rgb)
        assert a.rgb.shape == (3, 3, 16, 16) and a.valid.dtype == torch.bool
        assert not torch.equal(a.rgb, render_views("office", 3, 1, spec).rgb)
        assert bool((a.depth[a.valid] > 0).all()) and bool((a.depth[~a.valid] == 0).all())

    def test_views_are_render_perspective_views(self) -> None:
        spec = ViewSpec(size=16, views_per_scene=3, min_valid=0.0)
        pool = render_views("home", 3, 5, spec)
        g = torch.Generator().manual_seed(sample_seed("home", 5, 0))
        scene = sample_scene("home", g)
        fov = 60.0 + 40.0 * float(torch.rand((), generator=g, dtype=torch.float64))
        u = torch.rand(3, 3, generator=g, dtype=torch.float64)
        yaw, pitch = (2 * u[:, 0] - 1) * math.pi, torch.asin(2 * u[:, 1] - 1)
        roll = (2 * u[:, 2] - 1) * math.radians(spec.max_roll_deg)
        views = render_perspective(scene, fov, 16, rotation_matrix(yaw, pitch, roll))
        assert torch.equal(pool.rgb, views.rgb) and torch.equal(pool.depth, views.depth)
        assert torch.equal(pool.valid, views.valid) and pool.domains == ["home"] * 3

    def test_jitter_changes_only_the_colours(self) -> None:
        pool = render_views("office", 4, 0, ViewSpec(size=16))
        plain = sample_batch(pool, 6, torch.Generator().manual_seed(2), 0.0, jitter=0.0)
        jittered = sample_batch(pool, 6, torch.Generator().manual_seed(2), 0.0, jitter=0.3)
        assert torch.equal(plain[1], jittered[1]) and torch.equal(plain[2], jittered[2])
        assert not torch.allclose(plain[0], jittered[0])
        assert float(jittered[0].min()) >= 0.0 and float(jittered[0].max()) <= 1.0
        again = sample_batch(pool, 6, torch.Generator().manual_seed(2), 0.0, jitter=0.3)
        assert torch.equal(again[0], jittered[0])

    def test_unknown_domain(self) -> None:
        with pytest.raises(ValueError, match="unknown domain"):
            render_views("castle", 2)

    def test_low_res_batches(self) -> None:
        pool = render_views("outdoor", 2, 0, ViewSpec(size=32))
        g = torch.Generator().manual_seed(0)
        rgb, disparity, valid = sample_batch(pool, 4, g, low_res_prob=1.0)
        assert rgb.shape == (4, 3, 16, 16) and disparity.shape == valid.shape == (4, 1, 16, 16)
        assert bool((disparity[~valid] == 0).all()) and bool((disparity[valid] > 0).all())

    def test_lr_schedule(self) -> None:
        assert lr_factor(0, 100, 10) == pytest.approx(0.1)
        assert lr_factor(10, 100, 10) == pytest.approx(1.0)
        assert lr_factor(100, 100, 10) == pytest.approx(0.01)
        assert all(0 < lr_factor(s, 100, 10) <= 1 for s in range(100))

    def test_validation_keeps_the_weights_of_the_best_score(self) -> None:
        pool = render_views("office", 4, 0, ViewSpec(size=32))
        config = TrainConfig(steps=7, batch_size=2, warmup=1, low_res_prob=0.0)
        scores, snapshots = iter([3.0, 1.0, 2.0, 5.0]), []

        def validate(net) -> float:
            assert not net.training
            snapshots.append({k: v.clone() for k, v in net.state_dict().items()})
            return next(scores)

        curve: list[tuple[int, float]] = []
        net, _ = train_small_unet(pool, config, validate=validate, validate_every=2, curve=curve)
        assert curve == [(2, 3.0), (4, 1.0), (6, 2.0), (7, 5.0)]  # every 2 steps and the last
        best, last = snapshots[1], snapshots[3]
        assert all(torch.equal(v, best[k]) for k, v in net.state_dict().items())
        assert not all(torch.equal(v, last[k]) for k, v in net.state_dict().items())

    def test_loss_falls_on_a_fixed_pool(self) -> None:
        pool = render_views("office", 8, 0, ViewSpec(size=32))
        config = TrainConfig(steps=30, batch_size=4, lr=3e-3, warmup=3, low_res_prob=0.0)
        _, losses = train_small_unet(pool, config)
        assert len(losses) == 30 and all(math.isfinite(v) for v in losses)
        assert sum(losses[-5:]) / 5 < 0.8 * sum(losses[:5]) / 5
