"""panodepth: monocular depth for 360° panoramas (the Depth Anywhere recipe and its toolkit)."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # lazy: `import panodepth` stays cheap (no torch); `panodepth.predict` loads inference
    if name == "predict":
        from .inference.api import predict

        return predict
    raise AttributeError(f"module 'panodepth' has no attribute {name!r}")
