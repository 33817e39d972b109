"""Inference on your own panoramas: students or a stitched perspective teacher → depth files.

* :mod:`.predictor`: the tensor side — :class:`Predictor` (working size, batches, rotation
  ensembles), depth from (relative or metric) disparity;
* :mod:`.teacher_stitch`: a perspective teacher on six overlapping views, aligned per view
  without ground truth and blended (:class:`TeacherStitcher`);
* :mod:`.outputs`: the files written per input (16-bit PNG + JSON sidecar, .npy, .exr,
  preview, PLY, GLB; the depth formats are :mod:`panodepth.io`'s);
* :mod:`.evaluate`: :func:`evaluate_dataset` (a predictor scored on a labeled dataset);
* :mod:`.api`: :func:`predict` (the Python twin of ``panodepth predict``) and
  :func:`write_result`. Inputs are collected by :func:`panodepth.io.collect_inputs`
  (re-exported here with :class:`~panodepth.io.InputItem`).

Importing this package does not import :mod:`panodepth.data` (torchvision) or Lightning:
files go through :mod:`panodepth.io`, students load through :mod:`panodepth.io.students`.

Depth is range along the ray in the camera frame of :mod:`panodepth.geometry.sphere`; it is
metric only for students with a ``"depth"`` head (``result.metric``), relative otherwise.
"""

from .api import (
    InputItem,
    PredictionResult,
    build_predictor,
    collect_inputs,
    predict,
    predict_iter,
    write_result,
)
from .evaluate import EvaluationReport, evaluate_dataset
from .predictor import (
    Predictor,
    StudentDisparity,
    align_affine,
    depth_from_disparity,
    ensemble_disparity,
    ensemble_rotations,
    resize_disparity,
    working_height,
)
from .teacher_stitch import TeacherStitcher, blend_views, fit_view_affines, stitch_views

__all__ = [
    "EvaluationReport",
    "InputItem",
    "PredictionResult",
    "Predictor",
    "StudentDisparity",
    "TeacherStitcher",
    "align_affine",
    "blend_views",
    "build_predictor",
    "collect_inputs",
    "depth_from_disparity",
    "ensemble_disparity",
    "ensemble_rotations",
    "evaluate_dataset",
    "fit_view_affines",
    "predict",
    "predict_iter",
    "resize_disparity",
    "stitch_views",
    "working_height",
    "write_result",
]
