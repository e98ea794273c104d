"""A small image CNN for 28x28 inputs (MNIST, Fashion-MNIST), cheap enough for a 2-core CPU."""

from __future__ import annotations

import torch
from torch import nn

from autoassist._errors import check_int


class SmallCNN(nn.Module):
    """Two 3x3 conv blocks (``width // 2`` then ``width`` channels, each ReLU + 2x2 max-pool) and a
    two-layer classifier (128 hidden units). Returns logits of shape (N, num_classes).

    Why this shape: the benchmarks train it for several epochs on 60k images many times over, on
    a shared 2-core CPU. 3x3 kernels and a half-width first layer cost about a tenth of the classic
    5x5 32/64 network's multiply-adds, while still reaching about 91% Fashion-MNIST test accuracy
    in a few epochs. ``width`` scales both conv layers; ``image_size`` is the input's height and
    width (any size divisible by 4).
    """

    def __init__(self, in_channels: int = 1, num_classes: int = 10, width: int = 32, *, image_size: int = 28) -> None:
        super().__init__()
        in_channels = check_int("in_channels", in_channels, minimum=1)
        num_classes = check_int("num_classes", num_classes, minimum=2)
        width = check_int("width", width, minimum=2)
        image_size = check_int("image_size", image_size, minimum=4)
        half = width // 2
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, half, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(half, width, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        side = image_size // 4
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(width * side * side, 128),
            nn.ReLU(),
            nn.Linear(128, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))
