#!/usr/bin/env python3
"""Exports, with PyTorch's own exporter, the graph whose node patterns OnnxImportTests' PyTorch-style option-A test
rebuilds from our export (so that CI needs no PyTorch and no model files): a CIFAR ResNet-8 in the style of the
popular PyTorch CIFAR reproductions (option A pads the extra zero channels on both sides of the input's channels,
x[:, :, ::2, ::2] for the stride, x.view(x.size(0), -1) before the classifier), random weights and BN statistics,
exported by PyTorch's own exporter once with BN folded into the convolutions (its default in eval mode) and once
with BN kept, into the current folder. `resnet import` on either file matches ONNX Runtime (checked 2026-12-02).

Debian 12: apt-get install python3-torch python3-onnx; run with /usr/bin/python3.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Unit(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.stride, self.half = stride, (cout - cin) // 2

    def forward(self, x):
        y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        s = x
        if self.stride > 1 or self.half:
            s = F.pad(x[:, :, ::self.stride, ::self.stride], (0, 0, 0, 0, self.half, self.half), "constant", 0)
        return F.relu(y + s)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.layers = nn.Sequential(Unit(16, 16, 1), Unit(16, 32, 2), Unit(32, 64, 2))
        self.linear = nn.Linear(64, 10)

    def forward(self, x):
        x = self.layers(F.relu(self.bn1(self.conv1(x))))
        x = F.avg_pool2d(x, 8)
        return self.linear(x.view(x.size(0), -1))


torch.manual_seed(0)
net = Net()
for m in net.modules():
    if isinstance(m, nn.BatchNorm2d):
        m.weight.data.uniform_(0.5, 1.5)
        m.bias.data.uniform_(-0.3, 0.3)
        m.running_mean.uniform_(-0.2, 0.2)
        m.running_var.uniform_(0.5, 2.0)
net.eval()
x = torch.zeros(1, 3, 32, 32)
for name, mode in (("folded", torch.onnx.TrainingMode.EVAL), ("bn", torch.onnx.TrainingMode.PRESERVE)):
    torch.onnx.export(net, x, f"pytorch-option-a-{name}.onnx",
                      input_names=["input"], output_names=["logits"], dynamic_axes={"input": {0: "n"}, "logits": {0: "n"}},
                      opset_version=13, training=mode, do_constant_folding=(name == "folded"))
print("wrote pytorch-option-a-folded.onnx and pytorch-option-a-bn.onnx")
