"""Slow: the demo on the real Fashion-MNIST files in ../shared/data (skipped where they are absent)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autoassist.cli import main

FASHION = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "fashion-mnist"


@pytest.mark.slow
@pytest.mark.skipif(not FASHION.is_dir(), reason="../shared/data/fashion-mnist is not here")
def test_demo_on_fashion_mnist(tmp_path: Path) -> None:
    args = ["demo", "--dataset", "fashion-mnist", "--data-dir", str(FASHION), "--epochs", "1",
            "--limit-train", "6000", "--eval-points", "2", "--out", str(tmp_path)]
    assert main(args) == 0
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["methods"]["uniform"]["final_test_accuracy"] > 0.6
    assert results["methods"]["autoassist"]["keep_rate"] < 1.0
