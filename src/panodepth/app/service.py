"""The web app's work without the web: the models on offer, one prediction per request, and
what the page shows of it.

Gradio is :mod:`.ui`'s; this module imports none of it, so it is tested and usable on its
own. Conventions:

* A model on offer is a :class:`ModelSpec`: a *student* (student file, ``.ckpt``, release
  ``.pth`` or name, hub id or ``save_pretrained`` folder: whatever ``panodepth predict
  --checkpoint`` takes) or a *teacher* run in teacher mode (``--teacher``: a registered name,
  hub id or folder). A custom entry typed in the page is a student unless it starts with
  ``teacher:``.
* A request goes through :mod:`panodepth.inference.api`, the path of ``panodepth predict``,
  and writes the same files into a fresh folder under the service's ``workdir`` (the last
  ``keep`` requests are kept): the 16-bit PNG and its JSON sidecar, the EXR, the preview, a
  PLY point cloud and the triangle mesh (GLB for the 3-D view, PLY). Point cloud and mesh
  use every ``stride``-th pixel so that the browser gets at most ~256 rows of vertices.
* Failures are :class:`AppError` with a message for the page that names the uploaded file
  by its own name (not the server's temporary path).
"""

from __future__ import annotations

import math
import shutil
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

ProgressFn = Callable[[float, str], None]
VIEW_ROWS = 256  # rows of mesh vertices sent to the browser's 3-D view (at most)


class AppError(ValueError):
    """A request that cannot be done; the message is shown in the page as it is."""


@dataclass(frozen=True)
class ModelSpec:
    """A model on offer: ``kind`` student or teacher, its ``source``, the ``label`` shown."""

    kind: Literal["student", "teacher"]
    source: str
    label: str


@dataclass
class PageResult:
    """What the page shows for one request (paths inside the request's folder)."""

    preview: Path  # colourised inverse depth at the output size
    colorbar: Path  # the colour scale of the preview, ticks in depth
    mesh: Path  # the triangle mesh as GLB, for the 3-D view
    files: list[Path]  # the downloads
    summary: str  # markdown: units (relative vs metric), model, sizes, time
    warnings: list[str] = field(default_factory=list)


def default_models(
    checkpoint: str | None = None,
    teacher: str | None = None,
    demo_dir: str | Path | None = "outputs/demo",
) -> list[ModelSpec]:
    """The models on offer, first the default: the given student or teacher, the demo's
    A + B student when ``make demo`` has written it, and the teachers (the shipped synthetic
    one works offline; Depth Anything downloads from the Hub or reads the local cache)."""
    specs = []
    if checkpoint:
        specs.append(ModelSpec("student", str(checkpoint), f"student: {checkpoint}"))
    if teacher:
        specs.append(ModelSpec("teacher", str(teacher), f"teacher mode: {teacher}"))
    if demo_dir is not None:
        demo = Path(demo_dir) / "students" / "a_plus_b.safetensors"
        if demo.is_file():
            specs.append(ModelSpec("student", str(demo), f"demo student, A + B pseudo ({demo})"))
    specs += [
        ModelSpec(
            "teacher", "synthetic-small",
            "teacher mode: synthetic-small (shipped, offline; trained on synthetic scenes only)",
        ),
        ModelSpec(
            "teacher", "depth-anything-v2-small",
            "teacher mode: Depth Anything V2 Small (Hugging Face Hub or its local cache)",
        ),
    ]  # fmt: skip
    unique: dict[tuple[str, str], ModelSpec] = {}
    for spec in specs:
        unique.setdefault((spec.kind, spec.source), spec)
    return list(unique.values())


def custom_model(text: str) -> ModelSpec | None:
    """A model typed in the page: ``teacher:SOURCE`` for teacher mode, else a student."""
    text = text.strip()
    if not text:
        return None
    if text.lower().startswith("teacher:"):
        source = text.split(":", 1)[1].strip()
        if not source:
            raise AppError("give a teacher after 'teacher:' (a name, hub id or folder)")
        return ModelSpec("teacher", source, f"teacher mode: {source}")
    return ModelSpec("student", text, f"student: {text}")


def bundled_samples(folder: str | Path, height: int = 256) -> list[Path]:
    """Synthetic panoramas to try the app with (an office, a hotel room, an outdoor scene),
    rendered once into ``folder`` (kept between starts)."""
    from panodepth.data.synthetic import render_sample
    from panodepth.io.images import write_png

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for domain in ("office", "hotel", "outdoor"):
        path = folder / f"synthetic-{domain}-{height}.png"
        if not path.is_file():
            write_png(path, render_sample(domain, 0, height=height).rgb)
        paths.append(path)
    return paths


