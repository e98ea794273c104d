"""The integrations are optional: importing autoassist imports neither Lightning nor transformers."""

from __future__ import annotations

import subprocess
import sys


def test_importing_autoassist_imports_no_integration() -> None:
    code = ("import sys, autoassist, autoassist.distributed, autoassist.integrations; "
            "print(sorted(m for m in ('lightning', 'pytorch_lightning', 'transformers', 'accelerate') "
            "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
