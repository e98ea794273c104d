"""The SVM benchmark's bookkeeping (fast) and one end-to-end run on a tiny file (slow)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import dump_svmlight_file

from autoassist.bench.hardware import hardware_info
from autoassist.bench.svm import _median, reach


def test_reach_takes_the_first_pass_under_the_target() -> None:
    curve = {"objective": [2.0, 1.2, 1.005, 1.02, 1.0005], "updates": [0, 10, 20, 30, 40]}
    assert reach(curve, 1.0, 1e-2, "updates") == 20
    assert reach(curve, 1.0, 1e-3, "updates") == 40
    assert reach(curve, 1.0, 1e-4, "updates") is None


def test_median_counts_unreached_seeds_as_infinite() -> None:
    assert _median([1.0, 3.0, None]) == 3.0
    assert _median([1.0, None, None]) is None


def test_hardware_info_has_the_basics() -> None:
    info = hardware_info()
    assert {"platform", "python", "cpu", "cpu_count"} <= set(info)


@pytest.mark.slow
def test_bench_end_to_end(tmp_path: Path) -> None:
    from autoassist.bench.svm import main

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 6))
    y = np.where(X[:, 0] + 0.5 * rng.normal(size=300) > 0, 1, -1)
    dump_svmlight_file(X, y, str(tmp_path / "tiny.svm"))
    assert main(["--data", str(tmp_path / "tiny.svm"), "--passes", "3", "--seeds", "0", "--out", str(tmp_path / "out")]) == 0
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    entry = results["runs"][0]["methods"]["shrinking"]
    assert {"updates_to_1e-2", "seconds_to_1e-2", "updates_to_1e-3", "seconds_to_1e-3"} <= set(entry)
    assert (tmp_path / "out" / "table.md").exists() and list((tmp_path / "out").glob("*.png"))
