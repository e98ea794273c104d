"""The Hugging Face Trainer: a tiny randomly initialised GPT-2 and T5, built from configs (nothing downloaded)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
import torch

transformers = pytest.importorskip("transformers")

from autoassist.integrations.hf import AutoAssistTrainer, per_example_token_loss  # noqa: E402

VOCAB = 100


class _Tokens(torch.utils.data.Dataset):
    """Variable-length token sequences as Hugging Face style dict items."""

    def __init__(self, n: int, seq2seq: bool = False) -> None:
        g = torch.Generator().manual_seed(0)
        self.items = []
        for i in range(n):
            length = 4 + i % 9
            ids = torch.randint(3, VOCAB, (length,), generator=g)
            item = {"input_ids": ids.tolist()}
            item["labels"] = (ids.flip(0) if seq2seq else ids).tolist()
            self.items.append(item)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return self.items[i]


def _collate(items: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
    """Pad input_ids with 0 (attention mask 0) and labels with -100."""
    width = max(len(it["input_ids"]) for it in items)
    lwidth = max(len(it["labels"]) for it in items)
    ids = torch.zeros(len(items), width, dtype=torch.long)
    mask = torch.zeros(len(items), width, dtype=torch.long)
    labels = torch.full((len(items), lwidth), -100, dtype=torch.long)
    for row, it in enumerate(items):
        ids[row, : len(it["input_ids"])] = torch.tensor(it["input_ids"])
        mask[row, : len(it["input_ids"])] = 1
        labels[row, : len(it["labels"])] = torch.tensor(it["labels"])
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


def _args(tmp_path: Path, **kw: Any) -> Any:
    base = {"output_dir": str(tmp_path), "per_device_train_batch_size": 8, "num_train_epochs": 2,
            "learning_rate": 1e-3, "logging_steps": 5, "report_to": [], "save_strategy": "no", "seed": 0,
            "use_cpu": True, "disable_tqdm": True, "dataloader_pin_memory": False}
    base.update(kw)
    return transformers.TrainingArguments(**base)


def _gpt2() -> Any:
    torch.manual_seed(0)
    config = transformers.GPT2Config(vocab_size=VOCAB, n_positions=32, n_embd=32, n_layer=1, n_head=2)
    return transformers.GPT2LMHeadModel(config)


def test_per_example_token_loss_ignores_padding_and_shifts_for_causal_models() -> None:
    torch.manual_seed(0)
    logits = torch.randn(2, 5, 7)
    labels = torch.tensor([[1, 2, 3, -100, -100], [4, 5, 6, 1, 2]])
    got = per_example_token_loss(logits, labels, shift=True)
    first = torch.nn.functional.cross_entropy(logits[0, :2], labels[0, 1:3])
    second = torch.nn.functional.cross_entropy(logits[1, :4], labels[1, 1:])
    assert torch.allclose(got, torch.stack([first, second]))
    unshifted = per_example_token_loss(logits, labels, shift=False)
    assert torch.allclose(unshifted[0], torch.nn.functional.cross_entropy(logits[0, :3], labels[0, :3]))


def test_a_tiny_gpt2_fine_tunes_with_gradient_accumulation(tmp_path: Path) -> None:
    before = set(threading.enumerate())
    data = _Tokens(96)
    trainer = AutoAssistTrainer(model=_gpt2(), args=_args(tmp_path, gradient_accumulation_steps=2),
                                train_dataset=data, data_collator=_collate)
    result = trainer.train()
    stats = trainer.assist.stats()
    assert stats["steps"] == 2 * 12 and stats["feedback_batches"] == 24  # every micro-batch reported
    assert trainer.state.global_step == 12  # 24 micro-batches, 2 per optimizer step
    assert 0 < stats["keep_rate"] <= 1 and result.training_loss > 0
    assert set(threading.enumerate()) == before


def test_a_tiny_t5_fine_tunes_seq2seq(tmp_path: Path) -> None:
    torch.manual_seed(0)
    config = transformers.T5Config(vocab_size=VOCAB, d_model=32, d_ff=64, d_kv=8, num_layers=1, num_heads=2,
                                   decoder_start_token_id=0, pad_token_id=0)
    trainer = AutoAssistTrainer(model=transformers.T5ForConditionalGeneration(config),
                                args=_args(tmp_path, num_train_epochs=1), train_dataset=_Tokens(48, seq2seq=True),
                                data_collator=_collate)
    trainer.train()
    assert trainer.assist.stats()["feedback_instances"] == 48
