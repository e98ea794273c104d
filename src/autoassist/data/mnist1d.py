"""MNIST-1D, generated locally: a small, real learning problem that needs no download.

Greydanus (2020), "Scaling down deep learning", arXiv 2011.14439, builds a 1-D analogue of MNIST:
ten hand-drawn 1-D templates (one per digit) are padded, stretched, randomly scaled, shifted,
covered with smoothed and white noise, sheared and resampled to 40 points. Logistic regression
reaches about 32% test accuracy, an MLP about 68% and a small CNN about 94%, so the problem
separates model classes the way MNIST no longer does, and it trains in seconds on a CPU.

This is our own implementation of that recipe (no download, no ``mnist1d`` package). It follows
the paper's pipeline and default settings, but the digit templates are our own drawings and the
random stream differs: it is not the published dataset, and accuracies are close to, not equal to,
the paper's. It is deterministic given ``seed`` and uses its own ``numpy.random.Generator``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from autoassist._errors import check_int

# Each digit as a 12-point piecewise-linear trace (our own drawings), starting and ending at the
# baseline 5: values above 5 are strokes on one side of the digit, below 5 on the other.
_TEMPLATES = np.array(
    [
        [5, 5.8, 6.5, 6.9, 7.1, 7.1, 6.9, 6.5, 5.8, 5.2, 5, 5],  # 0: one wide round hump
        [5, 5, 5, 7, 7.5, 7, 5, 5, 5, 5, 5, 5],  # 1: one narrow spike
        [5, 6.2, 6.8, 6.6, 5.8, 5, 4.2, 3.6, 3.4, 3.6, 4.3, 5],  # 2: up, then down across the baseline
        [5, 6.3, 6.8, 6.3, 5.4, 5.8, 6.6, 7, 6.6, 5.9, 5.3, 5],  # 3: two humps
        [5, 4, 3.2, 3.2, 4, 5, 6.5, 7.2, 6.5, 5, 5, 5],  # 4: a dip, then a spike
        [5, 3.5, 3.3, 3.3, 3.5, 4.5, 5.8, 6.6, 6.8, 6.3, 5.5, 5],  # 5: a flat dip, then a wide hump
        [5, 4.6, 4.1, 3.6, 3.1, 2.8, 2.8, 3.1, 3.7, 4.4, 5, 5],  # 6: a slope down into a round bowl
        [5, 5.4, 5.8, 6.2, 6.6, 7, 7.4, 5, 5, 5, 5, 5],  # 7: a long ramp up, then a sharp drop
        [5, 4, 3.4, 4, 5, 5, 5, 4, 3.4, 4, 5, 5],  # 8: two dips
        [5, 4.2, 3.6, 3.6, 4.2, 5, 5.3, 5.6, 5.9, 6.2, 5.6, 5],  # 9: a loop, then a slow tail up
    ],
    dtype=np.float64,
)

# The paper's defaults (Greydanus 2020, Table 1 and the reference generator).
AMPLITUDE = 1.0 / 6.0  # standardised templates are shrunk to this std, which sets the noise level relative to the digit
PADDING = (36, 60)  # zeros appended after the template before stretching
MAX_TRANSLATION = 48  # circular shift in [0, MAX_TRANSLATION)
SCALE_COEFF = 0.4  # amplitude multiplied by 1 + SCALE_COEFF * U(-0.5, 0.5)
CORR_NOISE_SCALE = 0.25  # Gaussian noise smoothed with sigma 2, only where the signal is absent
IID_NOISE_SCALE = 2e-2
SHEAR_SCALE = 0.75  # a linear ramp of slope SHEAR_SCALE * U(-0.5, 0.5) is subtracted


@dataclass
class MNIST1DArrays:
    """The generated MNIST-1D splits as numpy arrays: x float32 (N, length), y int64 (N,)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def templates() -> np.ndarray:
    """Return the ten digit templates (10, 12): standardised, shifted to start at 0, scaled to std ``AMPLITUDE``.

    Starting at 0 matters: the generator uses "value is exactly 0" to find where the signal is
    absent (the padding), which is where correlated noise is added.
    """
    x = _TEMPLATES - _TEMPLATES.mean(axis=1, keepdims=True)
    x /= x.std(axis=1, keepdims=True)
    return AMPLITUDE * (x - x[:, :1])


