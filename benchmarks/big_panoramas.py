"""Peak memory and time of `panodepth predict` on 8K and 16K panoramas (issue 16).

Usage::

    python benchmarks/big_panoramas.py [--source ../shared/data/panoramas/bifusev2_mp3d.jpg]
        [--sizes 8192 16384] [--formats png16 npy preview]

Upsamples a real panorama to each width (JPEG, quality 90, in a temporary folder), runs
``panodepth predict --teacher synthetic-small`` on it (default formats: 16-bit PNG, npy,
preview), and prints the wall time and the peak resident memory of that process (Linux
``ru_maxrss`` of a wrapper's only child).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
WRAP = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
    "stdout=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--source", type=Path, default=ROOT.parent / "shared/data/panoramas/bifusev2_mp3d.jpg"
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[8192, 16384])
    parser.add_argument("--formats", nargs="+", default=["png16", "npy", "preview"])
    args = parser.parse_args()
    exe = str(Path(sys.executable).parent / "panodepth")
    with tempfile.TemporaryDirectory() as tmp:
        src = Image.open(args.source).convert("RGB")
        for width in args.sizes:
            pano = Path(tmp) / f"pano{width}.jpg"
            src.resize((width, width // 2), Image.BICUBIC).save(pano, quality=90)
            cmd = [exe, "predict", str(pano), "--teacher", "synthetic-small", "--out",
                   str(Path(tmp) / "out"), "--overwrite", "--formats", *args.formats]  # fmt: skip
            start = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-c", WRAP, *cmd], capture_output=True, text=True, check=True
            )
            seconds = time.perf_counter() - start
            peak_gb = int(done.stdout.strip().splitlines()[-1]) / 2**20
            print(f"{width}×{width // 2}: {seconds:.1f} s, peak {peak_gb:.2f} GB "
                  f"({' '.join(args.formats)})")  # fmt: skip


if __name__ == "__main__":
    main()
