"""The Hugging Face Trainer: a tiny randomly initialised GPT-2 and T5, built from configs (nothing downloaded)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
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
    data = _Tokens(48)
    trainer = AutoAssistTrainer(model=_gpt2(), args=_args(tmp_path, gradient_accumulation_steps=2),
                                train_dataset=data, data_collator=_collate)
    result = trainer.train()
    stats = trainer.assist.stats()
    assert stats["steps"] == 2 * 6 and stats["feedback_batches"] == 12  # every micro-batch reported
    assert trainer.state.global_step == 6  # 12 micro-batches, 2 per optimizer step
    assert 0 < stats["keep_rate"] <= 1 and result.training_loss > 0
    assert set(threading.enumerate()) == before


@pytest.mark.slow
def test_a_tiny_t5_fine_tunes_seq2seq(tmp_path: Path) -> None:
    torch.manual_seed(0)
    config = transformers.T5Config(vocab_size=VOCAB, d_model=32, d_ff=64, d_kv=8, num_layers=1, num_heads=2,
                                   decoder_start_token_id=0, pad_token_id=0)
    trainer = AutoAssistTrainer(model=transformers.T5ForConditionalGeneration(config),
                                args=_args(tmp_path, num_train_epochs=1), train_dataset=_Tokens(48, seq2seq=True),
                                data_collator=_collate)
    trainer.train()
    assert trainer.assist.stats()["feedback_instances"] == 48


class _Recording(AutoAssistTrainer):
    seen: list[list[int]]

    def compute_loss(self, model: Any, inputs: dict[str, Any], return_outputs: bool = False,
                     num_items_in_batch: Any = None) -> Any:
        if "autoassist_index" in inputs:
            self.seen.append(inputs["autoassist_index"].tolist())
        return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)


class _StopAt(transformers.TrainerCallback):
    def __init__(self, step: int) -> None:
        self.step = step

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
        if state.global_step == self.step:
            control.should_training_stop = True
        return control


@pytest.mark.slow
def test_a_resumed_trainer_draws_the_batches_of_the_uninterrupted_one(tmp_path: Path) -> None:
    def trainer(folder: str, *callbacks: Any) -> _Recording:
        args = _args(tmp_path / folder, save_strategy="steps", save_steps=5)
        t = _Recording(model=_gpt2(), args=args, train_dataset=_Tokens(96), data_collator=_collate,
                       callbacks=list(callbacks))
        t.seen = []
        return t

    full = trainer("full")
    full.train()
    head = trainer("head", _StopAt(5))
    head.train()
    assert head.seen == full.seen[:5]
    tail = trainer("head")
    tail.train(resume_from_checkpoint=str(tmp_path / "head" / "checkpoint-5"))
    assert tail.seen == full.seen[5:]


@pytest.mark.slow
def test_two_processes_under_torchrun_share_one_assistant(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    import numpy as np

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root / "src"), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
                           str(Path(__file__).with_name("hf_ddp_script.py")), str(tmp_path)],
                          env=env, capture_output=True, text=True, timeout=400)
    assert done.returncode == 0, done.stderr[-3000:]
    r0, r1 = (torch.load(tmp_path / f"rank{r}.pt", weights_only=False) for r in range(2))
    assert r0["world_size"] == r1["world_size"] == 2
    assert len(r0["seen"]) == len(r1["seen"]) == 2 * 6 and r0["global_step"] == 6  # 96 / (8 * 2); 2 micro-batches
    assert sum(bool(set(a) & set(b)) for a, b in zip(r0["seen"], r1["seen"])) <= r0["stats"]["passes"]
    for key, value in r0["selector"]["assistant"].items():
        assert np.array_equal(np.asarray(value), np.asarray(r1["selector"]["assistant"][key])), key
    saved = torch.load(tmp_path / "checkpoint-3" / "autoassist.pt")  # made by both ranks, written by rank 0
    assert len(saved["ledgers"]) == 2


def test_the_readme_hf_diff_runs(tmp_path: Path) -> None:
    import re

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    match = re.search(r"<!-- hf-diff -->\s*```diff\n(.*?)```", readme, re.S)
    assert match, "README.md must contain the Hugging Face diff after <!-- hf-diff -->"
    for keep in ("-", "+"):
        code = "\n".join(line[1:] for line in match.group(1).splitlines() if line[:1] in (" ", keep)) + "\n"
        scope: dict[str, Any] = {"model": _gpt2(), "args": _args(tmp_path / keep, num_train_epochs=1),
                                 "train_set": _Tokens(32), "collator": _collate}
        exec(compile(code, "README.md", "exec"), scope)
    assert scope["trainer"].assist.stats()["feedback_batches"] == 4


def _bert_tagger() -> Any:
    torch.manual_seed(0)
    config = transformers.BertConfig(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                                     intermediate_size=64, num_labels=VOCAB)
    return transformers.BertForTokenClassification(config)


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("build", [_gpt2, _bert_tagger], ids=["causal", "token-classification"])
def test_the_loss_equals_the_trainers_own_on_the_same_batch(tmp_path: Path, build: Any, smoothing: float) -> None:
    """Token-normalised, label-smoothed, shifted only for a causal LM: what the Trainer back-propagates."""
    model = build().eval()  # no dropout: both losses from one forward's numbers
    args = _args(tmp_path, label_smoothing_factor=smoothing)
    ours = AutoAssistTrainer(model=model, args=args, train_dataset=_Tokens(16), data_collator=_collate)
    batch = next(iter(ours.get_train_dataloader()))
    plain = transformers.Trainer(model=model, args=args, train_dataset=_Tokens(16), data_collator=_collate)
    theirs = plain.compute_loss(model, {k: v for k, v in batch.items() if k != "autoassist_index"})
    assert torch.allclose(ours.compute_loss(model, batch), theirs, atol=1e-6)
    ours.assist.close()


def test_a_batch_loss_function_is_refused_up_front(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="compute_loss_func.*per_example_loss"):
        AutoAssistTrainer(model=_gpt2(), args=_args(tmp_path), train_dataset=_Tokens(16), data_collator=_collate,
                          compute_loss_func=lambda outputs, labels, num_items_in_batch=None: outputs["logits"].sum())


def test_token_bounded_batches_replace_the_batch_size(tmp_path: Path) -> None:
    data = _Tokens(48)
    lengths = [len(item["input_ids"]) for item in data.items]
    trainer = _Recording(model=_gpt2(), args=_args(tmp_path, num_train_epochs=1), train_dataset=data,
                         data_collator=_collate, autoassist={"max_tokens": 40, "lengths": lengths})
    trainer.seen = []
    trainer.train()
    assert trainer.seen and all(len(b) * max(lengths[i] for i in b) <= 40 for b in trainer.seen)
    assert len(trainer.seen) == trainer.assist.steps_per_epoch


@pytest.mark.parametrize("setting", [{"train_sampling_strategy": "group_by_length"}, {"group_by_length": True}])
def test_another_sampling_strategy_is_refused_with_the_fix(tmp_path: Path, setting: dict[str, Any]) -> None:
    try:
        args = _args(tmp_path, **setting)
    except TypeError:
        pytest.skip(f"this transformers has no {setting}")
    with pytest.raises(ValueError, match="train_sampling_strategy.*max_tokens"):
        AutoAssistTrainer(model=_gpt2(), args=args, train_dataset=_Tokens(16), data_collator=_collate)


def test_the_data_seed_seeds_the_batches(tmp_path: Path) -> None:
    def first(**kw: Any) -> list[int]:
        trainer = AutoAssistTrainer(model=_gpt2(), args=_args(tmp_path, **kw), train_dataset=_Tokens(32),
                                    data_collator=_collate)
        batch = next(iter(trainer.get_train_dataloader()))["autoassist_index"].tolist()
        trainer.assist.close()
        return batch

    assert first(seed=0, data_seed=5) == first(seed=1, data_seed=5) == first(seed=5)
    assert first(seed=0) != first(seed=5)


def test_the_seq2seq_trainer_trains_through_autoassist_and_evaluates_by_generating(tmp_path: Path) -> None:
    from autoassist.integrations.hf import AutoAssistSeq2SeqTrainer

    torch.manual_seed(0)
    config = transformers.T5Config(vocab_size=VOCAB, d_model=16, d_ff=32, d_kv=8, num_layers=1, num_heads=2,
                                   decoder_start_token_id=0, pad_token_id=0, eos_token_id=1)
    base = {k: v for k, v in vars(_args(tmp_path, num_train_epochs=1)).items() if not k.startswith("_")}
    args = transformers.Seq2SeqTrainingArguments(**{k: base[k] for k in (
        "output_dir", "per_device_train_batch_size", "num_train_epochs", "learning_rate", "report_to", "save_strategy",
        "seed", "use_cpu", "disable_tqdm", "dataloader_pin_memory")}, predict_with_generate=True)
    trainer = AutoAssistSeq2SeqTrainer(model=transformers.T5ForConditionalGeneration(config), args=args,
                                       train_dataset=_Tokens(24, seq2seq=True), data_collator=_collate)
    trainer.train()
    assert trainer.assist.stats()["feedback_instances"] == 24
    generated = trainer.predict(_Tokens(4, seq2seq=True)).predictions
    assert generated.ndim == 2 and generated.shape[0] == 4 and generated.dtype.kind == "i"  # generate()'s ids


class _Scored(torch.utils.data.Dataset):
    """Token sequences with float targets: one score (regression) or several 0/1 labels (multi-label)."""

    def __init__(self, n: int, targets: int) -> None:
        g = torch.Generator().manual_seed(0)
        self.items = [{"input_ids": torch.randint(3, VOCAB, (6,), generator=g).tolist(),
                       "labels": (torch.rand(targets, generator=g).round() if targets > 1
                                  else torch.randn((), generator=g)).tolist()} for _ in range(n)]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return self.items[i]


def _stack(items: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
    return {"input_ids": torch.tensor([it["input_ids"] for it in items]),
            "labels": torch.tensor([it["labels"] for it in items])}


@pytest.mark.parametrize("targets", [1, 3], ids=["regression", "multi-label"])
def test_regression_and_multi_label_heads_back_propagate_the_models_own_loss(tmp_path: Path, targets: int) -> None:
    torch.manual_seed(0)
    config = transformers.BertConfig(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                                     intermediate_size=64, num_labels=targets)
    model = transformers.BertForSequenceClassification(config).eval()
    ours = AutoAssistTrainer(model=model, args=_args(tmp_path), train_dataset=_Scored(16, targets),
                             data_collator=_stack)
    batch = next(iter(ours.get_train_dataloader()))
    loss = ours.compute_loss(model, batch)
    assert model.config.problem_type == ("regression" if targets == 1 else "multi_label_classification")
    assert torch.allclose(loss, model(**{k: v for k, v in batch.items() if k != "autoassist_index"}).loss, atol=1e-6)
    ours.assist.close()


def test_another_selector_replaces_autoassists_own(tmp_path: Path) -> None:
    from autoassist.selectors import InfoBatchSelector

    # the default assistant="loss-only" used to go along with it, and was refused beside selector=
    trainer = AutoAssistTrainer(model=_gpt2(), args=_args(tmp_path), train_dataset=_Tokens(16), data_collator=_collate,
                                autoassist={"selector": InfoBatchSelector(num_passes=2)})
    assert trainer.assist.selector.name == "infobatch" and trainer.assist.assistant is None
    trainer.assist.close()


@pytest.mark.parametrize("bad, named", [
    ({"train_dataset": None}, "train_dataset"), ({"autoassist": {"batch_size": 4}}, "batch_size"),
    ({"compute_loss_func": lambda outputs, labels, num_items_in_batch=None: 0.0}, "compute_loss_func"),
    ({"autoassist": {"base_prob": 2.0}}, "base_prob"), ({"autoassist": {"assistant": "papr"}}, "assistant"),
    ({"autoassist": {"keep_rate": 0.5}}, r"autoassist must be keywords of autoassist.AutoAssist; got 'keep_rate'"),
    ({"autoassist": {"self": 1}}, r"got 'self'"), ({"autoassist": {"dataset": []}}, r"autoassist\['dataset'\]"),
    ({"autoassist": {"max_tokens": 40}}, "lengths")],
    ids=["no-train-dataset", "autoassist-batch-size", "compute-loss-func", "base-prob", "assistant", "unknown-option",
         "self", "dataset", "max-tokens-without-lengths"])
def test_bad_arguments_are_refused_before_the_trainer_does_anything(tmp_path: Path, bad: dict[str, Any],
                                                                     named: str) -> None:
    """Refused before Trainer.__init__, which makes output_dir and reseeds the global RNG; AutoAssist's own options
    too (they were checked after it)."""
    args = _args(tmp_path / "out", seed=7)
    model = _gpt2()
    rng = torch.get_rng_state()
    given = {"model": model, "args": args, "train_dataset": _Tokens(16), "data_collator": _collate, **bad}
    with pytest.raises(ValueError, match=named):
        AutoAssistTrainer(**given)
    assert not (tmp_path / "out").exists()
    assert torch.equal(torch.get_rng_state(), rng)


def test_arguments_given_by_position_are_checked_too(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="train_dataset must be given"):
        AutoAssistTrainer(_gpt2(), _args(tmp_path / "out"), _collate, None)
    assert not (tmp_path / "out").exists()


def test_without_args_the_trainers_default_arguments_size_the_batches(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the Trainer's default output_dir, tmp_trainer, is relative
    default = transformers.TrainingArguments(output_dir="tmp_trainer")
    for trainer in (AutoAssistTrainer(model=_gpt2(), train_dataset=_Tokens(16), data_collator=_collate),
                    AutoAssistTrainer(_gpt2(), None, _collate, _Tokens(16))):
        assert trainer.args.output_dir.endswith("tmp_trainer")
        assert trainer.assist.batches.batch_size == default.train_batch_size
        trainer.assist.close()


def test_train_is_typed_as_the_trainers_own() -> None:
    import typing

    from transformers.trainer_utils import TrainOutput

    assert typing.get_type_hints(AutoAssistTrainer.train)["return"] is TrainOutput


def test_a_keyword_the_trainers_signature_does_not_show_is_left_to_the_trainer() -> None:
    """transformers 4.46-4.5x take tokenizer= through a deprecation wrapper that the signature does not show: the
    checks must not refuse it (binding all keywords to the signature did, with a TypeError)."""
    import inspect

    from autoassist.integrations.hf import _bound

    def init(model: Any = None, args: Any = None, data_collator: Any = None, train_dataset: Any = None) -> None: ...

    given = _bound(inspect.signature(init), ("m",), {"tokenizer": "tok", "train_dataset": "data"})
    assert given == {"model": "m", "train_dataset": "data"}


def test_autoassist_options_given_other_than_as_a_dict_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="autoassist must be a dict of autoassist.AutoAssist keywords; got 'loss-only'"):
        AutoAssistTrainer(model=_gpt2(), args=_args(tmp_path / "out"), train_dataset=_Tokens(16),
                          data_collator=_collate, autoassist="loss-only")  # type: ignore[arg-type]
    assert not (tmp_path / "out").exists()


def test_features_given_go_to_autoassists_default_assistant(tmp_path: Path) -> None:
    """The trainer's loss-only default used to go along with them, and AutoAssist refused the pair."""
    trainer = AutoAssistTrainer(model=_gpt2(), args=_args(tmp_path), train_dataset=_Tokens(16), data_collator=_collate,
                                autoassist={"features": np.random.default_rng(0).standard_normal((16, 3))})
    assert type(trainer.assist.assistant).__name__ == "LossHistoryAssistant"
    assert trainer.assist.assistant.features.dim == 3  # the matrix, not the labels-only features of loss-only
    trainer.assist.close()


def test_resuming_from_a_checkpoint_without_autoassists_state_says_so(tmp_path: Path) -> None:
    checkpoint = tmp_path / "checkpoint-1"
    checkpoint.mkdir()  # what another Trainer saved: no autoassist.pt
    trainer = AutoAssistTrainer(model=_gpt2(), args=_args(tmp_path), train_dataset=_Tokens(16), data_collator=_collate)
    with pytest.warns(RuntimeWarning, match="holds no autoassist.pt .* AutoAssist starts afresh"), \
            pytest.raises(Exception):  # the Trainer then fails on the empty folder: the warning came first
        trainer.train(resume_from_checkpoint=str(checkpoint))
