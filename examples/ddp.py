"""AutoAssist under DistributedDataParallel: ``torchrun --nproc_per_node 2 examples/ddp.py``.

Every rank walks the same candidate stream, trains on its own slice of each global batch, and its
Assistant learns the feedback of all ranks (AutoAssist finds the process group by itself). The data
is MNIST-1D, generated locally; the Boss is a small 1-D CNN. On the CPU the backend is gloo, on GPUs
NCCL (the feedback exchange always uses its own gloo group).

Options: ``--epochs``, ``--batch-size`` (per process), ``--save PATH`` (rank 0 saves model, optimiser
and AutoAssist at the end), ``--resume PATH`` (every rank loads it and continues), ``--stop-after N``
(stop after N steps: with ``--save`` this makes a mid-epoch checkpoint).
"""

from __future__ import annotations

import argparse
import os
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import TensorDataset

from autoassist import AutoAssist
from autoassist.data.mnist1d import make_mnist1d
from autoassist.models.mnist1d import ConvNet1D


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32, help="per process")
    parser.add_argument("--num-train", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", default=None)
    parser.add_argument("--resume", default=None)
    parser.add_argument("--stop-after", type=int, default=None)
    args = parser.parse_args()

    cuda = torch.cuda.is_available()
    dist.init_process_group("nccl" if cuda else "gloo")  # torchrun sets RANK, WORLD_SIZE, MASTER_ADDR, ...
    rank = dist.get_rank()
    device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0))) if cuda else torch.device("cpu")
    if not cuda:
        torch.set_num_threads(max(1, (os.cpu_count() or 2) // dist.get_world_size()))

    data = make_mnist1d(num_train=args.num_train, num_test=1000, seed=42)
    train_set = TensorDataset(torch.from_numpy(data.x_train).unsqueeze(1), torch.from_numpy(data.y_train))
    x_test = torch.from_numpy(data.x_test).unsqueeze(1).to(device)
    y_test = torch.from_numpy(data.y_test).to(device)

    torch.manual_seed(args.seed)  # the same initial model on every rank (DDP also broadcasts it)
    model = DistributedDataParallel(ConvNet1D().to(device), device_ids=[device.index] if cuda else None)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
    assist = AutoAssist(train_set, batch_size=args.batch_size, seed=args.seed)  # on every rank: a collective
    if args.resume:
        saved = torch.load(args.resume, map_location=device)
        model.module.load_state_dict(saved["model"])
        opt.load_state_dict(saved["opt"])
        assist.load_state_dict(saved["assist"])

    step, start = 0, time.perf_counter()
    stopped = False
    while assist.batches.epoch < args.epochs and not stopped:
        model.train()
        for idx, (x, y) in assist.loader():
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            loss = assist.report(idx, F.cross_entropy(model(x), y, reduction="none"))
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            if args.stop_after is not None and step == args.stop_after:
                stopped = True
                break
        model.eval()
        with torch.no_grad():
            accuracy = (model(x_test).argmax(1) == y_test).float().mean().item()
        if rank == 0:
            s = assist.stats()
            print(f"epoch {int(s['epoch'])}: test accuracy {100 * accuracy:.2f}%, Boss steps {int(s['steps'])}, "
                  f"keep rate {s['keep_rate']:.2f}, exchange {s['exchange_ms_per_step']:.2f} ms/step "
                  f"(on the worker thread), Boss waited {s['wait_seconds']:.2f} s", flush=True)

    state = assist.state_dict()  # a collective: every rank calls it
    if args.save and rank == 0:
        torch.save({"model": model.module.state_dict(), "opt": opt.state_dict(), "assist": state}, args.save)
    if rank == 0:
        print(f"{dist.get_world_size()} processes, {time.perf_counter() - start:.1f} s", flush=True)
    assist.close()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
