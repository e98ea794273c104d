"""The prefetch hint compiles, reads nothing and changes nothing, even past an array's end."""

import numpy as np
import pytest
from numba import njit

from autoassist.linear._prefetch import prefetch


@njit(cache=False)
def _sum_with_hints(values, order, ahead):  # type: ignore[no-untyped-def]
    total = 0.0
    for k in range(order.shape[0]):
        prefetch(values, order[k] + ahead)  # past the end for the last draws: only a hint, never a load
        prefetch(values, np.uint64(order[k]))
        total += values[order[k]]
    return total


def test_prefetch_leaves_results_unchanged() -> None:
    values = np.arange(10.0)
    order = np.array([3, 9, 0, 9, 5])
    assert _sum_with_hints(values, order, 1_000_000) == 26.0


def test_prefetch_types_its_arguments() -> None:
    with pytest.raises(Exception, match="prefetch|_prefetch"):
        njit(lambda a: prefetch(a, 0.5))(np.zeros(3))  # a float index is not one
