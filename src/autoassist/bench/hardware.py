"""What machine produced a benchmark's numbers (saved next to every result)."""

from __future__ import annotations

import os
import platform
from typing import Any


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _git_commit() -> str | None:
    """The commit of the checkout this package runs from (with "+dirty" for uncommitted changes), if any.

    The environment variable ``AUTOASSIST_GIT_COMMIT``, where set, names it instead: for a copy of
    the tree whose ``.git`` is missing or not the one the code was committed in (a GPU machine's copy).
    """
    import os
    import subprocess
    from pathlib import Path

    if os.environ.get("AUTOASSIST_GIT_COMMIT"):
        return os.environ["AUTOASSIST_GIT_COMMIT"]

    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True,
                                timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return (commit + ("+dirty" if dirty else "")) or None


def hardware_info() -> dict[str, Any]:
    """Platform, Python, CPU model and core count, the 1-minute load average when asked (how busy the machine was
    as the benchmark started), numpy/torch/CUDA versions, package version and git commit."""
    from autoassist import __version__

    info: dict[str, Any] = {
        "autoassist_version": __version__,
        "git_commit": _git_commit(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
    }
    try:
        info["cpu_affinity"] = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        pass
    try:
        info["load_average_1min"] = round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        pass
    try:
        import numpy

        info["numpy"] = numpy.__version__
    except ImportError:
        pass
    try:
        import torch

        info["torch"] = torch.__version__
        if torch.cuda.is_available():
            info["cuda_device"] = torch.cuda.get_device_name(0)
    except ImportError:
        pass
    return info
