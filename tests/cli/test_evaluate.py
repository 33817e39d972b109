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
    """A list file of ``rgb{k}.png d{k}.png`` lines, depth ``depth_m`` (one value, or one per
    panorama) in 16-bit PNGs of scale 0.001."""
    depths = depth_m if isinstance(depth_m, list) else [depth_m] * len(sizes)
    lines = []
    for k, (h, w) in enumerate(sizes):
        save_pano(tmp_path / f"rgb{k}.png", h, w, seed=k)
        write_depth_png(tmp_path / f"d{k}.png", np.full((h, w), depths[k], np.float32), 0.001)
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
        _pairs(tmp_path, [(32, 64)] * 2, depth_m=[2.0, 50.0]), depth_scale=0.001, height=None
    )  # fmt: skip  (50 m: beyond max_depth everywhere)
    report = evaluate_dataset(Holes(), dataset, "median", progress=False)
    assert report.per_image[1]["metrics"] is None and report.per_image[0]["metrics"]
    assert (report.scored, report.skipped) == (1, 1)
    assert report.warnings and "no valid ground-truth pixel" in report.warnings[0]
    assert "rgb1" in report.warnings[0]
    text = json.dumps(report.to_json(), allow_nan=False)
    assert "NaN" not in text and "Infinity" not in text
    assert report.to_json()["images"] == 2 and report.to_json()["scored"] == 1


def test_a_dataset_without_any_valid_ground_truth_has_no_result(tmp_path):
    dataset = ListDataset(_pairs(tmp_path, [(32, 64)], depth_m=0.0), depth_scale=0.001,
                          height=None)  # fmt: skip
    with pytest.raises(ValueError, match="no panorama can be scored"):
        evaluate_dataset(Holes(), dataset, "median", progress=False)


# --- the user walkthrough's defects: messages and counts on the console ----------------------


def _eval(capsys, student, *args):
    """``panodepth eval --checkpoint student *args``: (exit code, stdout, stderr)."""
    code = main(["eval", "--checkpoint", str(student), *map(str, args), "--no_progress"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_file_that_is_no_data_source_is_said_to_exist_and_what_is_accepted(
    capsys, tmp_path, student_ckpt
):
    depth = tmp_path / "depth_u16.png"
    write_depth_png(depth, np.full((16, 32), 2.0, np.float32), 0.001)
    code, out, err = _eval(capsys, student_ckpt, "--data", depth)
    assert code == 2 and out == ""
    assert err.startswith(f"error: {depth}: exists, but a .png file is not a --data source")
    assert "not found" not in err and "Traceback" not in err and err.count("\n") == 1
    for accepted in ("YAML", "list file", "synth", "Stanford2D3D", "Matterport3D"):
        assert accepted in err
    code, _, err = _eval(capsys, student_ckpt, "--data", tmp_path / "missing.png")
    assert code == 2 and ": not found; --data takes a YAML" in err


def test_no_valid_ground_truth_anywhere_is_an_error_not_a_table_of_nan(
    capsys, tmp_path, student_ckpt
):
    listing = _pairs(tmp_path, [(32, 64)], depth_m=0.0)
    code, out, err = _eval(capsys, student_ckpt, "--data", listing, "--depth_scale", 0.001,
                           "--out", tmp_path / "r.json")  # fmt: skip
    assert code == 2 and out == "" and not (tmp_path / "r.json").exists()
    assert f"error: {listing}: no panorama can be scored, so there are no metrics" in err
    assert "1 of 1 without a valid ground-truth pixel" in err and "rgb0" in err
    assert "nan" not in err.lower() and "Traceback" not in err


def test_the_header_counts_the_panoramas_scored_and_skipped(capsys, tmp_path, student_ckpt):
    listing = _pairs(tmp_path, [(32, 64)] * 2, depth_m=[2.0, 0.0])
    code, out, err = _eval(capsys, student_ckpt, "--data", listing, "--depth_scale", 0.001)
    assert code == 0
    assert "warning: rgb1: no valid ground-truth pixel" in err
    assert out.startswith("1 panorama scored, 1 skipped (warnings above), protocol ")
    assert "nan" not in out
    code, out, _ = _eval(capsys, student_ckpt, "--data", _pairs(tmp_path / "b", [(32, 64)] * 2),
                         "--depth_scale", 0.001)  # fmt: skip
    assert code == 0 and out.startswith("2 panoramas scored, protocol ")


def test_a_list_file_without_a_depth_scale_names_the_option(capsys, tmp_path, student_ckpt):
    listing = _pairs(tmp_path, [(32, 64)])
    code, out, err = _eval(capsys, student_ckpt, "--data", listing)
    assert code == 2 and out == ""
    assert f"error: {listing}: its depth PNGs need a scale: pass --depth_scale (" in err
    assert "depth_scale=" not in err and err.count("\n") == 1