class DepthService:
    """Runs requests of the page: one predictor kept (the last one asked for), a fresh
    output folder per request under ``workdir``, the last ``keep`` folders kept."""

    def __init__(
        self,
        models: Sequence[ModelSpec],
        workdir: str | Path,
        device: str = "cpu",
        keep: int = 20,
    ) -> None:
        if not models:
            raise ValueError("DepthService needs at least one model")
        self.models = list(models)
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.device = device
        self.keep = keep
        self._key: tuple | None = None
        self._predictor = None

    def spec(self, label: str | None, custom: str = "") -> ModelSpec:
        """The model a request asks for: the custom text if any, else the chosen label."""
        typed = custom_model(custom or "")
        if typed is not None:
            return typed
        for spec in self.models:
            if spec.label == label:
                return spec
        raise AppError(f"unknown model {label!r}; choose one of the list or type one")

    def predictor(self, spec: ModelSpec, height: int, ensemble: int):
        """The predictor for ``spec`` at ``height`` with ``ensemble`` copies (kept while the
        same one is asked for)."""
        from panodepth.inference import api

        key = (spec.kind, spec.source, int(height), int(ensemble), self.device)
        if key != self._key:
            self._predictor = None  # free the previous model first
            try:
                self._predictor = api.build_predictor(
                    **{"checkpoint" if spec.kind == "student" else "teacher": spec.source},
                    height=int(height), ensemble=int(ensemble), device=self.device,
                )  # fmt: skip
            except (ValueError, TypeError, OSError) as err:
                raise AppError(f"could not load the model: {err}") from None
            self._key = key
        return self._predictor

    def run(
        self,
        image: str | Path | None,
        spec: ModelSpec,
        height: int = 512,
        ensemble: int = 1,
        progress: ProgressFn | None = None,
    ) -> PageResult:
        """Predict depth for the panorama file ``image`` and write what the page shows."""
        from panodepth.inference import api

        def step(fraction: float, what: str) -> None:
            if progress is not None:
                progress(fraction, what)

        if image is None:
            raise AppError("upload a panorama (or pick a sample) first")
        image = Path(image)
        step(0.05, f"loading {spec.label}")
        predictor = self.predictor(spec, height, ensemble)
        step(0.3, "predicting depth")
        start = time.perf_counter()
        (result,) = api.predict_iter([image], predictor)
        seconds = time.perf_counter() - start
        if not result.ok:
            raise AppError(_own_name(result.error or "failed", image))
        step(0.7, "writing depth files, point cloud and mesh")
        out = self._request_folder()
        rows = result.depth.shape[0]
        stride = max(1, math.ceil(rows / VIEW_ROWS))
        paths = api.write_result(
            result, out, formats=("png16", "exr", "preview"), ply=True, stride=stride, mesh=True
        )
        colorbar = out / f"{result.name}_colorbar.png"
        _write_colorbar(colorbar, result)
        step(1.0, "done")
        notes = [_own_name(w, image) for w in result.warnings]
        return PageResult(
            preview=paths["preview"],
            colorbar=colorbar,
            mesh=paths["mesh_glb"],
            files=[paths[k] for k in ("png16", "sidecar", "exr", "ply", "mesh_glb", "mesh_ply")],
            summary=_summary(result, seconds, stride, notes),
            warnings=notes,
        )

    def _request_folder(self) -> Path:
        folders = sorted(
            (p for p in self.workdir.iterdir() if p.is_dir() and p.name.startswith("request-")),
            key=lambda p: p.stat().st_mtime,
        )
        for old in folders[: max(0, len(folders) - self.keep + 1)]:
            shutil.rmtree(old, ignore_errors=True)
        out = self.workdir / f"request-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}"
        out.mkdir()
        return out


def _own_name(message: str, image: Path) -> str:
    """``message`` with the server's temporary path of the upload replaced by its name."""
    return message.replace(str(image), image.name)


def _write_colorbar(path: Path, result) -> None:
    from panodepth.inference import outputs

    label = "depth (m)" if result.metric else "relative depth (median 1; unknown scale)"
    if not result.metric and result.meta.get("median_depth"):
        label = f"relative depth, scaled to median {result.meta['median_depth']} m"
    outputs.write_colorbar(path, result.depth, result.valid, label)


def _summary(result, seconds: float, stride: int, notes: list[str]) -> str:
    meta = result.meta
    if result.metric:
        units = "**Metric depth, in metres** (the student has a depth head)."
    else:
        units = (
            "**Relative depth**: the scale is unknown (median normalised to 1), so the "
            "numbers are *not* metres, and the 3-D shape is distorted by the disparity's "
            "unknown shift."
        )
    lines = [
        units,
        f"Model: `{meta['model']}` ({meta['mode']}); input {meta['width']}×{meta['height']}, "
        f"working height {meta['working_height']}"
        + (f", ensemble of {meta['ensemble']}" if meta["ensemble"] > 1 else "")
        + f"; {seconds:.1f} s.",
        f"Valid pixels: {100 * meta['valid_fraction']:.1f} %. 3-D view and point cloud: "
        + ("all pixels" if stride == 1 else f"1 of every {stride}×{stride} pixels")
        + " (mesh triangles across depth jumps removed).",
    ]
    lines += [f"⚠ {note}" for note in notes]
    return "\n\n".join(lines)
