"""torchvision ResNet backbones for the students, with ImageNet weights when available.

``pretrained=True`` loads torchvision's ImageNet weights through its own weights API (from the
torch hub cache, or downloaded by torchvision). Offline and not cached, that fails with a
clear :class:`BackboneWeightsError` that says where torchvision looks, instead of a network
traceback. Default: random initialisation.
"""

from __future__ import annotations

from torch import nn
from torchvision import models as tvm

_RESNETS = {
    18: (tvm.resnet18, tvm.ResNet18_Weights.IMAGENET1K_V1),
    34: (tvm.resnet34, tvm.ResNet34_Weights.IMAGENET1K_V1),
    50: (tvm.resnet50, tvm.ResNet50_Weights.IMAGENET1K_V2),
}


class BackboneWeightsError(ValueError):
    """ImageNet weights were asked for but could not be loaded."""


def resnet(depth: int, pretrained: bool = False) -> tvm.ResNet:
    """A torchvision ResNet-``depth`` (18, 34 or 50), ImageNet weights if ``pretrained``."""
    if depth not in _RESNETS:
        raise ValueError(f"ResNet depth must be one of {sorted(_RESNETS)}, got {depth}")
    builder, weights = _RESNETS[depth]
    if not pretrained:
        return builder(weights=None)
    try:
        return builder(weights=weights)
    except (OSError, RuntimeError) as err:  # URLError is an OSError
        from torch.hub import get_dir

        raise BackboneWeightsError(
            f"could not load torchvision's {weights} for resnet{depth} ({err.__class__.__name__}: "
            f"{str(err)[:120]}). Offline? Put the file {weights.url.rsplit('/', 1)[-1]} into "
            f"{get_dir()}/checkpoints/ (download it on a machine with internet), or build the "
            "model with pretrained=False"
        ) from None


def resnet_stages(net: tvm.ResNet) -> tuple[nn.Module, nn.ModuleList]:
    """Split a ResNet into its stem (conv1, bn1, relu; stride 2) and its four stages
    (stage 1 starts with the max-pool: strides 4, 8, 16, 32)."""
    stem = nn.Sequential(net.conv1, net.bn1, net.relu)
    stages = nn.ModuleList(
        [nn.Sequential(net.maxpool, net.layer1), net.layer2, net.layer3, net.layer4]
    )
    return stem, stages
