"""Lightning's own DDP strategy on the CPU (gloo, 2 processes).

``python lightning_ddp_script.py OUT [CKPT|- [MAX_STEPS [CHECKPOINT_EVERY_N_STEPS]]]``. Lightning starts
the second process by running this script again. Each rank writes the batches it trained on and its
selector's state to OUT/rank{r}.pt; with CKPT, training resumes from it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import lightning as L
import torch
import torch.nn.functional as F
from lightning.pytorch.callbacks import ModelCheckpoint
from torch.utils.data import TensorDataset

from autoassist.integrations.lightning import AutoAssistCallback, report


class Classifier(L.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.model = torch.nn.Linear(10, 2)
        self.seen: list[list[int]] = []
        self.losses: list[list[float]] = []

    def training_step(self, batch, batch_idx):  # type: ignore[no-untyped-def]
        idx, (x, y) = batch
        self.seen.append(idx.tolist())
        losses = F.cross_entropy(self.model(x), y, reduction="none")
        self.losses.append(losses.tolist())
        return report(self, idx, losses)

    def configure_optimizers(self):  # type: ignore[no-untyped-def]
        return torch.optim.SGD(self.parameters(), lr=0.1)


def main(out: Path, ckpt: str | None, max_steps: int, every: int | None) -> None:
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(320, 10, generator=g)
    train_set = TensorDataset(x, (x[:, 0] > 0).long())
    assist = AutoAssistCallback(train_set, batch_size=16, seed=0, asynchronous=False)
    torch.manual_seed(0)  # the same initial model in every run
    model = Classifier()
    trainer = L.Trainer(accelerator="cpu", devices=int(os.environ.get("DEVICES", 2)), strategy="ddp" if os.environ.get("DEVICES", "2") != "1" else "auto", max_epochs=2, max_steps=max_steps,
                        callbacks=[assist, ModelCheckpoint(dirpath=out, save_last=True, every_n_train_steps=every)], logger=False,
                        enable_progress_bar=False, enable_model_summary=False)
    trainer.fit(model, assist.loader(), ckpt_path=ckpt)
    rank = trainer.global_rank
    torch.save({"seen": model.seen, "losses": model.losses, "selector": assist.assist.batches.selector.state_dict(),
                "world_size": assist.assist.world_size, "stats": assist.assist.stats()}, out / f"rank{rank}.pt")


if __name__ == "__main__":
    args = sys.argv[1:] + ["-", "-1", "0"][len(sys.argv) - 2:]
    main(Path(args[0]), None if args[1] == "-" else args[1], int(args[2]), int(args[3]) or None)
