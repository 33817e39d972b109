"""Load the Depth Anywhere release's own model code (albert100121/Depth-Anywhere) on a CPU.

Used by ``benchmarks/release_parity.py`` (parity and speed of panodepth's converted students
against the release) to build the four released networks exactly as the release's
``inference.py`` does. The checkout is only read; nothing of it is copied into panodepth.

What has to be neutralised for the release to run here, and how (all undone on exit):

* ``.cuda()`` of tensors and modules returns its receiver (EGFormer moves its tables there in
  its constructor and in ``forward``);
* torchvision's ResNet builders ignore ``weights`` / ``pretrained`` (BiFuseV2 and HoHoNet ask
  for ImageNet weights in their constructors; the weights are replaced anyway);
* modules that the release imports but the four networks never call are stand-ins when not
  installed: ``timm`` (EGFormer: ``DropPath``, ``trunc_normal_``, ``to_2tuple``,
  ``register_model``), ``einops`` (two rearrangements), ``sklearn``, ``shapely``, ``imageio``
  (HoHoNet's layout head, BiFuse's demo code), ``pytorch3d`` (the release's rotation
  helpers); ``np.bool`` / ``np.float`` exist again (the
  release's ``inference.py`` sets them too);
* the release's ``utils`` and EGFormer's ``models`` are namespace packages without their
  ``__init__`` (which would import the training code and shadow ``benchmarks/models.py``).
"""

from __future__ import annotations

import importlib.util
import os
import sys
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
import torchvision
from torch import Tensor, nn

ARCHES = ("unifuse", "bifusepp", "hohonet", "egformer")


@contextmanager
def release_environment(root: Path) -> Iterator[None]:
    """Everything above, for the duration of the block."""
    root = Path(root).resolve()
    if not (root / "inference.py").is_file() or not (root / "baseline_models").is_dir():
        raise SystemExit(f"{root}: not a checkout of albert100121/Depth-Anywhere (no inference.py)")
    os.environ.setdefault("MPLBACKEND", "Agg")  # EGFormer's PanoFormer code imports pylab
    saved_path, saved_modules = list(sys.path), dict(sys.modules)
    saved_np = {k: getattr(np, k, None) for k in ("bool", "float")}
    saved_resnets = {
        k: getattr(torchvision.models, k) for k in ("resnet18", "resnet34", "resnet50")
    }
    cuda = no_cuda()
    cuda.__enter__()
    np.bool, np.float = np.bool_, np.float32  # type: ignore[attr-defined]
    for name, builder in saved_resnets.items():
        setattr(torchvision.models, name, _without_weights(builder))
    stand_ins()
    sys.path[:0] = [str(root), str(root / "baseline_models/HoHoNet"),
                    str(root / "baseline_models/EGformer")]  # fmt: skip
    _namespace("utils", root / "utils")
    _namespace("models", root / "baseline_models/EGformer/models")
    try:
        yield
    finally:
        cuda.__exit__(None, None, None)
        for name, builder in saved_resnets.items():
            setattr(torchvision.models, name, builder)
        for k, v in saved_np.items():
            if v is None:
                delattr(np, k)
            else:
                setattr(np, k, v)
        sys.path[:] = saved_path
        for name in set(sys.modules) - set(saved_modules):
            del sys.modules[name]


