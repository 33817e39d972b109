"""The ten checkpoints of the Depth Anywhere release, as a weights enum with their facts.

In the manner of torchvision's weights enums: each member holds a
:class:`ReleasedCheckpoint` (architecture, training data, the paper's zero-shot Stanford2D3D
figures, the release's file, licence status). The release states no licence, so panodepth
never ships or downloads these files: it points to the authors' download and reads the files
from the models folder (:func:`released_dir`) once the user has put them there.

Names are ``<arch>-<labeled data>[-<pseudo-labeled data>]``: ``mp3d`` = Matterport3D
(labeled), ``st3d`` = Structured3D and ``spatialaudiogen`` = SpatialAudioGen (both unlabeled,
pseudo-labeled by Depth Anything V1 ViT-L through the cube projection).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from .layouts import LAYOUTS

DOWNLOAD_URL = "https://drive.google.com/file/d/1yE555x5tvC3zJx_KxyuMKi4ok-joKpdg/view"
RELEASE_REPO = "https://github.com/albert100121/Depth-Anywhere"
LICENCE = "none stated by the release (no licence file); not redistributed by panodepth"
OUTPUT_KIND = (
    "relative disparity: the release trains every pred_depth against inverse ground-truth depth "
    "min-max normalised to [0, 1] per image, with an affine-invariant loss, so the scale and "
    "the shift are unknown"
)
HOME_ENV = "PANODEPTH_HOME"
RELEASE_SUBDIR = "depth-anywhere"

_DATA = {
    "mp3d": "Matterport3D (labeled)",
    "st3d": "Matterport3D (labeled) + Structured3D (unlabeled, pseudo-labeled)",
    "spatialaudiogen": "Matterport3D (labeled) + SpatialAudioGen (unlabeled, pseudo-labeled)",
}
_SUFFIX = {"mp3d": "", "st3d": "_st3d", "spatialaudiogen": "_SpatialAudioGen"}


@dataclass(frozen=True)
class ReleasedCheckpoint:
    """Facts of one released checkpoint.

    Attributes:
        arch: panodepth registry name of the student.
        data: key of the training data: ``"mp3d"``, ``"st3d"`` or ``"spatialaudiogen"``.
        zero_shot_s2d3d: the paper's zero-shot Stanford2D3D (AbsRel, δ1) for this
            architecture and data (REFERENCE.md, Table 3), ``None`` where the paper gives none.
        num_params: parameters of the converted student (dropped constants and unused heads
            excluded).
    """

    arch: str
    data: str
    zero_shot_s2d3d: tuple[float, float] | None
    num_params: int

    @property
    def name(self) -> str:
        return f"{self.arch}-mp3d" + ("" if self.data == "mp3d" else f"-{self.data}")

    @property
    def training_data(self) -> str:
        return _DATA[self.data]

    @property
    def folder(self) -> str:
        """The release's folder of this architecture (``checkpoints/<folder>/``)."""
        return LAYOUTS[self.arch].release_name

    @property
    def file(self) -> str:
        """The release's file name, e.g. ``UniFuse_st3d.pth``."""
        return f"{self.folder}{_SUFFIX[self.data]}.pth"


_N = {"unifuse": 30_263_281, "bifusepp": 51_436_257, "hohonet": 49_466_433,
      "egformer": 15_388_647}  # fmt: skip


class ReleasedWeights(Enum):
    """The Depth Anywhere release's checkpoints (``ReleasedWeights.UNIFUSE_MP3D_ST3D`` …)."""

    UNIFUSE_MP3D = ReleasedCheckpoint("unifuse", "mp3d", (0.090, 0.914), _N["unifuse"])
    UNIFUSE_MP3D_ST3D = ReleasedCheckpoint("unifuse", "st3d", (0.086, 0.924), _N["unifuse"])
    UNIFUSE_MP3D_SPATIALAUDIOGEN = ReleasedCheckpoint(
        "unifuse", "spatialaudiogen", None, _N["unifuse"]
    )
    BIFUSEPP_MP3D = ReleasedCheckpoint("bifusepp", "mp3d", (0.090, 0.921), _N["bifusepp"])
    BIFUSEPP_MP3D_ST3D = ReleasedCheckpoint("bifusepp", "st3d", (0.082, 0.931), _N["bifusepp"])
    BIFUSEPP_MP3D_SPATIALAUDIOGEN = ReleasedCheckpoint(
        "bifusepp", "spatialaudiogen", None, _N["bifusepp"]
    )
    HOHONET_MP3D = ReleasedCheckpoint("hohonet", "mp3d", (0.095, 0.906), _N["hohonet"])
    HOHONET_MP3D_ST3D = ReleasedCheckpoint("hohonet", "st3d", (0.088, 0.920), _N["hohonet"])
    EGFORMER_MP3D = ReleasedCheckpoint("egformer", "mp3d", (0.098, 0.906), _N["egformer"])
    EGFORMER_MP3D_ST3D = ReleasedCheckpoint("egformer", "st3d", (0.086, 0.923), _N["egformer"])

    @classmethod
    def get(cls, name: str) -> ReleasedWeights:
        """The member called ``name`` (``"unifuse-mp3d-st3d"`` or ``"UNIFUSE_MP3D_ST3D"``)."""
        for member in cls:
            if name.lower() in (member.value.name, member.name.lower()):
                return member
        raise ValueError(f"unknown released checkpoint {name!r}; choose one of {released_names()}")

    @classmethod
    def identify(cls, file_name: str, arch: str) -> ReleasedWeights | None:
        """The member that a release file of architecture ``arch`` is, by its file name (the
        release's own names, any case; ``None`` for other names)."""
        stem = Path(file_name).stem.lower()
        known = {LAYOUTS[a].release_name.lower() for a in LAYOUTS}
        base, _, suffix = stem.partition("_")
        if base not in known:
            return None
        data = {"": "mp3d", "st3d": "st3d", "spatialaudiogen": "spatialaudiogen"}.get(suffix)
        return next((m for m in cls if m.value.arch == arch and m.value.data == data), None)


def released_names() -> list[str]:
    """The names accepted wherever a released checkpoint can be named."""
    return [m.value.name for m in ReleasedWeights]


def panodepth_home() -> Path:
    """panodepth's models folder: ``$PANODEPTH_HOME``, else ``$XDG_CACHE_HOME/panodepth``,
    else ``~/.cache/panodepth``."""
    if os.environ.get(HOME_ENV):
        return Path(os.environ[HOME_ENV]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "panodepth"


def released_dir() -> Path:
    """Where the release's checkpoint folders go: ``<panodepth home>/depth-anywhere/``
    (``UniFuse/UniFuse_st3d.pth`` …, the layout of the release's ``checkpoints/``)."""
    return panodepth_home() / RELEASE_SUBDIR
