"""Small reference models for the benchmarks and the demo.

``build_model(name, ...)`` builds a classifier by name; ``default_model_for(dataset)`` says which
one a dataset gets unless the user picks another. The translation model, ``Seq2SeqTransformer``,
is built from its own ``TransformerConfig`` (``autoassist.models.transformer``). Nothing is seeded here: call ``torch.manual_seed``
before building a model to make its initial weights reproducible.
"""

from __future__ import annotations

import math

from torch import nn

from autoassist._errors import fail
from autoassist.models.cnn import SmallCNN
from autoassist.models.mnist1d import MLP, ConvNet1D
from autoassist.models.resnet import ResNetCIFAR, resnet20
from autoassist.models.transformer import Seq2SeqTransformer, TransformerConfig, translate

#: The reference models and the options each takes (``cnn:width=16``).
MODEL_OPTIONS: dict[str, tuple[str, ...]] = {"cnn": ("width",), "conv1d": ("channels",), "mlp": ("hidden",),
                                             "resnet20": ()}
MODEL_NAMES = tuple(MODEL_OPTIONS)
_DEFAULTS = {"mnist1d": "conv1d", "mnist": "cnn", "fashion-mnist": "cnn", "cifar10": "resnet20"}

__all__ = ["MLP", "MODEL_NAMES", "MODEL_OPTIONS", "ConvNet1D", "ResNetCIFAR", "Seq2SeqTransformer", "SmallCNN",
           "TransformerConfig", "build_model", "default_model_for", "resnet20", "translate"]


def build_model(name: str, *, num_classes: int, in_channels: int, input_shape: tuple[int, ...],
                **options: int) -> nn.Module:
    """Build the reference model ``name`` for inputs of ``input_shape`` (one instance, no batch axis).

    ``input_shape`` is (C, H, W) for images or (C, L) for 1-D signals; it sets the image size of
    "cnn", the length of "conv1d" and the input width of "mlp" (which flattens any shape).
    Returns an untrained ``nn.Module`` whose output is logits of shape (N, num_classes).
    ``options`` go to the model's constructor: ``width`` for "cnn", ``channels`` for "conv1d",
    ``hidden`` for "mlp" (the benchmarks write them as ``cnn:width=16``).
    """
    allowed = set(MODEL_OPTIONS.get(name, ()))
    if set(options) - allowed:
        raise fail("model options", f"among {sorted(allowed)} for model {name!r}", sorted(options))
    shape = tuple(int(s) for s in input_shape)
    if not shape or shape[0] != in_channels:
        raise fail("input_shape", f"a shape whose first entry (channels) equals in_channels={in_channels}", shape,
                   "Pass the shape of one instance without the batch axis, channels first.")
    if name == "cnn":
        if len(shape) != 3 or shape[1] != shape[2] or shape[1] % 4:
            raise fail("input_shape", "(C, H, W) with H == W divisible by 4 for model 'cnn'", shape,
                       "Use model 'mlp' or 'conv1d' for other inputs.")
        return SmallCNN(in_channels, num_classes, image_size=shape[1], **options)
    if name == "conv1d":
        if len(shape) != 2:
            raise fail("input_shape", "(C, L) for model 'conv1d'", shape, "Use model 'cnn' or 'resnet20' for images.")
        return ConvNet1D(num_classes, length=shape[1], in_channels=in_channels, **options)
    if name == "mlp":
        return MLP(math.prod(shape), num_classes, **options)
    if name == "resnet20":
        if len(shape) != 3:
            raise fail("input_shape", "(C, H, W) for model 'resnet20'", shape)
        return resnet20(num_classes, in_channels)
    raise fail("model", "one of " + ", ".join(repr(n) for n in MODEL_NAMES), repr(name))


def default_model_for(dataset_name: str) -> str:
    """Return the name of the reference model a dataset gets by default (see ``MODEL_NAMES``)."""
    key = dataset_name.lower().replace("_", "-")
    if key not in _DEFAULTS:
        raise fail("dataset", "one of " + ", ".join(repr(n) for n in _DEFAULTS), repr(dataset_name))
    return _DEFAULTS[key]