def _without_weights(builder: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
    def build(*args: object, weights: object = None, pretrained: object = None, **kw: object):
        return builder(weights=None, **kw)

    return build


def _namespace(name: str, path: Path) -> None:
    package = types.ModuleType(name)
    package.__path__ = [str(path)]
    sys.modules[name] = package


@contextmanager
def no_cuda() -> Iterator[None]:
    """``.cuda()`` of tensors and modules returns its receiver while the block runs."""
    saved = torch.Tensor.cuda, nn.Module.cuda
    torch.Tensor.cuda = lambda self, *a, **k: self  # type: ignore[method-assign]
    nn.Module.cuda = lambda self, *a, **k: self  # type: ignore[method-assign]
    try:
        yield
    finally:
        torch.Tensor.cuda, nn.Module.cuda = saved  # type: ignore[method-assign]


def stand_ins() -> None:
    """Minimal modules for what the release (or the original EGformer) imports but the
    networks never call, for each one that is not installed (see the module docstring)."""

    def module(name: str, **attrs: object) -> None:
        mod = types.ModuleType(name)
        mod.__dict__.update(attrs)
        sys.modules[name] = mod

    class DropPath(nn.Module):
        def __init__(self, drop_prob: float = 0.0) -> None:
            super().__init__()
            self.drop_prob = drop_prob

        def forward(self, x: Tensor) -> Tensor:  # eval only here
            return x

    def rearrange(x: Tensor, pattern: str, **axes: int) -> Tensor:
        src, dst = (p.replace("(", " ").replace(")", " ").split() for p in pattern.split("->"))
        if src == ["b", "c", "h", "w"] and dst == ["b", "h", "w", "c"]:
            return x.flatten(2).transpose(1, 2)  # b c h w -> b (h w) c
        if src == ["b", "h", "w", "c"] and dst == ["b", "c", "h", "w"]:
            return x.transpose(1, 2).reshape(x.shape[0], -1, axes["h"], axes["w"])
        raise NotImplementedError(pattern)

    class Rearrange(nn.Module):
        def __init__(self, pattern: str, **axes: int) -> None:
            super().__init__()
            self.pattern, self.axes = pattern, axes

        def forward(self, x: Tensor) -> Tensor:
            return rearrange(x, self.pattern, **self.axes)

    if importlib.util.find_spec("timm") is None:
        module("timm")
        module("timm.data", IMAGENET_DEFAULT_MEAN=(0.485, 0.456, 0.406),
               IMAGENET_DEFAULT_STD=(0.229, 0.224, 0.225))  # fmt: skip
        module("timm.models")
        module("timm.models.helpers", load_pretrained=None)
        module("timm.models.registry", register_model=lambda f: f)
        module("timm.models.layers", DropPath=DropPath, to_2tuple=lambda x: (x, x),
               trunc_normal_=lambda t, std=1.0: nn.init.trunc_normal_(t, std=std))  # fmt: skip
    if importlib.util.find_spec("einops") is None:
        module("einops", rearrange=rearrange, repeat=None)
        module("einops.layers")
        module("einops.layers.torch", Rearrange=Rearrange)
    if importlib.util.find_spec("sklearn") is None:
        module("sklearn")
        module("sklearn.linear_model", HuberRegressor=None)
        module("sklearn.decomposition", PCA=None)
    if importlib.util.find_spec("shapely") is None:
        module("shapely")
        module("shapely.geometry", Polygon=None)
    if importlib.util.find_spec("imageio") is None:
        module("imageio", imread=None)
    if importlib.util.find_spec("pytorch3d") is None:  # the release's rotation helpers only
        module("pytorch3d")
        module("pytorch3d.transforms")
        module("pytorch3d.transforms.rotation_conversions")


def build(arch: str) -> nn.Module:
    """The release's network for ``arch`` (``ARCHES``), built as its ``inference.py`` builds
    it, in eval mode on the CPU (call inside :func:`release_environment`)."""
    if arch == "unifuse":
        from baseline_models.UniFuse.networks import UniFuse  # type: ignore[import-not-found]

        model = UniFuse(num_layers=18, equi_h=512, equi_w=1024, pretrained=False,
                        max_depth=10.0, fusion_type="cee", se_in_fusion=True)  # fmt: skip
    elif arch == "bifusepp":
        from baseline_models.BiFuseV2 import BiFuse  # type: ignore[import-not-found]

        with _in_temp_dir():  # its BaseModule makes the folder ``save_path`` (mkdir -p)
            model = BiFuse.SupervisedCombinedModel(
                "outputs", {"layers": 34, "CE_equi_h": [8, 16, 32, 64, 128, 256, 512]}
            )
    elif arch == "hohonet":
        from lib.model.hohonet import HoHoNet  # type: ignore[import-not-found]

        model = HoHoNet(
            emb_dim=256,
            backbone_config={"module": "Resnet", "kwargs": {"backbone": "resnet50"}},
            decode_config={"module": "EfficientHeightReduction"},
            refine_config={
                "module": "TransEn", "kwargs": {"position_encode": 256, "num_layers": 1}
            },
            modalities_config={
                "DepthEstimator": {"basis": "dct", "n_components": 64, "loss": "l1"}
            },
        )  # fmt: skip
        model.forward = model.infer  # as inference.py: pred_depth = rows 80:-80
    elif arch == "egformer":
        import models.egformer as egformer  # type: ignore[import-not-found]

        model = egformer.EGDepthModel(hybrid=False)
    else:
        raise ValueError(f"arch must be one of {ARCHES}, got {arch!r}")
    return model.eval()


def cube_strip(rgb: np.ndarray) -> np.ndarray:
    """UniFuse's second input: the release's own ``py360_E2C`` (face H/2) of an H×W×3 float
    image (``inference.py`` applies it to the uint8 image; see ``release_parity.py``)."""
    from utils.Projection import py360_E2C  # type: ignore[import-not-found]

    h, w = rgb.shape[:2]
    return py360_E2C(equ_h=h, equ_w=w, face_w=h // 2).run(rgb)


@contextmanager
def _in_temp_dir() -> Iterator[None]:
    import tempfile

    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        try:
            yield
        finally:
            os.chdir(cwd)
