"""``panodepth app``: a local web app (Gradio) to estimate depth for one's own panoramas.

:mod:`.service` holds the work (models on offer, one prediction per request written through
:mod:`panodepth.inference.api`, the page's summary) and imports no Gradio; :mod:`.ui` holds
the page. Gradio is the optional extra ``panodepth[app]``: import :mod:`.ui` only after
``panodepth.extras.require("app", …)``.
"""

from __future__ import annotations

from .service import AppError, DepthService, ModelSpec, PageResult, bundled_samples, default_models

__all__ = [
    "AppError",
    "DepthService",
    "ModelSpec",
    "PageResult",
    "bundled_samples",
    "default_models",
]
