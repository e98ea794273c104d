"""The first version's feature construction against today's, on the same machine, one after the other.

Usage: python benchmarks/features/compare_v0_1.py old|new N
The first version's ``features.py`` is taken from git (commit 2453902) into a temporary folder. The data is a
plain map-style dataset (items read one by one) of N float32 vectors of 61 values.
"""

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch.utils.data import TensorDataset


class Items:
    def __init__(self, base: TensorDataset) -> None:
        self.base = base

    def __len__(self) -> int:
        return len(self.base)

    def __getitem__(self, i: int):  # type: ignore[no-untyped-def]
        return self.base[i]


which, n = sys.argv[1], int(sys.argv[2])
x, y = torch.randn(n, 61), torch.randint(0, 10, (n,))
data = Items(TensorDataset(x, y))
if which == "old":
    folder = Path(tempfile.mkdtemp())
    source = subprocess.run(["git", "show", "2453902:src/autoassist/features.py"], capture_output=True, text=True,
                            check=True).stdout
    (folder / "old_features.py").write_text(source)
    sys.path.insert(0, str(folder))
    import old_features as features  # type: ignore[import-not-found]
else:
    import autoassist.features as features  # type: ignore[no-redef]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
features.build_features(data) if which == "old" else features.build_features(data, progress=False)
print(f"{which} N={n}: {time.perf_counter() - start:.1f} s, "
      f"{(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024:.0f} MB peak added")
