"""`panodepth app` in a real browser: Debian's Chromium, driven by Playwright, no download.

The app runs as users start it (``python -m panodepth app`` on a free local port); the page
is driven through its element ids (:mod:`panodepth.app.ui`). Without Chromium, Playwright or
the shared panoramas the test says why it is skipped; under CI (``CI=true``, where
``.ci/run`` installs Chromium) a skip is a failure.
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import trimesh
from PIL import Image

pytestmark = pytest.mark.slow

PANORAMAS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "panoramas"
REAL = PANORAMAS / "bifusev2_mp3d.jpg"  # a real Matterport3D panorama, 1024×512
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _need(ok: bool, why: str) -> None:
    if ok:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{why}; under CI this test must run (.ci/run installs chromium)")
    pytest.skip(why)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    pytest.importorskip("gradio", reason="the [app] extra is not installed")
    work = tmp_path_factory.mktemp("app")
    port = _free_port()
    log = (work / "app.log").open("w")
    args = ["--port", str(port), "--workdir", str(work / "w"), "--demo_dir", str(work / "none")]
    proc = subprocess.Popen(
        [sys.executable, "-m", "panodepth", "app", *args], stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the app did not start:\n{(work / 'app.log').read_text()}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
    console = (work / "app.log").read_text()
    assert "Traceback" not in console, console


@pytest.fixture(scope="module")
def page(app_url: str, tmp_path_factory: pytest.TempPathFactory):
    _need(CHROMIUM is not None, "Debian's chromium is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _need(False, "playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1600})
        page.set_default_timeout(120_000)
        page.goto(app_url, wait_until="networkidle")
        page.wait_for_selector("#run")
        yield page
        browser.close()


def _upload(page, path: Path) -> None:
    """Put ``path`` into the upload box and wait until the page shows it; a page that was not
    ready for the upload yet (its scripts still starting) is reloaded and asked again."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _ in range(3):
        page.locator("#panorama input[type=file]").set_input_files(str(path))
        try:
            page.wait_for_selector(f"#panorama :text('{path.name}')", timeout=20_000)
            return
        except PlaywrightTimeout:
            page.reload(wait_until="networkidle")
            page.wait_for_selector("#run")
    pytest.fail(f"the page never showed the uploaded {path.name}")


def _fetch(page, url: str) -> bytes:
    response = page.request.get(url)
    assert response.ok, url
    return response.body()


def test_a_real_panorama_gives_depth_a_mesh_and_downloads(page, tmp_path):
    _need(REAL.is_file(), f"the shared panoramas are not beside the repository ({REAL})")
    _upload(page, REAL)
    page.click("#run")
    page.wait_for_selector("#depth img")
    depth = Image.open(io.BytesIO(_fetch(page, page.locator("#depth img").get_attribute("src"))))
    assert depth.size == Image.open(REAL).size  # written at the input's own size
    pixels = np.asarray(depth.convert("RGB"), dtype=np.float32)
    assert pixels.std() > 10  # not a constant image
    assert "Relative depth" in page.locator("#info").inner_text()
    page.wait_for_selector("#downloads a[href$='_mesh.glb']")
    links = [a.get_attribute("href") for a in page.locator("#downloads a").all()]
    assert {Path(u).suffix for u in links} >= {".png", ".json", ".exr", ".ply", ".glb"}
    glb = next(u for u in links if u.endswith("_mesh.glb"))
    mesh = trimesh.load(io.BytesIO(_fetch(page, glb)), file_type="glb", force="mesh")
    assert len(mesh.faces) > 10_000 and np.isfinite(mesh.vertices).all()
    page.wait_for_selector("#mesh canvas")
    page.wait_for_timeout(4000)  # the 3-D view draws the mesh (only for the screenshot)
    page.screenshot(path=str(tmp_path / "app.png"), full_page=True)
    if os.environ.get("PANODEPTH_SCREENSHOTS"):
        shutil.copy(tmp_path / "app.png", Path(os.environ["PANODEPTH_SCREENSHOTS"]) / "app.png")


def test_a_corrupt_file_gets_a_message_in_the_page(page, tmp_path):
    bad = tmp_path / "corrupt_pano.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 100)
    page.reload(wait_until="networkidle")  # an empty upload box
    page.wait_for_selector("#run")
    _upload(page, bad)
    page.click("#run")
    page.wait_for_selector(".toast-body, [data-testid='toast-body']")
    page.screenshot(path=str(tmp_path / "error.png"))
    toast = page.locator(".toast-body, [data-testid='toast-body']").first.inner_text()
    assert "corrupt_pano.png" in toast and "Traceback" not in toast
    assert "cannot" in toast.lower() or "not" in toast.lower()
    if os.environ.get("PANODEPTH_SCREENSHOTS"):
        shutil.copy(tmp_path / "error.png", Path(os.environ["PANODEPTH_SCREENSHOTS"]) / "error.png")
