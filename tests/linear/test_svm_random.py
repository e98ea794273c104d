"""The compiled pass random numbers (SplitMix64) against a pure-Python reference, and their uniformity."""

from __future__ import annotations

from collections import Counter

import numpy as np

from autoassist.linear import _random as R

_MASK = (1 << 64) - 1


def _splitmix64(seed: int, count: int) -> list[int]:
    """Steele, Lea and Flood's reference SplitMix64, in Python integers."""
    out, state = [], seed
    for _ in range(count):
        state = (state + 0x9E3779B97F4A7C15) & _MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        out.append(z ^ (z >> 31))
    return out


def test_the_stream_is_splitmix64() -> None:
    assert _splitmix64(0, 1) == [0xE220A8397B1DCDAF]  # the published first output for seed 0
    for seed in (0, 12345, 2**64 - 1):
        state, drawn = np.uint64(seed), []
        for _ in range(5):
            new_state, z = R.next_uint64(state)
            state = np.uint64(new_state)  # numba returns a Python int: keep it uint64 on the way back
            drawn.append(int(z))
        assert drawn == _splitmix64(seed, 5)
    out = np.empty(5)
    R.uniforms(7, out)  # a small Python int is converted to uint64, not typed int64
    np.testing.assert_array_equal(out, [(z >> 11) * 2.0**-53 for z in _splitmix64(7, 5)])


def test_numbers_by_index_are_the_sequential_stream() -> None:
    """``double_at(start, i)`` is the (i+1)-th number from ``start`` and ``skip`` the state after them (the
    drift plan draws its decisions by index, then continues the stream for the pass's order)."""
    for seed in (0, 99, 2**64 - 1):
        out = np.empty(6)
        R.uniforms(np.uint64(seed), out)
        np.testing.assert_array_equal([R.double_at(np.uint64(seed), i) for i in range(6)], out)
        state = np.uint64(seed)
        for _ in range(6):
            state = np.uint64(R.next_double(state)[0])
        assert int(R.skip(np.uint64(seed), 6)) == int(state)


def test_permutations_are_uniform() -> None:
    out = np.empty(4, dtype=np.int64)
    counts: Counter[tuple[int, ...]] = Counter()
    for seed in range(24_000):
        R.permutation(np.uint64(seed), out)
        counts[tuple(out.tolist())] += 1
    values = np.array(list(counts.values()))
    assert len(counts) == 24
    assert ((values - 1000.0) ** 2 / 1000.0).sum() < 60.0  # chi-square, 23 degrees of freedom: p < 1e-4
    big = np.empty(10_001, dtype=np.int64)
    R.permutation(np.uint64(3), big)
    np.testing.assert_array_equal(np.sort(big), np.arange(10_001))


def test_bounded_draws_are_exact_and_uniform() -> None:
    state, drawn = np.uint64(5), []
    for _ in range(30_000):
        new_state, j = R.next_below(state, 3)
        state = np.uint64(new_state)
        drawn.append(int(j))
    counts = np.bincount(drawn, minlength=3)
    assert counts.shape == (3,) and np.abs(counts - 10_000).max() < 400
    state, j = R.next_below(np.uint64(1), 1)
    assert j == 0


def test_uniforms_lie_in_the_unit_interval() -> None:
    out = np.empty(100_000)
    R.uniforms(np.uint64(9), out)
    assert out.min() >= 0.0 and out.max() < 1.0 and abs(out.mean() - 0.5) < 0.005
