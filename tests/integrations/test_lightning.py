"""PyTorch Lightning: the README's diff, run as written; Lightning's DDP on the CPU (slow)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import torch
from torch.utils.data import TensorDataset
from autoassist._state import states_equal

pytest.importorskip("lightning")

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("lightning_ddp_script.py")


def _diff_side(marker: str, keep: str) -> str:
    match = re.search(rf"<!-- {marker} -->\s*```diff\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert match, f"README.md must contain a diff after <!-- {marker} -->"
    return "\n".join(line[1:] for line in match.group(1).splitlines() if line[:1] in (" ", keep)) + "\n"


def test_the_readme_lightning_diff_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = set(threading.enumerate())
    g = torch.Generator().manual_seed(0)
    x = torch.randn(256, 10, generator=g)
    for keep in ("-", "+"):
        (tmp_path / keep).mkdir()
        monkeypatch.chdir(tmp_path / keep)  # Lightning writes its logs and checkpoints here
        scope: dict[str, Any] = {"train_set": TensorDataset(x, (x[:, 0] > 0).long()), "model": torch.nn.Linear(10, 2),
                                 "__name__": "readme"}
        exec(compile(_diff_side("lightning-diff", keep), "README.md", "exec"), scope)
    stats = scope["assist"].assist.stats()
    assert stats["steps"] == 2 * 4 and stats["feedback_batches"] == 8
    assert 0 < stats["keep_rate"] < 1
    ckpt = next((tmp_path / "+").rglob("*.ckpt"))
    assert "assist" in torch.load(ckpt, weights_only=False)["callbacks"]["AutoAssistCallback"]
    assert set(threading.enumerate()) == before


def test_report_takes_token_counts_for_the_token_normalised_loss(tmp_path: Path) -> None:
    import lightning as L

    from autoassist.integrations.lightning import AutoAssistCallback, report

    class Tagger(L.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.model = torch.nn.Linear(4, 3)
            self.checked = 0

        def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
            idx, (x, y, tokens) = batch
            losses = torch.nn.functional.cross_entropy(self.model(x), y, reduction="none")
            loss = report(self, idx, losses, tokens=tokens)
            assert torch.allclose(loss, (losses * tokens).sum() / tokens.sum())
            self.checked += 1
            return loss

        def configure_optimizers(self) -> Any:
            return torch.optim.SGD(self.parameters(), lr=0.1)

    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 4, generator=g)
    data = TensorDataset(x, (x[:, 0] > 0).long(), torch.randint(1, 20, (64,), generator=g).float())
    assist = AutoAssistCallback(data, batch_size=16, seed=0, assistant="loss-only", log=())
    module = Tagger()
    trainer = L.Trainer(max_epochs=1, callbacks=[assist], default_root_dir=str(tmp_path), logger=False,
                        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False)
    trainer.fit(module, assist.loader())
    assert module.checked == 4


def _run(out: Path, *args: str) -> list[dict[str, Any]]:
    out.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, str(SCRIPT), str(out), *args], env=env, capture_output=True, text=True,
                          timeout=400, cwd=out)
    assert done.returncode == 0, done.stderr[-3000:]
    return [torch.load(out / f"rank{r}.pt", weights_only=False) for r in range(2)]


@pytest.mark.slow
def test_lightning_ddp_on_two_cpu_processes_agrees_and_resumes(tmp_path: Path) -> None:
    full = _run(tmp_path / "full")
    assert full[0]["world_size"] == full[1]["world_size"] == 2
    assert len(full[0]["seen"]) == len(full[1]["seen"]) == 2 * 10  # 2 epochs of ceil(320 / 32) steps
    overlapping = sum(bool(set(a) & set(b)) for a, b in zip(full[0]["seen"], full[1]["seen"]))
    assert overlapping <= full[0]["stats"]["passes"]  # only a batch that straddles two passes
    assert states_equal(full[0]["selector"], full[1]["selector"])  # the same Assistant on both ranks
    _run(tmp_path / "head", "-", "7", "7")  # 7 steps, a checkpoint at step 7 (a collective state_dict)
    resumed = _run(tmp_path / "tail", str(tmp_path / "head" / "last.ckpt"))
    for r in range(2):
        assert resumed[r]["seen"] == full[r]["seen"][7:]


def test_misspelt_options_and_taken_loader_options_are_named_before_fit(tmp_path: Path) -> None:
    import lightning as L

    from autoassist._errors import ParameterTypeError
    from autoassist.integrations.lightning import AutoAssistCallback

    data = TensorDataset(torch.randn(40, 4), torch.randint(0, 2, (40,)))
    with pytest.raises(ParameterTypeError, match="batch_sise"):  # it failed only inside trainer.fit
        AutoAssistCallback(data, batch_sise=8)
    callback = AutoAssistCallback(data, batch_size=8, seed=0)
    with pytest.raises(ParameterTypeError, match="loader\\(\\) got batch_size=4"):  # Lightning replaced it
        callback.loader(batch_size=4)
    trainer = L.Trainer(max_epochs=1, limit_train_batches=2, callbacks=[callback], default_root_dir=str(tmp_path),
                        logger=False, enable_checkpointing=False, enable_progress_bar=False)
    with pytest.warns(RuntimeWarning, match="limit_train_batches / overfit_batches"):
        callback.setup(trainer, L.LightningModule(), "fit")
    callback.teardown(trainer, L.LightningModule(), "fit")


def _never() -> Any:
    """A LightningModule whose training must not start (it counts its steps, and fails the first)."""
    import lightning as L

    class Never(L.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.model = torch.nn.Linear(4, 2)
            self.steps = 0

        def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
            self.steps += 1
            raise AssertionError("training started")

        def configure_optimizers(self) -> Any:
            return torch.optim.SGD(self.parameters(), lr=0.1)

    return Never()


def test_a_second_callback_is_refused_with_our_error_before_training(tmp_path: Path) -> None:
    """Two AutoAssistCallbacks (one added after Trainer(...), which Lightning does not check) are refused in setup,
    before a step is taken and before either builds its AutoAssist."""
    import lightning as L

    from autoassist._errors import ParameterError
    from autoassist.integrations.lightning import AutoAssistCallback

    data = TensorDataset(torch.randn(32, 4), torch.randint(0, 2, (32,)))
    first, second = (AutoAssistCallback(data, batch_size=8, seed=0, assistant="loss-only", log=()) for _ in range(2))
    trainer = L.Trainer(max_epochs=1, callbacks=[first], default_root_dir=str(tmp_path), logger=False,
                        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False)
    trainer.callbacks.append(second)
    module = _never()
    with pytest.raises(ParameterError, match="trainer.callbacks must be holding exactly one AutoAssistCallback; "
                                             "got 2 of them.*one per Trainer"):
        trainer.fit(module, first.loader())
    assert module.steps == 0 and first._assist is None and second._assist is None


def test_a_callback_from_configure_callbacks_that_replaces_the_trainers_is_explained(tmp_path: Path) -> None:
    """Lightning puts a module's configure_callbacks() callback in place of the Trainer's of the same type: the fit
    loader's callback then never sets up, and the error only said to pass it to the Trainer, which the user had."""
    import lightning as L

    from autoassist.integrations.lightning import AutoAssistCallback

    data = TensorDataset(torch.randn(32, 4), torch.randint(0, 2, (32,)))
    given, returned = (AutoAssistCallback(data, batch_size=8, seed=0, assistant="loss-only", log=()) for _ in range(2))

    module = _never()
    module.configure_callbacks = lambda: [returned]  # type: ignore[method-assign]
    trainer = L.Trainer(max_epochs=1, callbacks=[given], default_root_dir=str(tmp_path), logger=False,
                        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False)
    with pytest.raises(RuntimeError, match="another AutoAssistCallback replaced it: one that "
                                           "LightningModule.configure_callbacks returns takes the Trainer's place"):
        trainer.fit(module, given.loader())


def test_a_module_that_never_reports_is_told_the_lightning_call(tmp_path: Path) -> None:
    """The "never called" warning names what a Lightning user calls, not the plain loop's assist.report."""
    import lightning as L

    from autoassist.integrations.lightning import AutoAssistCallback

    class Forgets(L.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.model = torch.nn.Linear(4, 2)

        def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
            _, (x, y) = batch
            return torch.nn.functional.cross_entropy(self.model(x), y)

        def configure_optimizers(self) -> Any:
            return torch.optim.SGD(self.parameters(), lr=0.1)

    data = TensorDataset(torch.randn(64, 4), torch.randint(0, 2, (64,)))
    callback = AutoAssistCallback(data, batch_size=8, seed=0, log=())
    trainer = L.Trainer(max_epochs=2, callbacks=[callback], default_root_dir=str(tmp_path), logger=False,
                        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False)
    with pytest.warns(RuntimeWarning, match=r"never called.*Call return report\(self, idx, losses\) in training_step"):
        trainer.fit(Forgets(), callback.loader())
