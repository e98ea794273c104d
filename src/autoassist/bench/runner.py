"""Train one Boss with one selector and measure everything DESIGN.md asks for.

One function, :func:`train_run`, serves every method, the demo and both benchmark protocols:

* ``budget`` protocol: exactly ``total_steps`` Boss steps, the learning-rate schedule spread over them.
* ``passes`` protocol: train until ``num_passes`` passes of the candidate stream are used, the
  schedule driven by the fraction of candidates scanned (InfoBatch's "same recipe, cheaper passes").

Wall time counts only training (evaluation is excluded) and is split into the Boss (forward,
backward, optimiser step), data (gathering the batch), selection (waiting for batches, reporting
feedback, and for Selective Backprop its scoring forward passes). The oracle's scoring forward is
"free": its time is measured and reported separately, never counted. The batch generator's worker
time is reported as ``selector_seconds`` (wall) and ``selector_cpu_seconds`` (CPU), off the Boss's
critical path.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from autoassist.bench.methods import MethodSpec, build_selector
from autoassist.sampler import BatchGenerator
from autoassist.selectors.base import ForwardFilter
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
    total_steps: int = 1000  # budget protocol
    num_passes: float | None = None  # passes protocol when set
    eval_points: int = 12
    seed: int = 0
    device: str = "cpu"
    asynchronous: bool = True


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


@dataclass
class Curve:
    step: list[int] = field(default_factory=list)
    backprop_instances: list[int] = field(default_factory=list)
    forward_instances: list[int] = field(default_factory=list)
    wall_time_s: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    keep_rate: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)


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
    x_train, y_train = data.x_train.to(device), data.y_train.to(device)
    x_test, y_test = data.x_test.to(device), data.y_test.to(device)
    n = len(x_train)
    passes_mode = cfg.num_passes is not None
    num_passes = float(cfg.num_passes or 0.0)
    # A passes run stops by stream position; uniform needs exactly ceil(passes * N / B) steps for it.
    max_steps = cfg.total_steps if not passes_mode else int(math.ceil(num_passes * n / cfg.batch_size))
    # "asynchronous=false" in a method spec runs that method's selector inline (e.g. the overhead control).
    options = dict(method.options)
    asynchronous = bool(options.pop("asynchronous", True)) and cfg.asynchronous
    selector = build_selector(MethodSpec(method.name, options, method.label), data, total_steps=max_steps,
                              num_passes=cfg.num_passes, seed=cfg.seed)
    forward_mode = selector.needs_boss_losses
    stream_selector = UniformSelector() if forward_mode else selector
    gen = BatchGenerator(stream_selector, n, cfg.batch_size, seed=cfg.seed, steps_per_epoch=10 ** 9,
                         asynchronous=asynchronous and not forward_mode)
    filt = ForwardFilter(selector, cfg.batch_size, seed=cfg.seed) if forward_mode else None
    curve = Curve()
    timers = {"boss": 0.0, "data": 0.0, "selection": 0.0, "free_scoring": 0.0}
    boss_step_times: list[float] = []
    counts = {"step": 0, "backprop": 0, "forward": 0}
    eval_every = max(1, max_steps // max(1, cfg.eval_points)) if not passes_mode else None
    next_eval_position = 0.0
    wall = 0.0

    def record(position: float) -> None:
        curve.step.append(counts["step"])
        curve.backprop_instances.append(counts["backprop"])
        curve.forward_instances.append(counts["forward"])
        curve.wall_time_s.append(wall)
        curve.test_accuracy.append(evaluate(model, x_test, y_test))
        keep = filt.keep_rate if filt is not None else gen.stats()["keep_rate"]
        curve.keep_rate.append(keep)
        curve.lr.append(opt.param_groups[0]["lr"])

    def boss_step(idx: np.ndarray, weights: np.ndarray, position: float) -> None:
        nonlocal wall
        t0 = time.perf_counter()
        idx_t = torch.from_numpy(idx).to(device)
        xb, yb = x_train[idx_t], y_train[idx_t]
        t1 = time.perf_counter()
        frac = position / num_passes if passes_mode else counts["step"] / max_steps
        for group in opt.param_groups:
            group["lr"] = lr_at(frac, cfg)
        losses = F.cross_entropy(model(xb), yb, reduction="none")
        t2 = time.perf_counter()
        if filt is None:
            gen.report(idx, losses)  # the numpy indices we already hold: no conversion back
        else:
            selector.observe(idx, losses.detach().to("cpu", torch.float64).numpy())
        t3 = time.perf_counter()
        if np.all(weights == 1.0):
            loss = losses.mean()
        else:
            loss = (losses * torch.as_tensor(weights, dtype=losses.dtype, device=device)).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        t4 = time.perf_counter()
        timers["data"] += t1 - t0
        timers["selection"] += t3 - t2
        timers["boss"] += (t2 - t1) + (t4 - t3)
        boss_step_times.append((t2 - t1) + (t4 - t3))
        wall += t4 - t0
        counts["step"] += 1
        counts["backprop"] += len(idx)
        counts["forward"] += len(idx)

    model.train()
    record(0.0)
    done = False
    iterator = iter(gen)
    try:
        while not done:
            t0 = time.perf_counter()
            idx_list = next(iterator)
            t1 = time.perf_counter()
            wall += t1 - t0
            timers["selection"] += t1 - t0
            position = gen.position
            idx = np.asarray(idx_list, dtype=np.int64)
            if filt is None:
                boss_step(idx, gen.weights_for(idx), position)
            else:
                t2 = time.perf_counter()
                idx_t = torch.from_numpy(idx).to(device)
                cand_losses = _score(model, x_train[idx_t], y_train[idx_t])
                ready = filt.offer(idx, cand_losses.to("cpu", torch.float64).numpy())
                t3 = time.perf_counter()
                if method.name == "oracle":
                    timers["free_scoring"] += t3 - t2
                else:
                    wall += t3 - t2
                    timers["selection"] += t3 - t2
                    counts["forward"] += len(idx)
                for b_idx, b_w in ready:
                    boss_step(b_idx, b_w, position)
                    if not passes_mode and counts["step"] >= max_steps:
                        break
            if progress is not None:
                progress(counts["step"], max_steps)
            if passes_mode:
                done = position >= num_passes
                if position >= next_eval_position or done:
                    record(position)
                    next_eval_position += num_passes / max(1, cfg.eval_points)
            else:
                done = counts["step"] >= max_steps
                if (eval_every and counts["step"] % eval_every == 0 and counts["step"] != curve.step[-1]) or done:
                    record(position)
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            close()
        gen.close()
    if curve.step[-1] != counts["step"]:
        record(gen.position)
    stats = gen.stats()
    if filt is not None:
        stats.update({"keep_rate": filt.keep_rate, "scanned": filt.scanned, "accepted": filt.accepted})
        stats.update(selector.stats())
    return {
        "method": method.label,
        "method_name": method.name,
        "method_options": method.options,
        "seed": cfg.seed,
        "protocol": "passes" if passes_mode else "budget",
        "final_test_accuracy": curve.test_accuracy[-1],
        "wall_time_s": wall,
        "boss_steps": counts["step"],
        "backprop_instances": counts["backprop"],
        "forward_instances": counts["forward"],
        "passes": gen.position,
        "time_split_s": timers,
        "boss_step_median_ms": 1000 * float(np.median(boss_step_times)) if boss_step_times else None,
        "selector_stats": stats,
        "curves": asdict(curve),
        "config": asdict(cfg),
    }


def time_to_target(curve: dict[str, list[float]], target: float, axis: str = "wall_time_s") -> float | None:
    """First value of ``axis`` at which the curve's test accuracy reaches ``target`` (None if never)."""
    for acc, value in zip(curve["test_accuracy"], curve[axis]):
        if acc >= target:
            return float(value)
    return None
