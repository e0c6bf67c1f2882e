"""The lab's exported students checked outside the lab: ONNX's own checker, onnxruntime, and
PyTorch loading the `.safetensors` export into the reference definition.

Reference only (never a dependency of the product or its tests): run with PyTorch, `onnx`,
`onnxruntime` and `safetensors` installed, after training on the synthetic set (grey 28x28
images, 10 classes) a CIFAR ResNet-8 at half width called `student`, a MobileNetV2 with
expansion 2 at a quarter width called `mobile` and a ShuffleNetV2 of size 0.2 called
`shuffle`, all exported in both formats:

    distill run spec.json --backend cpu --out out --export onnx --export safetensors
    python bench/models/check_exports.py out/models

(`spec.json`: `{"dataset": {"name": "synthetic", "train_subset": 300}, "budget": {"epochs": 1},
"chain": [{"name": "student", "architecture": {"kind": "resnet", "depth": 8, "width": 0.5}},
{"name": "mobile", "architecture": {"kind": "mobilenetv2", "expansion": 2, "width": 0.25},
"link": {"terms": [{"method": "kd"}]}}, {"name": "shuffle", "architecture": {"kind":
"shufflenetv2", "size": 0.2}, "link": {"terms": [{"method": "kd"}]}}]}`.)

For each, it runs `onnx.checker.check_model(full_check=True)` on the `.onnx` file, loads the
`.safetensors` file strictly into mdistiller's definition (`reference_weights.py`, its first
conv taking one channel and, for the ResNet, a global average pool for 28-pixel images), and
prints the largest difference between onnxruntime's logits and PyTorch's at batch 5 and 1.
"""

import glob
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn as nn
from safetensors.torch import load_file

from reference_weights import MobileNetV2, ResNet, ShuffleNetV2


def check(models, stem, model):
    onnx_path = glob.glob(os.path.join(models, f"{stem}-*.onnx"))[0]
    onnx.checker.check_model(onnx.load(onnx_path), full_check=True)
    model.load_state_dict(load_file(onnx_path.replace(".onnx", ".safetensors")), strict=True)
    model.eval()
    session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    print(stem, [(o.name, o.shape) for o in session.get_outputs()])
    for batch in (5, 1):
        x = np.random.default_rng(batch).standard_normal((batch, 1, 28, 28)).astype(np.float32)
        ours = session.run(["logits"], {"images": x})[0]
        with torch.no_grad():
            theirs = model(torch.from_numpy(x)).numpy()
        print(f"  batch {batch}: max |onnxruntime - PyTorch| = {np.abs(ours - theirs).max():.2e}")


def main(models):
    resnet = ResNet(8, [8, 8, 16, 32], 10)
    resnet.conv1 = nn.Conv2d(1, 8, 3, padding=1, bias=False)
    resnet.avgpool = nn.AdaptiveAvgPool2d(1)
    check(models, "student", resnet)
    mobile = MobileNetV2(2, 10, 0.25)
    mobile.conv1[0] = nn.Conv2d(1, 8, 3, 2, 1, bias=False)
    check(models, "mobile", mobile)
    shuffle = ShuffleNetV2(0.2, 10)
    shuffle.conv1 = nn.Conv2d(1, 24, 1, bias=False)
    check(models, "shuffle", shuffle)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "out/models")
