"""`panodepth eval`: its protocols by default, the forms of --data, invalid predictions and
ground truth, mixed sizes, standard JSON."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from panodepth.cli.main import main
from panodepth.data import ListDataset
from panodepth.inference import evaluate_dataset
from panodepth.io import write_depth_png
from tests.inference.conftest import save_pano


def test_a_relative_model_is_aligned_in_scale_and_shift_by_default(capsys, domains):
    assert main(["eval", "--teacher", "synthetic-small", "--data", str(domains["c"]),
                 "--no_progress"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "protocol release_val (relative model: the default for it)" in out
    assert main(["eval", "--teacher", "synthetic-small", "--data", str(domains["c"]),
                 "--protocol", "paper", "--no_progress"]) == 0  # fmt: skip
    assert "protocol paper (relative model)," in capsys.readouterr().out


def test_a_metric_model_is_scored_as_it_is_by_default(capsys, domains, metric_ckpt):
    assert main(["eval", "--checkpoint", str(metric_ckpt), "--data", str(domains["c"]),
                 "--no_progress"]) == 0  # fmt: skip
    assert "protocol none (metric model: the default for it)" in capsys.readouterr().out


def test_protocol_none_on_a_relative_model_is_refused(capsys, domains):
    code = main(["eval", "--teacher", "synthetic-small", "--data", str(domains["c"]),
                 "--protocol", "none"])  # fmt: skip
    assert code == 2 and "relative model" in capsys.readouterr().err


def _pairs(tmp_path, sizes, depth_m=2.0):
    lines = []
    for k, (h, w) in enumerate(sizes):
        save_pano(tmp_path / f"rgb{k}.png", h, w, seed=k)
        write_depth_png(tmp_path / f"d{k}.png", np.full((h, w), depth_m, np.float32), 0.001)
        lines.append(f"rgb{k}.png d{k}.png")
    (tmp_path / "pairs.txt").write_text("\n".join(lines) + "\n")
    return tmp_path / "pairs.txt"


def test_a_list_file_of_mixed_sizes_batches_and_writes_standard_json(capsys, tmp_path):
    listing = _pairs(tmp_path, [(32, 64), (64, 128), (32, 64)])
    out = tmp_path / "r.json"
    assert main(["eval", "--teacher", "synthetic-small", "--data", str(listing),
                 "--depth_scale", "0.001", "--batch_size", "3", "--out", str(out),
                 "--no_progress"]) == 0  # fmt: skip
    report = json.loads(out.read_text())  # standard JSON: parses without NaN/Infinity
    assert report["images"] == 3 and report["protocol"] == "release_val"
    assert 0 < report["coverage"] <= 1


class Holes:
    """A predictor whose disparity is invalid (0) on the left quarter of every panorama."""

    name, metric, kind = "holes", False, "relative"

    def disparity(self, rgb: torch.Tensor) -> torch.Tensor:
        out = torch.full((rgb.shape[0], 1, *rgb.shape[-2:]), 0.5)
        out[..., : rgb.shape[-1] // 4] = 0.0
        return out


@pytest.mark.parametrize("protocol", ["none", "median", "paper", "release_val"])
def test_invalid_predictions_are_left_out_and_counted(tmp_path, protocol):
    dataset = ListDataset(_pairs(tmp_path, [(32, 64)]), depth_scale=0.001, height=None)
    report = evaluate_dataset(Holes(), dataset, protocol, progress=False)
    assert all(math.isfinite(v) for v in report.summary.values()), report.summary
    assert report.coverage == pytest.approx(0.75)
    assert report.per_image[0]["coverage"] == pytest.approx(0.75)
    json.dumps(report.to_json(), allow_nan=False)


def test_ground_truth_without_a_valid_pixel_is_a_warning_not_a_row_of_nan(tmp_path):
    dataset = ListDataset(
        _pairs(tmp_path, [(32, 64)], depth_m=50.0), depth_scale=0.001, height=None
    )  # fmt: skip  (50 m: beyond max_depth everywhere)
    report = evaluate_dataset(Holes(), dataset, "median", progress=False)
    assert report.per_image[0]["metrics"] is None
    assert report.warnings and "no valid ground-truth pixel" in report.warnings[0]
    assert "rgb0" in report.warnings[0]
    text = json.dumps(report.to_json(), allow_nan=False)
    assert "NaN" not in text and "Infinity" not in text
