"""Inference-time rewrites of a student: same outputs, less work per forward pass.

:func:`prepare_for_inference` returns the student in eval mode with

* every BatchNorm that directly follows a convolution folded into that convolution's weights
  and bias (``torch.nn.utils.fusion.fuse_conv_bn_eval``): convolution → BatchNorm pairs
  inside ``nn.Sequential`` containers and in torchvision's ResNet blocks (``conv{i}`` →
  ``bn{i}``), in 1-D and 2-D; the BatchNorm becomes an ``nn.Identity``. In eval mode a
  BatchNorm is an affine map per channel, so the fold is exact up to float rounding;
* convolution weights in channels-last memory order (faster convolutions with oneDNN on
  CPUs and with cuDNN), when ``channels_last``.

Only for inference: the folded model has no BatchNorm statistics to train and a different
state dict. ``panodepth predict`` and ``panodepth eval`` run students through it; measured in
``benchmarks/release_parity.py`` (4–20 % faster per forward on a CPU).
"""

from __future__ import annotations

import copy as copy_module
import itertools

import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval
from torchvision.models.resnet import BasicBlock, Bottleneck


def prepare_for_inference(
    model: nn.Module, channels_last: bool = True, copy: bool = True
) -> nn.Module:
    """``model`` (a copy unless ``copy=False``) in eval mode, BatchNorm folded, see module doc.

    Returns the model; ``model.folded_batchnorms`` counts the folds.
    """
    if copy:
        model = copy_module.deepcopy(model)
    model.eval()
    folded = 0
    for module in list(model.modules()):
        if isinstance(module, BasicBlock | Bottleneck):
            for i in (1, 2, 3):
                conv, norm = getattr(module, f"conv{i}", None), getattr(module, f"bn{i}", None)
                if _foldable(conv, norm):
                    setattr(module, f"conv{i}", fuse_conv_bn_eval(conv, norm))
                    setattr(module, f"bn{i}", nn.Identity())
                    folded += 1
        elif isinstance(module, nn.Sequential):
            names = list(module._modules)
            for first, second in itertools.pairwise(names):
                conv, norm = module._modules[first], module._modules[second]
                if _foldable(conv, norm):
                    module._modules[first] = fuse_conv_bn_eval(conv, norm)
                    module._modules[second] = nn.Identity()
                    folded += 1
    if channels_last:
        for module in model.modules():
            if isinstance(module, nn.Conv2d):
                module.weight.data = module.weight.data.contiguous(
                    memory_format=torch.channels_last
                )
    model.folded_batchnorms = folded
    return model


def _foldable(conv: object, norm: object) -> bool:
    pairs = (nn.Conv1d, nn.BatchNorm1d), (nn.Conv2d, nn.BatchNorm2d)
    return (
        any(isinstance(conv, c) and isinstance(norm, n) for c, n in pairs)
        and norm.running_mean is not None
        and conv.out_channels == norm.num_features
    )
