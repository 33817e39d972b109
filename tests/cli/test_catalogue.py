"""The catalogue of bad inputs and interrupted runs, through the real command line.

Every case runs ``panodepth`` as a user would (``cli.main.main``) and checks what a user
sees and gets: the exit code; one clear line naming the file and the problem, never a
traceback; the other inputs of the batch done; nothing half-written (no partial outputs, no
hidden temporary files). Cases (issue 16): unreadable, truncated, empty, non-image, 16-bit,
non-panorama, oversized (decompression bomb) and EXIF-rotated images; bad list files; bad and
malicious checkpoints and teacher folders (no pickle is ever executed); bad options, checked
before a model is loaded; stale results; interrupted and killed runs; a full disk (a patched
writer: no tmpfs is mounted in tests); big panoramas; ``eval``, ``project``,
``pseudo-label`` and ``synth`` on bad inputs.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from panodepth.cli.main import main
from tests.inference.conftest import save_pano

GOOD = "good"  # the input of every batch that must be done whatever else fails


def run(capsys, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def predict(capsys, inputs, out: Path, *extra: str, model=("--teacher", "synthetic-small")):
    return run(capsys, "predict", *inputs, *model, "--out", out, "--height", "32", *extra)


def assert_clean_failure(err: str, *needles: str) -> None:
    """One ``error:`` line per failure naming what is wrong; no traceback."""
    assert "Traceback" not in err and 'File "' not in err, err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert errors, err
    assert any(all(n in line for n in needles) for line in errors), (needles, err)


def no_temporaries(folder: Path) -> bool:
    return not [p for p in folder.rglob(".*") if p.is_file()]


def png_header_only(path: Path, width: int, height: int) -> Path:
    """A PNG whose header claims ``width``×``height`` (a decompression bomb's header)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat)
                     + chunk(b"IEND", b""))  # fmt: skip
    return path


