"""Small generic building blocks shared by the students.

Longitude-circular padding: on an equirect image the left and right borders are neighbours
(longitude −180° = +180°), the top and bottom borders are not (the poles). The layers here
pad the width circularly and the height with zeros (``-inf`` for max-pooling), so a network
built from them has no seam at the back of the panorama. :func:`use_circular_padding`
converts an existing network in place, keeping its parameters (and state-dict keys).
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn


class CircularConv2d(nn.Conv2d):
    """:class:`torch.nn.Conv2d` whose width padding wraps around (circular) and whose height
    padding is zeros. Same parameters and state-dict keys as the plain convolution."""

    def _conv_forward(self, x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
        pad_h, pad_w = self.padding  # type: ignore[misc]
        if pad_w:
            x = F.pad(x, (pad_w, pad_w, 0, 0), mode="circular")
        return F.conv2d(x, weight, bias, self.stride, (pad_h, 0), self.dilation, self.groups)


class CircularMaxPool2d(nn.MaxPool2d):
    """:class:`torch.nn.MaxPool2d` whose width padding wraps around (height: ``-inf``)."""

    def forward(self, x: Tensor) -> Tensor:
        pad_h, pad_w = _pair(self.padding)
        if pad_w:
            x = F.pad(x, (pad_w, pad_w, 0, 0), mode="circular")
        return F.max_pool2d(
            x, self.kernel_size, self.stride, (pad_h, 0), self.dilation, self.ceil_mode
        )


def conv3x3(
    in_channels: int, out_channels: int, bias: bool = True, circular: bool = False
) -> nn.Conv2d:
    """A 3×3 convolution, stride 1, padding 1 (longitude-circular if ``circular``)."""
    conv = CircularConv2d if circular else nn.Conv2d
    return conv(in_channels, out_channels, 3, padding=1, bias=bias)


def use_circular_padding(module: nn.Module) -> nn.Module:
    """Make every zero-padded :class:`~torch.nn.Conv2d` and padded :class:`~torch.nn.MaxPool2d`
    inside ``module`` (itself included) pad the width circularly; returns ``module``.

    The converted layers share the original parameter tensors, so weights (e.g. ImageNet
    ones) and state-dict keys are unchanged. Layers without padding are left alone.
    """
    if isinstance(module, nn.Conv2d | nn.MaxPool2d):
        return _circular(module)
    for name, child in module.named_children():
        setattr(module, name, use_circular_padding(child))
    return module


def _circular(layer: nn.Module) -> nn.Module:
    if isinstance(layer, CircularConv2d | CircularMaxPool2d):
        return layer
    if isinstance(layer, nn.Conv2d):
        if isinstance(layer.padding, str) or layer.padding_mode != "zeros":
            raise ValueError(f"cannot convert {layer}: needs integer zero padding")
        if not any(layer.padding):
            return layer
        conv = CircularConv2d(
            layer.in_channels,
            layer.out_channels,
            layer.kernel_size,  # type: ignore[arg-type]
            layer.stride,  # type: ignore[arg-type]
            layer.padding,  # type: ignore[arg-type]
            layer.dilation,  # type: ignore[arg-type]
            layer.groups,
            layer.bias is not None,
            device="meta",
        )
        conv.weight, conv.bias = layer.weight, layer.bias
        return conv
    if isinstance(layer, nn.MaxPool2d):
        if not any(_pair(layer.padding)) or layer.return_indices:
            return layer
        return CircularMaxPool2d(
            layer.kernel_size, layer.stride, layer.padding, layer.dilation, False, layer.ceil_mode
        )
    return layer


def _pair(value: int | tuple[int, ...]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (value[0], value[1])
