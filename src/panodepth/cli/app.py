"""Serve the web app: upload a panorama, choose a model, see its depth, 3-D mesh and downloads.

Opens a local page (default http://127.0.0.1:7860) that runs what `panodepth predict` runs:
a student (--checkpoint: student file, .ckpt, release .pth or name, hub id or folder) or a
teacher in teacher mode (--teacher); other models can be typed in the page. Offline it offers
the shipped synthetic teacher and, after `make demo`, the demo's A + B student. Requests are
written under --workdir (default $PANODEPTH_HOME/app, else ~/.cache/panodepth/app; the last 20
kept). Needs the extra: pip install 'panodepth[app]'.
"""

from __future__ import annotations

import sys

from jsonargparse import ArgumentParser, Namespace


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("--checkpoint", default=None, help="a student to offer first")
    parser.add_argument("--teacher", default=None, help="a teacher (teacher mode) to offer first")
    parser.add_argument("--host", default="127.0.0.1", help="address to serve on")
    parser.add_argument("--port", type=int | None, default=7860, help="port (none: first free)")
    parser.add_argument("--share", action="store_true", help="also a public gradio.live link")
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1, mps, …")
    parser.add_argument("--height", type=int, default=512, help="default working height")
    parser.add_argument("--workdir", default=None, help="where requests are written")
    parser.add_argument(
        "--demo_dir", "--demo-dir", default="outputs/demo",
        help="offer the demo's A + B student from this `panodepth demo` folder if present",
    )  # fmt: skip


def run(cfg: Namespace) -> int:
    import os
    from pathlib import Path

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no calls home
    from panodepth.app import DepthService, bundled_samples, default_models
    from panodepth.app.ui import build_page, launch
    from panodepth.models.released import panodepth_home

    workdir = Path(cfg.workdir) if cfg.workdir else panodepth_home() / "app"
    models = default_models(cfg.checkpoint, cfg.teacher, cfg.demo_dir)
    service = DepthService(models, workdir, device=cfg.device)
    page = build_page(service, bundled_samples(workdir / "samples"), height=cfg.height)
    where = f"http://{cfg.host}:{cfg.port}" if cfg.port else f"{cfg.host} (first free port)"
    print(f"panodepth app on {where} — models: {len(models)}, outputs in {workdir}; Ctrl-C stops")
    try:
        launch(page, workdir, cfg.host, cfg.port, cfg.share)
    except KeyboardInterrupt:
        print("stopped")
    except OSError as err:  # e.g. the port is taken
        print(f"error: could not serve the app: {err}", file=sys.stderr)
        return 2
    return 0