class Malicious:
    """Unpickling it creates the file ``marker`` (what a malicious checkpoint would do)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


# --- bad images: each in a batch with a good panorama --------------------------------------

BAD_IMAGES = {
    "empty.png": (lambda p: p.write_bytes(b""), "cannot be read as an image (an empty file)"),
    "text.jpg": (
        lambda p: p.write_text("not an image"),
        "cannot be read as an image (not PNG, JPEG, TIFF, WebP or another image format)",
    ),
    "truncated.png": (
        lambda p: p.write_bytes(save_pano(p.with_suffix(".src.png"), 32, 64).read_bytes()[:200]),
        "cannot be read as an image",
    ),
    "depth16.png": (
        lambda p: Image.fromarray(np.full((32, 64), 1000, np.uint16)).save(p),
        "single-channel",
    ),
    "square.png": (lambda p: save_pano(p, 32, 32), "not an equirectangular panorama"),
    "bomb.png": (lambda p: png_header_only(p, 20000, 10000), "over the 179 MP limit"),
}


@pytest.mark.parametrize("name", sorted(BAD_IMAGES))
def test_a_bad_image_is_one_line_and_the_batch_goes_on(capsys, tmp_path, name):
    make, problem = BAD_IMAGES[name]
    bad = tmp_path / "in" / name
    bad.parent.mkdir()
    make(bad)
    for stray in bad.parent.glob("*.src.png"):
        stray.unlink()
    save_pano(tmp_path / "in" / f"{GOOD}.png", 32, 64)
    code, out, err = predict(capsys, [tmp_path / "in"], tmp_path / "out")
    assert code == 1
    assert_clean_failure(err, name, problem)
    assert (tmp_path / "out" / f"{GOOD}.json").is_file()
    assert not list((tmp_path / "out").glob(f"{Path(name).stem}*"))
    assert "predicted 1, failed 1" in out
    assert no_temporaries(tmp_path / "out")


def test_the_pixel_limit_is_raised_by_an_environment_variable(capsys, tmp_path, monkeypatch):
    bomb = png_header_only(tmp_path / "giga.png", 20000, 10000)
    _, _, err = predict(capsys, [bomb], tmp_path / "out")
    assert "PANODEPTH_MAX_PIXELS=200000000" in err  # the message says how
    monkeypatch.setenv("PANODEPTH_MAX_PIXELS", "300000000")
    _, _, err = predict(capsys, [bomb], tmp_path / "out")
    assert "MP limit" not in err  # past the guard: this header-only file then fails to decode
    assert_clean_failure(err, "giga.png", "cannot be read as an image")
    assert "predicting it needs about" in err  # our one warning line, not Pillow's
    assert "DecompressionBombWarning" not in err


def test_an_exif_rotated_phone_jpeg_is_read_upright(capsys, tmp_path):
    upright = Image.open(save_pano(tmp_path / "src.png", 32, 64)).convert("RGB")
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # 32×64 stored as 64×32 (portrait)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    stored.save(tmp_path / "phone.jpg", exif=exif)
    code, _, err = predict(capsys, [tmp_path / "phone.jpg"], tmp_path / "out")
    assert code == 0, err
    meta = json.loads((tmp_path / "out" / "phone.json").read_text())
    assert (meta["width"], meta["height"]) == (64, 32)


def test_a_near_panorama_is_written_at_its_own_size(capsys, tmp_path):
    save_pano(tmp_path / "web.png", 591, 1181)  # 1181×591: within 2 % of 2:1
    code, _, err = predict(capsys, [tmp_path / "web.png"], tmp_path / "out")
    assert code == 0 and "not exactly 2:1" in err
    assert Image.open(tmp_path / "out" / "web.png").size == (1181, 591)
    assert Image.open(tmp_path / "out" / "web_preview.png").size == (1181, 591)


def test_grey_palette_and_alpha_images_are_panoramas(capsys, tmp_path):
    src = Image.open(save_pano(tmp_path / "c.png", 32, 64))
    src.convert("L").save(tmp_path / "in_grey.png")
    src.convert("P").save(tmp_path / "in_palette.png")
    src.convert("RGBA").save(tmp_path / "in_alpha.png")
    code, out, err = predict(capsys, sorted(tmp_path.glob("in_*.png")), tmp_path / "out")
    assert code == 0 and "predicted 3, failed 0" in out, err


# --- list files ------------------------------------------------------------------------------


def test_bad_list_files_are_named_with_their_line(capsys, tmp_path):
    save_pano(tmp_path / f"{GOOD}.png", 32, 64)
    listing = tmp_path / "list.txt"
    listing.write_text(f"{GOOD}.png\nmissing.png\n")
    code, out, err = predict(capsys, [listing], tmp_path / "out")
    assert code == 1  # a missing entry fails alone; the rest is done
    assert_clean_failure(err, "missing.png", "file not found")
    assert (tmp_path / "out" / f"{GOOD}.json").is_file()
    assert "predicted 1, failed 1, skipped 0" in out
    (tmp_path / "empty.txt").write_text("\n")
    code, _, err = predict(capsys, [tmp_path / "empty.txt"], tmp_path / "out")
    assert code == 2
    assert_clean_failure(err, "empty.txt")


def test_the_same_file_listed_twice_is_predicted_once(capsys, tmp_path):
    pano = save_pano(tmp_path / "a.png", 32, 64)
    (tmp_path / "list.txt").write_text("a.png\n")
    code, out, err = predict(capsys, [tmp_path / "list.txt", pano], tmp_path / "out")
    assert code == 0 and "predicted 1" in out and "is given twice" in err


# --- checkpoints and teachers: clear errors, no pickle executed --------------------------------


@pytest.mark.parametrize("suffix", [".ckpt", ".pth", ".pt"])
def test_a_malicious_pickle_checkpoint_is_never_executed(capsys, tmp_path, suffix):
    marker = tmp_path / "pwned"
    ckpt = tmp_path / f"evil{suffix}"
    torch.save({"state_dict": Malicious(marker)}, ckpt)
    pano = save_pano(tmp_path / "a.png", 32, 64)
    code, _, err = predict(capsys, [pano], tmp_path / "out", model=("--checkpoint", ckpt))
    assert code == 2 and not marker.exists()
    assert_clean_failure(err, f"evil{suffix}")


def test_a_plain_pickle_is_refused_by_its_suffix(capsys, tmp_path):
    marker = tmp_path / "pwned"
    (tmp_path / "model.pt").write_bytes(pickle.dumps(Malicious(marker)))
    pano = save_pano(tmp_path / "a.png", 32, 64)
    code, _, err = predict(capsys, [pano], tmp_path / "out", model=("--checkpoint",
                           tmp_path / "model.pt"))  # fmt: skip
    assert code == 2 and not marker.exists()
    assert_clean_failure(err, "model.pt", "pickle")


def test_bad_student_files_name_the_file(capsys, tmp_path, student_ckpt):
    from safetensors.torch import save_file

    pano = save_pano(tmp_path / "a.png", 32, 64)
    (tmp_path / "random.safetensors").write_bytes(os.urandom(256))
    save_file({"w": torch.zeros(1)}, tmp_path / "foreign.safetensors", metadata={"x": "1"})
    save_file({"w": torch.zeros(1)}, tmp_path / "nooptions.safetensors",
              metadata={"format": "panodepth-student/1", "name": "pano-unet"})  # fmt: skip
    for name, problem in [
        ("random.safetensors", "not a readable student checkpoint"),
        ("foreign.safetensors", "not a panodepth student file"),
        ("nooptions.safetensors", "has no 'options'"),
        ("missing.safetensors", "checkpoint not found"),
    ]:
        code, _, err = predict(capsys, [pano], tmp_path / "out",
                               model=("--checkpoint", tmp_path / name))  # fmt: skip
        assert code == 2, (name, err)
        assert_clean_failure(err, name, problem)
        assert len(err.strip().splitlines()) == 1


def test_a_teacher_folder_with_pickled_weights_is_not_unpickled(capsys, tmp_path, teacher_dir):
    folder = tmp_path / "teacher"
    shutil.copytree(teacher_dir, folder)
    (folder / "model.safetensors").unlink()
    marker = tmp_path / "pwned"
    torch.save({"x": Malicious(marker)}, folder / "pytorch_model.bin")
    pano = save_pano(tmp_path / "a.png", 32, 64)
    code, _, err = predict(capsys, [pano], tmp_path / "out", model=("--teacher", folder))
    assert code == 2 and not marker.exists()
    assert_clean_failure(err, "teacher")


# --- options: checked before anything is loaded -------------------------------------------


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["--device", "banana"], "'banana' is not a device"),
        (["--median_depth", "0"], "--median_depth must be a positive"),
        (["--stride", "0"], "--stride must be at least 1"),
        (["--max_points", "0"], "--max_points must be at least 1"),
        (["--ensemble", "0"], "--ensemble must be at least 1"),
    ]
    + ([(["--device", "cuda"], "no CUDA GPU")] if not torch.cuda.is_available() else []),
)
def test_bad_options_are_refused_up_front(capsys, tmp_path, args, problem):
    pano = save_pano(tmp_path / "a.png", 32, 64)
    code, _, err = predict(capsys, [pano], tmp_path / "out", *args,
                           model=("--teacher", tmp_path / "no-such-teacher"))  # fmt: skip
    assert code == 2  # refused before the (missing) teacher is looked for
    assert_clean_failure(err, problem)


def test_an_out_that_is_a_file_is_refused_up_front(capsys, tmp_path):
    pano = save_pano(tmp_path / "a.png", 32, 64)
    (tmp_path / "out").write_text("a file")
    code, _, err = predict(capsys, [pano], tmp_path / "out")
    assert code == 2
    assert_clean_failure(err, "is a file")


def test_version(capsys):
    from panodepth import __version__

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and __version__ in capsys.readouterr().out


# --- stale results ------------------------------------------------------------------------------


def test_a_rerun_redoes_what_changed_and_skips_what_did_not(
    capsys, tmp_path, student_ckpt, metric_ckpt
):
    pano = save_pano(tmp_path / "in" / "room.png", 32, 64)
    out = tmp_path / "out"
    ckpt = ("--checkpoint", student_ckpt)
    assert predict(capsys, [pano], out, model=ckpt)[0] == 0
    first = json.loads((out / "room.json").read_text())
    code, text, _ = predict(capsys, [pano], out, model=ckpt)
    assert code == 0 and "done already, skipped" in text
    assert "predicted 0, failed 0, skipped 1" in text  # a summary line even then
    # another image under the same name
    save_pano(pano, 32, 64, seed=7)
    os.utime(pano, ns=(first["job"]["mtime_ns"] + 10**9,) * 2)
    code, text, _ = predict(capsys, [pano], out, model=ckpt)
    assert "predicted 1" in text
    second = json.loads((out / "room.json").read_text())
    assert second["job"]["mtime_ns"] != first["job"]["mtime_ns"]
    # another model, another height: redone
    for model, extra in [(("--checkpoint", metric_ckpt), []), (ckpt, ["--ensemble", "2"])]:
        code, text, _ = predict(capsys, [pano], out, *extra, model=model)
        assert code == 0 and "predicted 1" in text, text
    assert json.loads((out / "room.json").read_text())["ensemble"] == 2


# --- interrupted and killed runs, full disk ---------------------------------------------------


def test_ctrl_c_is_one_line_exit_130_and_leaves_no_partial_files(capsys, tmp_path, monkeypatch):
    from panodepth.inference import outputs

    pano = save_pano(tmp_path / "a.png", 32, 64)

    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(outputs, "write_preview", interrupted)
    code, _, err = predict(capsys, [pano], tmp_path / "out")
    assert code == 130 and err.strip() == "interrupted"
    assert not [p for p in (tmp_path / "out").rglob("*") if p.is_file()]  # no a.png, a.npy
    monkeypatch.undo()
    code, out, _ = predict(capsys, [pano], tmp_path / "out")
    assert code == 0 and "predicted 1" in out


def test_a_killed_runs_temporary_files_are_removed(capsys, tmp_path):
    pano = save_pano(tmp_path / "a.png", 32, 64)
    out = tmp_path / "out"
    out.mkdir()
    stale = out / ".a.png.k1ll3d_x.tmp"
    stale.write_bytes(b"half a png")
    assert predict(capsys, [pano], out)[0] == 0
    assert not stale.exists() and no_temporaries(out)


def test_a_full_disk_is_said_in_words_and_the_batch_goes_on(capsys, tmp_path, monkeypatch):
    from panodepth.inference import api
    from panodepth.io.atomic import atomic_save

    real = api.write_npy

    def short_write(path, depth):
        if Path(path).stem == "full":  # NumPy's message when the device fills up mid-write

            def write(_f):
                raise OSError("524288 requested and 208864 written")

            atomic_save(path, write)
        return real(path, depth)

    monkeypatch.setattr(api, "write_npy", short_write)
    save_pano(tmp_path / "in" / "full.png", 32, 64)
    save_pano(tmp_path / "in" / f"{GOOD}.png", 32, 64)
    code, _, err = predict(capsys, [tmp_path / "in"], tmp_path / "out")
    assert code == 1
    assert_clean_failure(err, "full.npy", "no space left on device")
    assert "requested and" not in err
    assert (tmp_path / "out" / f"{GOOD}.json").is_file()
    assert not list((tmp_path / "out").glob("full*")) and no_temporaries(tmp_path / "out")


def test_written_files_are_readable_by_others(capsys, tmp_path):
    pano = save_pano(tmp_path / "a.png", 32, 64)
    assert predict(capsys, [pano], tmp_path / "out", "--formats", "png16", "exr", "npy")[0] == 0
    modes = {p.name: p.stat().st_mode & 0o777 for p in (tmp_path / "out").iterdir()}
    assert set(modes.values()) == {0o644}, modes


@pytest.mark.slow
def test_a_panorama_over_2_24_pixels_gets_its_preview(capsys, tmp_path):
    """Regression: a float32 linspace crashed previews of maps over 16.8 M valid pixels."""
    Image.open(save_pano(tmp_path / "s.png", 32, 64)).resize((6080, 3040)).save(
        tmp_path / "big.jpg", quality=80
    )
    args = ["--formats", "png16", "preview", "--ply", "--max_points", "1000"]
    code, _, err = predict(capsys, [tmp_path / "big.jpg"], tmp_path / "out", *args)
    assert code == 0, err
    assert Image.open(tmp_path / "out" / "big_preview.png").size == (6080, 3040)


# --- the other commands ----------------------------------------------------------------------


def test_project_reports_bad_images_and_what_it_did(capsys, tmp_path):
    (tmp_path / "in").mkdir()
    png_header_only(tmp_path / "in" / "bomb.png", 20000, 10000)
    save_pano(tmp_path / "in" / f"{GOOD}.png", 32, 64)
    code, out, err = run(capsys, "project", tmp_path / "in", "--out", tmp_path / "out",
                         "--height", "32")  # fmt: skip
    assert code == 1
    assert_clean_failure(err, "bomb.png", "limit")
    assert "projected 1, failed 1, skipped 0" in out
    code, out, _ = run(capsys, "project", tmp_path / "in" / f"{GOOD}.png", "--out",
                       tmp_path / "out", "--height", "32")  # fmt: skip
    assert code == 0 and "projected 0, failed 0, skipped 1" in out


def test_pseudo_label_reports_bad_images(capsys, tmp_path):
    (tmp_path / "in").mkdir()
    png_header_only(tmp_path / "in" / "bomb.png", 20000, 10000)
    save_pano(tmp_path / "in" / f"{GOOD}.png", 32, 64)
    args = ["--teacher", "synthetic-small", "--rotations", "1", "--no_progress"]
    code, out, err = run(capsys, "pseudo-label", tmp_path / "in", tmp_path / "cache", *args)
    assert code == 1
    assert_clean_failure(err, "bomb.png", "limit")
    assert "1 labelled" in out
    from safetensors import safe_open

    with safe_open(str(tmp_path / "cache" / f"{GOOD}.safetensors"), "pt") as f:
        assert json.loads(f.metadata()["teacher_input_size"]) == "auto"  # its own, recorded


def test_synth_says_what_it_wrote_and_what_was_there(capsys, tmp_path):
    args = ["synth", tmp_path / "s", "--domain", "home", "--count", "2", "--size", "32x64",
            "--no_progress"]  # fmt: skip
    assert "2 written, 0 were done" in run(capsys, *args)[1]
    assert "0 written, 2 were done" in run(capsys, *args)[1]


def test_eval_on_bad_data_is_a_message(capsys, tmp_path):
    code, _, err = run(capsys, "eval", "--teacher", "synthetic-small", "--data",
                       tmp_path / "nowhere")  # fmt: skip
    assert code == 2
    assert_clean_failure(err, "nowhere", "not found")
    (tmp_path / "pairs.txt").write_text("a.png b.png\n")
    code, _, err = run(capsys, "eval", "--teacher", "synthetic-small", "--data",
                       tmp_path / "pairs.txt")  # fmt: skip
    assert code == 2
    assert_clean_failure(err, "depth_scale")


def test_eval_on_a_dataset_with_a_bomb_names_it(capsys, tmp_path, domains):
    data = tmp_path / "c"
    shutil.copytree(domains["c"], data)
    png_header_only(data / "rgb" / "00001.png", 20000, 10000)
    code, _, err = run(capsys, "eval", "--teacher", "synthetic-small", "--data", data,
                       "--no_progress")  # fmt: skip
    assert code == 2
    assert_clean_failure(err, "00001.png", "MP limit")
