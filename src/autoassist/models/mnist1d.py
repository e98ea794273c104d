"""Reference models for MNIST-1D: a small 1-D CNN and an MLP, after Greydanus (2020).

The paper's baselines on 4000/1000 instances: logistic regression ~32%, MLP ~68%, CNN ~94% test
accuracy. These models are the same kind and size (a few ten thousand parameters), so a run on a
2-core CPU takes seconds.
"""

from __future__ import annotations

import torch
from torch import nn

from autoassist._errors import check_int


class ConvNet1D(nn.Module):
    """Three strided 1-D convolutions and a linear classifier, for inputs of shape (N, 1, length).

    Each convolution halves the length (40 -> 20 -> 10 -> 5), so the classifier sees
    ``channels * 5`` features for the default length. Returns logits of shape (N, num_classes).
    """

    def __init__(self, num_classes: int = 10, channels: int = 32, *, length: int = 40, in_channels: int = 1) -> None:
        super().__init__()
        num_classes = check_int("num_classes", num_classes, minimum=2)
        channels = check_int("channels", channels, minimum=1)
        length = check_int("length", length, minimum=1)
        self.features = nn.Sequential(
            nn.Conv1d(check_int("in_channels", in_channels, minimum=1), channels, kernel_size=5, stride=2, padding=2),
            nn.ReLU(),
            nn.Conv1d(channels, channels, kernel_size=3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv1d(channels, channels, kernel_size=3, stride=2, padding=1),
            nn.ReLU(),
        )
        out_len = length
        for _ in range(3):
            out_len = (out_len - 1) // 2 + 1
        self.classifier = nn.Linear(channels * out_len, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x).flatten(1))


class MLP(nn.Module):
    """Two hidden ReLU layers of width ``hidden``; any input shape is flattened per instance.

    Returns logits of shape (N, num_classes).
    """

    def __init__(self, in_features: int, num_classes: int, hidden: int = 100) -> None:
        super().__init__()
        in_features = check_int("in_features", in_features, minimum=1)
        num_classes = check_int("num_classes", num_classes, minimum=2)
        hidden = check_int("hidden", hidden, minimum=1)
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(in_features, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)
