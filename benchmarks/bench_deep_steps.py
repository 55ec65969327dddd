"""Seconds per training step of embedded-deep's recipe, at 27 and at 54 residual blocks.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_deep_steps.py [--steps 8] [--warmup 2]

One AdamW step of `training.train_deep` (batch 64, 32 px shapes, cross-entropy, channels-last,
1 torch thread) on freshly initialised networks:

- `embedded-deep`: `build_narrow_resnet(10, 16, [7, 7, 7, 6], SMALL_STEM)`, 27 blocks;
- `torchvision-54`: the same form with `[14, 14, 14, 12]`, 54 blocks (what the app could
  ship: every switch works on a torchvision ResNet);
- `cifar-110`: He et al.'s CIFAR ResNet-110 (`lab.cifar_nets.CifarResNet(110)`, 3 stages of
  18 blocks, widths 16/32/64, option A), the network of Veit et al.'s Fig. 5(a).

Prints the median and the range of the timed steps for each network. The steps are interleaved
(one step of each network per round), so on a shared machine all three see the same load: compare
the medians of one run.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn

from resnet_demo.lab.cifar_nets import CifarResNet
from resnet_demo.models.embedded import SMALL_STEM, build_narrow_resnet
from training.data import generate


def interleaved_steps(
    nets: dict[str, nn.Module], x: torch.Tensor, y: torch.Tensor, steps: int, warmup: int
) -> dict[str, list[float]]:
    """Seconds of `steps` AdamW steps of each network after `warmup` untimed ones; each
    round steps every network once, so all of them see the same load on a shared machine."""
    optimizers = {
        name: torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=5e-4)
        for name, net in nets.items()
    }
    times: dict[str, list[float]] = {name: [] for name in nets}
    for i in range(warmup + steps):
        for name, net in nets.items():
            net.train()
            start = time.perf_counter()
            loss = F.cross_entropy(net(x), y)
            optimizers[name].zero_grad(set_to_none=True)
            loss.backward()
            optimizers[name].step()
            if i >= warmup:
                times[name].append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    images, labels = generate(0, args.batch, size=32)
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float().div(255)
    x = x.contiguous(memory_format=torch.channels_last)
    y = torch.from_numpy(labels)
    nets = {
        "embedded-deep (27 blocks)": build_narrow_resnet(10, 16, [7, 7, 7, 6], SMALL_STEM),
        "torchvision-54 (54 blocks)": build_narrow_resnet(10, 16, [14, 14, 14, 12], SMALL_STEM),
        "cifar-110 (54 blocks)": CifarResNet(110),
    }
    nets = {name: net.to(memory_format=torch.channels_last) for name, net in nets.items()}
    for name, times in interleaved_steps(nets, x, y, args.steps, args.warmup).items():
        print(
            f"{name}: median {statistics.median(times):.3f} s/step "
            f"(min {min(times):.3f}, max {max(times):.3f}; {args.steps} steps, batch {args.batch})",
            flush=True,
        )


if __name__ == "__main__":
    main()
