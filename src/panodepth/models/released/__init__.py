"""The Depth Anywhere release's trained checkpoints in panodepth.

The release (https://github.com/albert100121/Depth-Anywhere) ships ten ``.pth`` files, plain
``state_dict`` s of its own copies of UniFuse, BiFuseV2, HoHoNet and EGFormer
(:class:`ReleasedWeights`). :func:`load_released` reads one safely
(``torch.load(weights_only=True)``), detects the architecture from its keys, maps the weights
onto panodepth's student (:mod:`.layouts`: a checked bijection; projection grids and lookup
tables are dropped and recomputed, the release's never-used heads are dropped) and builds
it with the release's head and math (``head``, ``release_math=True``,
:mod:`panodepth.models.release_math`), so that it computes what the release computes — at any
W = 2·H size. ``benchmarks/release_parity.py`` checks this against the release's own code.

Every released ``pred_depth`` is relative disparity (:data:`OUTPUT_KIND`).
"""

from .convert import (
    Conversion,
    ReleaseFormatError,
    build_released,
    convert_state_dict,
    detect_architecture,
    student_of,
)
from .files import load_released, read_release_file, resolve_released, sha256
from .layouts import LAYOUTS, ReleaseLayout
from .weights import (
    DOWNLOAD_URL,
    LICENCE,
    OUTPUT_KIND,
    ReleasedCheckpoint,
    ReleasedWeights,
    panodepth_home,
    released_dir,
    released_names,
)

__all__ = [
    "DOWNLOAD_URL",
    "LAYOUTS",
    "LICENCE",
    "OUTPUT_KIND",
    "Conversion",
    "ReleaseFormatError",
    "ReleaseLayout",
    "ReleasedCheckpoint",
    "ReleasedWeights",
    "build_released",
    "convert_state_dict",
    "detect_architecture",
    "load_released",
    "panodepth_home",
    "read_release_file",
    "released_dir",
    "released_names",
    "resolve_released",
    "sha256",
    "student_of",
]
