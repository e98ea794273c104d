"""Seconds of a first default ``ShrinkingSVC().fit`` on an empty numba cache (what a user pays once per install, and
CI once per clone), then of the same fit in a second process with the cache filled, for each source tree given.

    python benchmarks/svm/first_fit_compile.py SRC [SRC ...]   # e.g. src, or a worktree's src at another commit

Each run is a fresh process with ``NUMBA_CACHE_DIR`` set to a new empty folder and ``PYTHONPATH`` to SRC; the fit is
on 400 generated rows with 20 features, 5 passes (compile time dominates).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

FIT = """
import time
from sklearn.datasets import make_classification
from autoassist.linear import ShrinkingSVC
X, y = make_classification(400, 20, random_state=0)
t = time.perf_counter()
ShrinkingSVC(random_state=0, max_iter=5).fit(X, y)
print(f"{time.perf_counter() - t:.1f}")
"""


def main() -> None:
    for src in sys.argv[1:]:
        with tempfile.TemporaryDirectory() as cache:
            env = {**os.environ, "NUMBA_CACHE_DIR": cache, "PYTHONPATH": os.path.abspath(src)}
            cold, warm = (subprocess.run([sys.executable, "-c", FIT], env=env, check=True, capture_output=True,
                                         text=True).stdout.strip() for _ in range(2))
        print(f"{src}: first fit {cold} s on an empty numba cache, {warm} s with it filled", flush=True)


if __name__ == "__main__":
    main()
