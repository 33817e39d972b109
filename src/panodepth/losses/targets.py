"""Loss targets from labelled ground truth, and the combination of the two loss terms.

Conventions:
    * GT depth is range in metres; 0 (or anything ≤ 0, NaN) marks invalid pixels, so the
      GT's values are never checked.
    * Depth Anywhere trains the student in disparity: labelled GT is valid where
      ``0 < depth ≤ max_depth`` (10 m) and inverted to disparity there
      (:func:`panodepth.geometry.safe_reciprocal`).
    * The total loss is ``w_gt · loss(GT) + w_pseudo · loss(pseudo)`` with 0.5 / 0.5 in the
      paper; the weights are applied as given, never renormalised.
"""

from __future__ import annotations

import torch  # noqa: F401  (the doctest examples use it)
from torch import Tensor

from ..checks import NotATensorError, ShapeError, check_map, check_mask, check_positive
from ..geometry.depth import safe_reciprocal


def gt_disparity_target(
    depth: Tensor, max_depth: float = 10.0, mask: Tensor | None = None
) -> tuple[Tensor, Tensor]:
    """Disparity target and validity mask of a labelled depth map.

    Args:
        depth: (..., H, W) GT depth in metres (e.g. (B, 1, H, W)); ≤ 0 or NaN = invalid.
        max_depth: pixels farther than this are invalid (10 m in Depth Anywhere).
        mask: optional extra (..., H, W) bool mask (True = valid), combined with AND.

    Returns:
        ``(disparity, valid)``, both of ``depth``'s shape: ``1/depth`` where valid, 0
        elsewhere; ``valid = (depth > 0) & (depth ≤ max_depth) & mask``.

    Example:
        >>> disparity, valid = gt_disparity_target(torch.tensor([[0.0, 2.0, 12.0]]))
        >>> disparity, valid
        (tensor([[0.0000, 0.5000, 0.0000]]), tensor([[False,  True, False]]))
    """
    depth = check_map(depth, "depth")
    max_depth = check_positive(max_depth, "max_depth")
    extra = check_mask(mask, depth)
    valid = (depth > 0) & (depth <= max_depth)  # parenthesised: no `depth > 0 & mask` slip
    valid = valid & extra
    return safe_reciprocal(depth, valid), valid


def total_loss(
    gt_loss: Tensor, pseudo_loss: Tensor, w_gt: float = 0.5, w_pseudo: float = 0.5
) -> Tensor:
    """Depth Anywhere's training objective ``w_gt · gt_loss + w_pseudo · pseudo_loss``.

    Args:
        gt_loss: scalar loss on labelled panoramas (e.g. affine-invariant on GT disparity).
        pseudo_loss: scalar loss on pseudo-labelled cube faces.
        w_gt: weight of the GT term, ≥ 0 (0.5 in the paper).
        w_pseudo: weight of the pseudo-label term, ≥ 0 (0.5 in the paper).

    Returns:
        Scalar weighted sum (weights used as given, not renormalised).

    Example:
        >>> total_loss(torch.tensor(1.0), torch.tensor(3.0))
        tensor(2.)
    """
    for name, value in (("gt_loss", gt_loss), ("pseudo_loss", pseudo_loss)):
        if not isinstance(value, Tensor):
            raise NotATensorError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
        if value.ndim != 0:
            raise ShapeError(f"{name} must be a scalar tensor, got shape {tuple(value.shape)}")
    w_gt = check_positive(w_gt, "w_gt", allow_zero=True)
    w_pseudo = check_positive(w_pseudo, "w_pseudo", allow_zero=True)
    return w_gt * gt_loss + w_pseudo * pseudo_loss