def make_mnist1d(num_train: int = 4000, num_test: int = 1000, seed: int = 42, length: int = 40) -> MNIST1DArrays:
    """Generate MNIST-1D and return train and test arrays (x float32 (N, length), y int64 (N,)).

    Classes are exactly balanced within each split up to rounding (labels are ``arange(N) % 10``,
    shuffled). The train and test instances come from one random stream, so different sizes
    give different instances; the same arguments always give the same arrays.
    """
    num_train = check_int("num_train", num_train, minimum=1)
    num_test = check_int("num_test", num_test, minimum=1)
    length = check_int("length", length, minimum=2)
    rng = np.random.default_rng(check_int("seed", seed, minimum=0))
    y_train = rng.permutation(np.arange(num_train) % 10)
    y_test = rng.permutation(np.arange(num_test) % 10)
    x = _generate(np.concatenate([y_train, y_test]), length, rng)
    return MNIST1DArrays(x[:num_train], y_train.astype(np.int64), x[num_train:], y_test.astype(np.int64))


def _generate(labels: np.ndarray, length: int, rng: np.random.Generator) -> np.ndarray:
    """Turn labels into noisy, transformed signals (float32, (N, length))."""
    n = labels.shape[0]
    base = templates()
    template_len = base.shape[1]
    canvas = template_len + PADDING[1]  # 72 points: the longest padded template, stretched to fit all
    grid = np.linspace(0.0, 1.0, canvas)
    pads = np.asarray(rng.integers(PADDING[0], PADDING[1] + 1, size=n))
    signal = np.empty((n, canvas))
    for i in range(n):  # pad with zeros, then stretch to the canvas: a shorter pad dilates the digit more
        padded = np.concatenate([base[labels[i]] + 1e-8, np.zeros(pads[i])])
        signal[i] = np.interp(grid, np.linspace(0.0, 1.0, padded.size), padded)
    signal *= 1.0 + SCALE_COEFF * (rng.random((n, 1)) - 0.5)
    shifts = np.asarray(rng.integers(0, MAX_TRANSLATION, size=n))
    rows = (np.arange(canvas)[None, :] - shifts[:, None]) % canvas
    signal = np.take_along_axis(signal, rows, axis=1)
    absent = signal == 0.0
    smooth = _gaussian_smooth(CORR_NOISE_SCALE * rng.standard_normal((n, canvas)), sigma=2.0)
    signal = np.where(absent, smooth, signal)
    signal += IID_NOISE_SCALE * rng.standard_normal((n, canvas))
    slopes = SHEAR_SCALE * (rng.random((n, 1)) - 0.5)
    signal -= slopes * np.linspace(-0.5, 0.5, canvas)[None, :]
    out = np.stack([np.interp(np.linspace(0.0, 1.0, length), grid, row) for row in signal])
    return out.astype(np.float32)


def _gaussian_smooth(noise: np.ndarray, sigma: float) -> np.ndarray:
    """Smooth each row with a Gaussian kernel (truncated at 4 sigma, reflected edges)."""
    radius = int(4 * sigma + 0.5)
    offsets = np.arange(-radius, radius + 1)
    kernel = np.exp(-0.5 * (offsets / sigma) ** 2)
    kernel /= kernel.sum()
    padded = np.pad(noise, ((0, 0), (radius, radius)), mode="symmetric")
    windows = np.lib.stride_tricks.sliding_window_view(padded, kernel.size, axis=1)
    return windows @ kernel
