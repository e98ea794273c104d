"""Train one Boss with one method and measure everything DESIGN.md asks for, through the public path.

One function, :func:`train_run`, serves every method, the demo and both benchmark protocols:

* ``budget`` protocol: exactly ``total_steps`` Boss steps, the learning-rate schedule spread over them.
* ``passes`` protocol: train until ``num_passes`` passes of the candidate stream are used, the
  schedule driven by the fraction of candidates scanned (InfoBatch's "same recipe, cheaper passes").

Every method runs the way a user runs it: ``AutoAssist(TensorDataset(...), ...)``, ``assist.loader()``
and ``assist.report(idx, losses)``. Forward selectors (Selective Backprop, the oracle) draw their
candidate batches from a uniform ``AutoAssist`` and filter them with :class:`ForwardFilter`; a selector
whose scoring is free (``free_scoring``: the oracle) has that forward pass timed apart, never counted.

The recipe guards against divergence that would be mistaken for seed noise: a linear learning-rate
warm-up (``warmup_fraction``), gradient-norm clipping (``clip_grad_norm``), and each run records its
largest training loss (``max_train_loss``) and whether it spiked (``spiked``: above 1.5 times the
first step's loss).

Wall time counts only training (evaluation is excluded) and is split into the Boss (forward,
backward, optimiser step), data (the DataLoader fetching and collating the batch), and selection
(the Boss waiting for the generator, reporting feedback, and for Selective Backprop its scoring
forward passes). The generator's worker time is ``selector_seconds`` (wall) and
``selector_cpu_seconds`` (CPU), off the Boss's critical path; ``wait_seconds`` is the Boss's wait.
"""

from __future__ import annotations

import math
import time
from contextlib import closing
from dataclasses import asdict, dataclass, replace
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import TensorDataset

from autoassist.assist import AutoAssist
from autoassist.bench.curves import Curve
from autoassist.bench.methods import MethodSpec, autoassist_kwargs, build_selector
from autoassist.bench.steps import boss_update, split_step_time, step_summary, timed_batches
from autoassist.data.datasets import Splits
from autoassist.selectors.base import Selector
from autoassist.selectors.forward import ForwardFilter
from autoassist.selectors.uniform import UniformSelector


@dataclass
class TrainConfig:
    """Typed settings of one training run (saved next to its results)."""

    batch_size: int = 128
    lr: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 5e-4
    schedule: str = "cosine"  # cosine | linear | constant
    warmup_fraction: float = 0.0
    clip_grad_norm: float | None = None
    total_steps: int = 1000  # budget protocol
    num_passes: float | None = None  # passes protocol when set
    eval_points: int = 12
    seed: int = 0
    device: str = "cpu"
    asynchronous: bool = True
    lag: int = 2


def lr_at(progress: float, cfg: TrainConfig) -> float:
    """Learning rate at ``progress`` in [0, 1] of the run: optional linear warm-up, then the schedule."""
    progress = min(max(progress, 0.0), 1.0)
    if cfg.warmup_fraction > 0 and progress < cfg.warmup_fraction:
        return cfg.lr * progress / cfg.warmup_fraction
    rest = (progress - cfg.warmup_fraction) / max(1e-12, 1.0 - cfg.warmup_fraction)
    if cfg.schedule == "cosine":
        return cfg.lr * 0.5 * (1.0 + math.cos(math.pi * rest))
    if cfg.schedule == "linear":
        return cfg.lr * (1.0 - rest)
    return cfg.lr


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 2000) -> float:
    """Test accuracy of ``model`` on ``(x, y)``, in eval mode, restoring train mode after."""
    was_training = model.training
    model.eval()
    correct = 0
    for start in range(0, len(x), batch_size):
        out = model(x[start:start + batch_size])
        correct += int((out.argmax(1) == y[start:start + batch_size]).sum())
    model.train(was_training)
    return correct / len(x)


