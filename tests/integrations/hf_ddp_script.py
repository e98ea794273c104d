"""The Hugging Face Trainer on 2 CPU processes: ``accelerate launch --cpu --num_processes 2 hf_ddp_script.py OUT``.

Each rank writes the batches it trained on, its world size and its selector's state to OUT/rank{r}.pt.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import torch
import transformers

sys.path.insert(0, str(Path(__file__).parent))
from test_hf import _args, _collate, _gpt2, _Recording, _Tokens  # noqa: E402


def main(out: Path) -> None:
    torch.set_num_threads(1)
    args = _args(out, gradient_accumulation_steps=2, ddp_backend="gloo", save_strategy="steps", save_steps=3)
    trainer = _Recording(model=_gpt2(), args=args, train_dataset=_Tokens(96), data_collator=_collate,
                         autoassist={"assistant": "loss-only", "asynchronous": False})
    trainer.seen = []
    trainer.train()
    result: dict[str, Any] = {"seen": trainer.seen, "world_size": trainer.assist.world_size,
                              "selector": trainer.assist.batches.selector.state_dict(),
                              "stats": trainer.assist.stats(), "global_step": trainer.state.global_step,
                              "process_index": trainer.args.process_index}
    torch.save(result, out / f"rank{trainer.args.process_index}.pt")


if __name__ == "__main__":
    transformers.logging.set_verbosity_error()
    main(Path(sys.argv[1]))
