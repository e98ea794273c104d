"""A pass's random numbers, drawn inside the compiled loops (numba): SplitMix64.

Each pass takes one 64-bit seed from the estimator's ``numpy.random.Generator`` and draws
everything else from it here, inlined in the loops that use it: the pass's permutation and the
shrinking decisions' uniforms. A numpy ``Generator`` call costs about 10 ns per number on this
kind of machine (an indirect call into PCG64); SplitMix64 inlined costs about 1 ns, so a
permutation of 40,000 instances takes about 0.08 ms instead of 0.6-0.9 ms. A run remains a
function of its ``random_state``.

SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", OOPSLA
2014; the seeding generator of xoshiro, Java's ``SplittableRandom``) passes BigCrush. The state
is a counter advanced by a fixed odd constant; the functions below take it and return it
advanced, so a compiled caller threads it through. Each converts the state it is given to uint64
first: numba types a Python int below 2**63 (such as a returned state) as int64, and int64 mixed
with uint64 arithmetic would give floats.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_LOW32 = np.uint64(0xFFFFFFFF)
_DOUBLE = 1.0 / 9007199254740992.0  # 2**-53


@njit(cache=True, inline="always")
def _mix(z):  # type: ignore[no-untyped-def]
    """SplitMix64's output function of an advanced state."""
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


@njit(cache=True, inline="always")
def _to_double(z):  # type: ignore[no-untyped-def]
    """A 64-bit integer's top 53 bits as a float in [0, 1)."""
    return np.float64(z >> np.uint64(11)) * _DOUBLE


@njit(cache=True, inline="always")
def next_uint64(state):  # type: ignore[no-untyped-def]
    """``(new_state, a uniform 64-bit integer)``."""
    state = np.uint64(state) + _GAMMA
    return state, _mix(state)


@njit(cache=True, inline="always")
def next_double(state):  # type: ignore[no-untyped-def]
    """``(new_state, a uniform float in [0, 1))`` with 53 random bits."""
    state, z = next_uint64(state)
    return state, _to_double(z)


@njit(cache=True, inline="always")
def skip(start, count):  # type: ignore[no-untyped-def]
    """The state after ``count`` numbers drawn from state ``start``."""
    return np.uint64(start) + np.uint64(count) * _GAMMA


@njit(cache=True, inline="always")
def double_at(start, i):  # type: ignore[no-untyped-def]
    """The (i+1)-th uniform float of the stream that starts at state ``start`` (``next_double`` called
    i+1 times from it gives the same number): SplitMix64's state is a counter, so a loop can draw its
    numbers by index, which LLVM vectorises, instead of threading the state through the iterations."""
    return _to_double(_mix(skip(start, i + 1)))


@njit(cache=True, inline="always")
def next_below(state, bound):  # type: ignore[no-untyped-def]
    """``(new_state, a uniform integer in [0, bound))``, exactly uniform, for ``1 <= bound < 2**32``.

    Lemire's multiply-and-shift with rejection ("Fast random integer generation in an interval",
    2019): the high 32 bits of a 32-bit draw times ``bound``, redrawn in the rare case that the
    low bits fall in the biased sliver (probability below ``bound / 2**32``).
    """
    s = np.uint64(bound)
    state, z = next_uint64(state)
    product = (z >> np.uint64(32)) * s
    low = product & _LOW32
    if low < s:
        threshold = ((_LOW32 + np.uint64(1)) - s) % s  # 2**32 mod s
        while low < threshold:
            state, z = next_uint64(state)
            product = (z >> np.uint64(32)) * s
            low = product & _LOW32
    return state, np.int64(product >> np.uint64(32))


@njit(cache=True)
def permutation(state, out):  # type: ignore[no-untyped-def]
    """Fill ``out`` (int64) with a uniformly random permutation of ``0..len(out)-1`` (Fisher-Yates);
    return the advanced state. ``len(out)`` must be below ``2**32``."""
    state = np.uint64(state)
    n = out.shape[0]
    for i in range(n):
        out[i] = i
    for i in range(n - 1, 0, -1):
        state, j = next_below(state, i + 1)
        t = out[j]
        out[j] = out[i]
        out[i] = t
    return state


@njit(cache=True)
def uniforms(state, out):  # type: ignore[no-untyped-def]
    """Fill ``out`` with uniform floats in [0, 1); return the advanced state."""
    state = np.uint64(state)
    for k in range(out.shape[0]):
        state, out[k] = next_double(state)
    return state


def seeds_from(rng: np.random.Generator, count: int) -> np.ndarray:
    """``count`` 64-bit seeds (uint64) from the estimator's generator: one per stream of a pass.

    The bit generator's raw output: the same numbers as ``rng.integers(0, 2**64, size=count,
    dtype=np.uint64)`` in 1.5 us instead of 12 (a pass of heart_scale's 216 instances takes ~60 us).
    """
    return rng.bit_generator.random_raw(count)