@torch.no_grad()
def _score(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    was_training = model.training
    model.eval()
    losses = F.cross_entropy(model(x), y, reduction="none")
    model.train(was_training)
    return losses


def build_method(method: MethodSpec, data: Any, cfg: TrainConfig,
                 max_steps: int) -> tuple[AutoAssist, Selector, ForwardFilter | None]:
    """The run's ``AutoAssist`` (the caller closes it), its selector, and the forward filter of a selector that
    needs the Boss's losses (Selective Backprop, the oracle), built as a user builds them."""
    options = dict(method.options)
    asynchronous = bool(options.pop("asynchronous", True)) and cfg.asynchronous
    spec = MethodSpec(method.name, options, method.label)
    train_set = TensorDataset(data.x_train, data.y_train)
    common: dict[str, Any] = dict(batch_size=cfg.batch_size, seed=cfg.seed, asynchronous=asynchronous, lag=cfg.lag)
    if method.name == "autoassist":
        assist = AutoAssist(train_set, **autoassist_kwargs(spec, data, total_steps=max_steps), **common)
        selector = assist.selector
    else:
        selector = build_selector(spec, data, total_steps=max_steps, num_passes=cfg.num_passes, seed=cfg.seed)
        stream = UniformSelector() if selector.needs_boss_losses else selector
        assist = AutoAssist(train_set, selector=stream, **common)
    filt = ForwardFilter(selector, cfg.batch_size, seed=cfg.seed) if selector.needs_boss_losses else None
    return assist, selector, filt


def check_method(method: MethodSpec, cfg: TrainConfig) -> None:
    """Build ``method`` as a run would, on a small placeholder dataset, and close it.

    A bad option (``autoassist:base_prob=2``, ``random:keep_rate=0``, an unknown key) raises here, with the message
    the run would give, before the benchmark loads its data or writes anything.
    """
    n = max(64, 2 * cfg.batch_size)
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(n, 1, 8, generator=generator)
    placeholder = Splits(x_train=x, y_train=torch.arange(n) % 2, x_test=x[:2], y_test=torch.arange(2), num_classes=2,
                         name="placeholder", raw_train=x.numpy())
    build_method(method, placeholder, replace(cfg, asynchronous=False), cfg.total_steps)[0].close()


def train_run(
    method: MethodSpec,
    data: Any,
    make_model: Callable[[], nn.Module],
    cfg: TrainConfig,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Train a fresh Boss with ``method`` on ``data`` (a ``Splits``); return the run's record."""
    device = torch.device(cfg.device)
    torch.manual_seed(cfg.seed)
    model = make_model().to(device)
    opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay,
                          nesterov=cfg.momentum > 0)
    x_test, y_test = data.x_test.to(device), data.y_test.to(device)
    n = len(data.x_train)
    passes_mode = cfg.num_passes is not None
    num_passes = float(cfg.num_passes or 0.0)
    # A passes run stops by stream position; uniform needs exactly ceil(passes * N / B) steps for it.
    max_steps = cfg.total_steps if not passes_mode else int(math.ceil(num_passes * n / cfg.batch_size))
    assist, selector, filt = build_method(method, data, cfg, max_steps)
    free_scoring = bool(getattr(selector, "free_scoring", False))
    curve = Curve.with_columns("test_accuracy", "forward_instances")
    timers = {"boss": 0.0, "data": 0.0, "selection": 0.0, "free_scoring": 0.0}
    boss_step_times: list[float] = []
    train_losses: list[float] = []
    counts = {"step": 0, "backprop": 0, "forward": 0}
    eval_every = max(1, max_steps // max(1, cfg.eval_points)) if not passes_mode else None
    next_eval_position = 0.0
    wall = 0.0

    def keep_rate() -> float:
        return filt.keep_rate if filt is not None else assist.stats()["keep_rate"]

    def record() -> None:
        curve.add(step=counts["step"], wall_time_s=wall, backprop_instances=counts["backprop"],
                  score=evaluate(model, x_test, y_test), keep_rate=keep_rate(), lr=opt.param_groups[0]["lr"],
                  forward_instances=counts["forward"])

    def boss_step(xb: torch.Tensor, yb: torch.Tensor, report: Callable[[torch.Tensor], torch.Tensor],
                  size: int, position: float) -> None:
        nonlocal wall
        t1 = time.perf_counter()
        frac = position / num_passes if passes_mode else counts["step"] / max_steps
        for group in opt.param_groups:
            group["lr"] = lr_at(frac, cfg)
        losses = F.cross_entropy(model(xb), yb, reduction="none")
        t2 = time.perf_counter()
        loss = report(losses)
        t3 = time.perf_counter()
        boss_update(model, opt, loss, cfg.clip_grad_norm)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        t4 = time.perf_counter()
        train_losses.append(float(loss.detach()))
        wall += split_step_time(timers, boss_step_times, t1, t2, t3, t4)
        counts["step"] += 1
        counts["backprop"] += size
        counts["forward"] += size

    x_all, y_all = data.x_train.to(device), data.y_train.to(device)

    def forward_filter_step(idx: torch.Tensor, xb: torch.Tensor, yb: torch.Tensor, position: float) -> None:
        nonlocal wall
        assert filt is not None
        t2 = time.perf_counter()
        cand_losses = _score(model, xb, yb)
        assist.report(idx, cand_losses)  # the candidate batch was forwarded: its feedback
        ready = filt.offer(idx.numpy(), cand_losses.to("cpu", torch.float64).numpy())
        t3 = time.perf_counter()
        if free_scoring:
            timers["free_scoring"] += t3 - t2
        else:
            wall += t3 - t2
            timers["selection"] += t3 - t2
            counts["forward"] += len(idx)
        for b_idx, b_w in ready:
            b = torch.from_numpy(b_idx).to(device)
            w = torch.as_tensor(b_w, dtype=torch.float32, device=device)

            def report(losses: torch.Tensor) -> torch.Tensor:
                filt.observe(b_idx, losses.detach().to("cpu", torch.float64).numpy())
                return losses.mean() if bool((w == 1).all()) else (losses * w).mean()

            boss_step(x_all[b], y_all[b], report, len(b_idx), position)
            if not passes_mode and counts["step"] >= max_steps:
                break

    def move(batch: Any) -> tuple[torch.Tensor, torch.Tensor]:
        return batch[0].to(device, non_blocking=True), batch[1].to(device, non_blocking=True)

    model.train()
    record()
    with assist, closing(timed_batches(assist, assist.loader(), move, timers)) as batches:
        for idx, (xb, yb), fetch_seconds in batches:
            wall += fetch_seconds
            position = assist.batches.position
            if filt is None:
                boss_step(xb, yb, lambda losses: assist.report(idx, losses), len(idx), position)
            else:
                forward_filter_step(idx, xb, yb, position)
            if progress is not None:
                progress(counts["step"], max_steps)
            if passes_mode:
                done = position >= num_passes
                if position >= next_eval_position or done:
                    record()
                    next_eval_position += num_passes / max(1, cfg.eval_points)
            else:
                done = counts["step"] >= max_steps
                if (eval_every and counts["step"] % eval_every == 0 and counts["step"] != curve.step[-1]) or done:
                    record()
            if done:
                break
    if curve.step[-1] != counts["step"]:
        record()
    stats = assist.stats()
    if filt is not None:
        stats.update({"keep_rate": filt.keep_rate, "scanned": filt.scanned, "accepted": filt.accepted})
        stats.update(selector.stats())
    return {
        "method": method.label,
        "method_name": method.name,
        "method_options": method.options,
        "seed": cfg.seed,
        "protocol": "passes" if passes_mode else "budget",
        "final_test_accuracy": curve.score[-1],
        "wall_time_s": wall,
        "boss_steps": counts["step"],
        "backprop_instances": counts["backprop"],
        "forward_instances": counts["forward"],
        "passes": assist.batches.position,
        "time_split_s": timers,
        "boss_wait_s": stats.get("wait_seconds", 0.0),
        **step_summary(boss_step_times, train_losses),
        "selector_stats": stats,
        "curves": curve.as_dict(),
        "config": asdict(cfg),
    }

