#!/usr/bin/env python3
"""An independent reference for `resnet train --recipe paper-cifar`: ResNet on CIFAR-10 written from the
paper (section 4.2) in plain PyTorch, sharing no code with ResNetSharp. Used to tell a trainer bug from a
property of the data: run it and ResNetSharp on the same ImageFolder with the same schedule and compare.

Debian 12: apt-get install python3-torch python3-pil python3-numpy (PyTorch 1.13).
Usage: cifar_resnet_pytorch.py <ImageFolder root with train/ and test/> [--depth 20] [--iterations 64000]
       [--milestones 32000,48000] [--seed 0] [--eval-every 1000] [--threads N] [--out metrics.csv]
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image


def load_folder(root):
    classes = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
    images, labels = [], []
    for label, name in enumerate(classes):
        folder = os.path.join(root, name)
        for file in sorted(os.listdir(folder)):
            with Image.open(os.path.join(folder, file)) as im:
                images.append(np.asarray(im.convert("RGB"), dtype=np.uint8))
            labels.append(label)
    return np.stack(images), np.asarray(labels, dtype=np.int64), classes


class Unit(nn.Module):
    """Two 3x3 conv-BN layers; option A shortcut (stride-2 subsampling, zero-padded channels)."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout)
        self.stride, self.extra = stride, cout - cin

    def forward(self, x):
        y = self.b2(self.c2(F.relu(self.b1(self.c1(x)))))
        s = x[:, :, ::self.stride, ::self.stride] if self.stride > 1 else x
        if self.extra:
            s = F.pad(s, (0, 0, 0, 0, self.extra // 2, self.extra - self.extra // 2))
        return F.relu(y + s)


class CifarResNet(nn.Module):
    def __init__(self, depth, classes=10):
        super().__init__()
        n = (depth - 2) // 6
        self.conv = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(16)
        units, cin = [], 16
        for stage, width in enumerate((16, 32, 64)):
            for i in range(n):
                units.append(Unit(cin, width, 2 if stage > 0 and i == 0 else 1))
                cin = width
        self.units = nn.Sequential(*units)
        self.fc = nn.Linear(64, classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")  # He et al. 2015

    def forward(self, x):
        x = self.units(F.relu(self.bn(self.conv(x))))
        return self.fc(x.mean((2, 3)))


def augment(batch, generator):
    """Pad 4 zero pixels on each side, random 32x32 crop, horizontal flip with probability 1/2 (uint8 NHWC)."""
    n = batch.shape[0]
    padded = np.zeros((n, 40, 40, 3), dtype=np.uint8)
    padded[:, 4:36, 4:36] = batch
    xs = generator.integers(0, 9, n)
    ys = generator.integers(0, 9, n)
    flips = generator.random(n) < 0.5
    out = np.empty_like(batch)
    for i in range(n):
        crop = padded[i, ys[i]:ys[i] + 32, xs[i]:xs[i] + 32]
        out[i] = crop[:, ::-1] if flips[i] else crop
    return out


def to_tensor(batch, mean):
    x = torch.from_numpy(batch.astype(np.float32) / 255.0 - mean)  # per-pixel mean subtracted
    return x.permute(0, 3, 1, 2).contiguous()


def evaluate(model, images, labels, mean):
    model.eval()
    wrong = 0
    with torch.no_grad():
        for start in range(0, len(images), 500):
            logits = model(to_tensor(images[start:start + 500], mean))
            wrong += (logits.argmax(1).numpy() != labels[start:start + 500]).sum()
    model.train()
    return wrong / len(images)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("root")
    p.add_argument("--depth", type=int, default=20)
    p.add_argument("--iterations", type=int, default=64000)
    p.add_argument("--milestones", default="32000,48000")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--eval-every", type=int, default=1000)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--out", default="reference-metrics.csv")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    generator = np.random.default_rng(a.seed)
    train_x, train_y, classes = load_folder(os.path.join(a.root, "train"))
    test_x, test_y, _ = load_folder(os.path.join(a.root, "test"))
    mean = train_x.astype(np.float64).mean(0).astype(np.float32) / 255.0
    print(f"{len(train_x)} train / {len(test_x)} test images, classes {classes}", flush=True)
    model = CifarResNet(a.depth)
    optimiser = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.MultiStepLR(optimiser, [int(m) for m in a.milestones.split(",")], 0.1)
    it, started, window = 0, time.time(), []
    with open(a.out, "w") as log:
        log.write("iteration,lr,train_loss,train_error,test_error,seconds\n")
        while it < a.iterations:
            order = generator.permutation(len(train_x))
            for start in range(0, len(order) - 127, 128):  # full batches of 128
                if it >= a.iterations:
                    break
                idx = order[start:start + 128]
                x = to_tensor(augment(train_x[idx], generator), mean)
                y = torch.from_numpy(train_y[idx])
                logits = model(x)
                loss = F.cross_entropy(logits, y)
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                lr = optimiser.param_groups[0]["lr"]
                schedule.step()
                it += 1
                window.append((loss.item(), (logits.argmax(1) != y).float().mean().item()))
                if it % a.eval_every == 0 or it == a.iterations:
                    test_error = evaluate(model, test_x, test_y, mean)
                    loss_mean, err_mean = np.mean(window, 0)
                    window = []
                    line = f"{it},{lr},{loss_mean:.5f},{err_mean:.5f},{test_error:.4f},{time.time() - started:.1f}"
                    log.write(line + "\n")
                    log.flush()
                    print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
