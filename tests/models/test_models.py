from __future__ import annotations

import pytest
import torch

from autoassist._errors import ParameterError
from autoassist.models import MLP, ConvNet1D, SmallCNN, build_model, default_model_for, resnet20


def n_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize(
    ("name", "shape"),
    [("cnn", (1, 28, 28)), ("conv1d", (1, 40)), ("mlp", (1, 40)), ("mlp", (1, 28, 28)), ("resnet20", (3, 8, 8))],
)
def test_build_forward_backward(name: str, shape: tuple[int, ...]) -> None:
    torch.manual_seed(0)
    model = build_model(name, num_classes=7, in_channels=shape[0], input_shape=shape)
    x = torch.randn(2, *shape)
    out = model(x)
    assert out.shape == (2, 7)
    out.logsumexp(1).sum().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())


def test_parameter_counts() -> None:
    assert 265_000 < n_params(resnet20()) < 275_000  # He et al.: 0.27M
    assert 50_000 < n_params(SmallCNN()) < 400_000
    assert n_params(SmallCNN(width=64)) > n_params(SmallCNN())
    assert 5_000 < n_params(ConvNet1D()) < 50_000
    assert n_params(MLP(40, 10)) == 40 * 100 + 100 + 100 * 100 + 100 + 100 * 10 + 10


def test_seeded_by_caller() -> None:
    torch.manual_seed(1)
    a = ConvNet1D()
    torch.manual_seed(1)
    b = ConvNet1D()
    c = ConvNet1D()
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not all(torch.equal(p, q) for p, q in zip(b.parameters(), c.parameters()))


def test_resnet_other_inputs() -> None:
    model = resnet20(num_classes=10, in_channels=1).eval()
    assert model(torch.randn(2, 1, 12, 12)).shape == (2, 10)


def test_errors() -> None:
    with pytest.raises(ParameterError, match="'cnn', 'conv1d', 'mlp', 'resnet20'"):
        build_model("vgg", num_classes=10, in_channels=1, input_shape=(1, 28, 28))
    with pytest.raises(ParameterError, match="in_channels=3"):
        build_model("cnn", num_classes=10, in_channels=3, input_shape=(1, 28, 28))
    with pytest.raises(ParameterError, match="conv1d"):
        build_model("conv1d", num_classes=10, in_channels=1, input_shape=(1, 28, 28))
    with pytest.raises(ParameterError, match="dataset"):
        default_model_for("imagenet")


def test_default_models() -> None:
    assert default_model_for("mnist1d") == "conv1d"
    assert default_model_for("fashion-mnist") == default_model_for("mnist") == "cnn"
    assert default_model_for("cifar10") == "resnet20"
