"""ResNet-20 for 32x32 images (He, Zhang, Ren, Sun 2016, "Deep Residual Learning", Section 4.2).

Three stages of three basic blocks with 16, 32 and 64 channels, global average pooling and a
linear classifier: 6n + 2 = 20 weighted layers for n = 3, about 0.27M parameters.

Shortcuts are **option A**, as in the paper's CIFAR experiments: where a block halves the
resolution and doubles the channels, the shortcut subsamples the input with stride 2 and pads
the new channels with zeros, so shortcuts add no parameters.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from autoassist._errors import check_int


class BasicBlock(nn.Module):
    """conv3x3-BN-ReLU-conv3x3-BN plus an option-A shortcut, then ReLU."""

    def __init__(self, in_planes: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.stride = stride
        self.extra_channels = planes - in_planes

    def shortcut(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride != 1:
            x = x[:, :, :: self.stride, :: self.stride]
        if self.extra_channels > 0:
            half = self.extra_channels // 2
            x = F.pad(x, (0, 0, 0, 0, half, self.extra_channels - half))
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNetCIFAR(nn.Module):
    """CIFAR-style ResNet with ``blocks_per_stage`` basic blocks in each of three stages.

    Returns logits of shape (N, num_classes) for inputs (N, in_channels, H, W), any H and W
    (32x32 in the paper), thanks to global average pooling.
    """

    def __init__(self, blocks_per_stage: int = 3, num_classes: int = 10, in_channels: int = 3) -> None:
        super().__init__()
        blocks_per_stage = check_int("blocks_per_stage", blocks_per_stage, minimum=1)
        num_classes = check_int("num_classes", num_classes, minimum=2)
        in_channels = check_int("in_channels", in_channels, minimum=1)
        self.conv = nn.Conv2d(in_channels, 16, kernel_size=3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(16)
        layers: list[nn.Module] = []
        in_planes = 16
        for planes, stride in ((16, 1), (32, 2), (64, 2)):
            for i in range(blocks_per_stage):
                layers.append(BasicBlock(in_planes, planes, stride if i == 0 else 1))
                in_planes = planes
        self.stages = nn.Sequential(*layers)
        self.fc = nn.Linear(64, num_classes)
        for module in self.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn(self.conv(x)))
        out = self.stages(out)
        out = F.adaptive_avg_pool2d(out, 1).flatten(1)
        return self.fc(out)


def resnet20(num_classes: int = 10, in_channels: int = 3) -> ResNetCIFAR:
    """Return a ResNet-20 (3 blocks per stage, option-A shortcuts, ~0.27M parameters)."""
    return ResNetCIFAR(3, num_classes=num_classes, in_channels=in_channels)
