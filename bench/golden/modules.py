"""Golden cases for the distillation losses that carry modules of their own: MGD, FitNets, VID.

Reference only (never a dependency of the product or its tests): run with PyTorch installed,

    python bench/golden/modules.py engine/tests/golden/losses

It writes `mgd_*.json`, `fitnet_*.json` and `vid_*.json` in the format of engine/tests/golden/README.md, each
with the module weights it used (so the Rust test loads the same module), the inputs, the
expected loss and the expected gradient of the loss with respect to the student's features,
all computed in float64.

The formulas follow the authors' code:
- MGD (Yang et al., ECCV 2022; yzd-v/MGD, `mgd/mgd.py` for classification): a 1x1 `align`
  conv when the channel counts differ, a random mask (given in the case) multiplied into the
  aligned student features, a generator `conv3x3 -> ReLU -> conv3x3` at the teacher's width,
  and `sum((G(align(f_s) * M) - f_t)^2) / N` (MSELoss with reduction sum over the batch size N;
  the weight alpha is applied outside the loss).
- FitNets (Romero et al., ICLR 2015; mdistiller `FitNet.py` with `ConvReg`): `conv3x3 (pad 1)
  -> BatchNorm2d (training mode: batch statistics, eps 1e-5) -> ReLU` from the student's
  channels to the teacher's, then `F.mse_loss` (mean) against the teacher's hint features.
- VID (Ahn et al., CVPR 2019; mdistiller `VID.py`, `VIDLoss`): the larger map average-pooled
  to the smaller one's size; a regressor `conv1x1 -> ReLU -> conv1x1 -> ReLU -> conv1x1`
  (no biases, the teacher's width); `pred_var = log(1 + exp(log_scale)) + eps` per channel
  (eps 1e-5); `mean(0.5 * ((pred_mean - f_t)^2 / pred_var + log(pred_var)))`. One stage pair
  per case (mdistiller sums the pairs of every stage but the first).
"""

import json
import math
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def listed(t):
    return t.detach().tolist()


def mgd_case(seed, batch, cs, ct, h, w, lam):
    g = torch.Generator().manual_seed(seed)
    fs = torch.randn(batch, cs, h, w, generator=g).requires_grad_()
    ft = torch.randn(batch, ct, h, w, generator=g)
    align = None
    if cs != ct:
        align = {"weight": torch.randn(ct, cs, 1, 1, generator=g) * 0.5,
                 "bias": torch.randn(ct, generator=g) * 0.1}
    conv1 = {"weight": torch.randn(ct, ct, 3, 3, generator=g) * 0.2,
             "bias": torch.randn(ct, generator=g) * 0.1}
    conv2 = {"weight": torch.randn(ct, ct, 3, 3, generator=g) * 0.2,
             "bias": torch.randn(ct, generator=g) * 0.1}
    # yzd-v/MGD: mat = rand(N, C, 1, 1); mask = where(mat > 1 - lambda, 0, 1)
    mat = torch.rand(batch, ct, 1, 1, generator=g)
    mask = torch.where(mat > 1 - lam, 0.0, 1.0)
    x = fs
    if align is not None:
        x = F.conv2d(x, align["weight"], align["bias"])
    x = x * mask
    x = F.conv2d(x, conv1["weight"], conv1["bias"], padding=1)
    x = F.relu(x)
    x = F.conv2d(x, conv2["weight"], conv2["bias"], padding=1)
    loss = ((x - ft) ** 2).sum() / batch
    loss.backward()
    return {
        "method": "mgd",
        "params": {"lambda": lam},
        "modules": {
            "align": None if align is None else {k: listed(v) for k, v in align.items()},
            "conv1": {k: listed(v) for k, v in conv1.items()},
            "conv2": {k: listed(v) for k, v in conv2.items()},
        },
        "mask": listed(mask),
        "student_features": listed(fs),
        "teacher_features": listed(ft),
        "expected": {"loss": loss.item()},
        "expected_grad_student_features": listed(fs.grad),
        "tolerance": 1e-5,
    }


def fitnet_case(seed, batch, cs, ct, h, w):
    g = torch.Generator().manual_seed(seed)
    fs = torch.randn(batch, cs, h, w, generator=g).requires_grad_()
    ft = torch.randn(batch, ct, h, w, generator=g).abs()
    conv = {"weight": torch.randn(ct, cs, 3, 3, generator=g) * 0.3,
            "bias": torch.randn(ct, generator=g) * 0.1}
    norm = {"gamma": 1.0 + 0.1 * torch.randn(ct, generator=g),
            "beta": 0.1 * torch.randn(ct, generator=g)}
    x = F.conv2d(fs, conv["weight"], conv["bias"], padding=1)
    x = F.batch_norm(x, None, None, norm["gamma"], norm["beta"], training=True, eps=1e-5)
    x = F.relu(x)
    loss = F.mse_loss(x, ft)
    loss.backward()
    return {
        "method": "fitnet",
        "params": {},
        "modules": {
            "conv": {k: listed(v) for k, v in conv.items()},
            "norm": {k: listed(v) for k, v in norm.items()},
        },
        "student_features": listed(fs),
        "teacher_features": listed(ft),
        "expected": {"loss": loss.item()},
        "expected_grad_student_features": listed(fs.grad),
        "tolerance": 1e-5,
    }


def vid_case(seed, batch, cs, ct, hs, ht, init_var):
    g = torch.Generator().manual_seed(seed)
    fs = torch.randn(batch, cs, hs, hs, generator=g).requires_grad_()
    ft = torch.randn(batch, ct, ht, ht, generator=g)
    eps = 1e-5
    conv1 = torch.randn(ct, cs, 1, 1, generator=g) * 0.4
    conv2 = torch.randn(ct, ct, 1, 1, generator=g) * 0.4
    conv3 = torch.randn(ct, ct, 1, 1, generator=g) * 0.4
    start = math.log(math.exp(init_var - eps) - 1.0)
    log_scale = start + 0.3 * torch.randn(ct, generator=g)
    x, target = fs, ft
    if hs > ht:
        x = F.adaptive_avg_pool2d(x, (ht, ht))
    elif hs < ht:
        target = F.adaptive_avg_pool2d(target, (hs, hs))
    mean = F.conv2d(F.relu(F.conv2d(F.relu(F.conv2d(x, conv1)), conv2)), conv3)
    var = (torch.log(1.0 + torch.exp(log_scale)) + eps).view(1, -1, 1, 1)
    loss = torch.mean(0.5 * ((mean - target) ** 2 / var + torch.log(var)))
    loss.backward()
    return {
        "method": "vid",
        "params": {"init_variance": init_var},
        "modules": {
            "conv1": {"weight": listed(conv1)},
            "conv2": {"weight": listed(conv2)},
            "conv3": {"weight": listed(conv3)},
            "log_scale": listed(log_scale),
        },
        "student_features": listed(fs),
        "teacher_features": listed(ft),
        "expected": {"loss": loss.item()},
        "expected_grad_student_features": listed(fs.grad),
        "tolerance": 1e-5,
    }


def main(out):
    out = Path(out)
    cases = {
        "mgd_0": mgd_case(0, batch=3, cs=4, ct=6, h=4, w=4, lam=0.5),
        "mgd_1": mgd_case(1, batch=2, cs=5, ct=5, h=3, w=5, lam=0.15),
        "mgd_2": mgd_case(2, batch=4, cs=8, ct=4, h=2, w=2, lam=0.3),
        "fitnet_0": fitnet_case(10, batch=3, cs=4, ct=6, h=4, w=4),
        "fitnet_1": fitnet_case(11, batch=4, cs=6, ct=3, h=3, w=3),
        "fitnet_2": fitnet_case(12, batch=2, cs=3, ct=3, h=5, w=4),
        "vid_0": vid_case(20, batch=3, cs=4, ct=6, hs=4, ht=4, init_var=5.0),
        "vid_1": vid_case(21, batch=2, cs=6, ct=3, hs=4, ht=2, init_var=5.0),
        "vid_2": vid_case(22, batch=4, cs=3, ct=5, hs=2, ht=4, init_var=1.0),
    }
    for name, case in cases.items():
        (out / f"{name}.json").write_text(json.dumps(case) + "\n")
        print(name, case["expected"]["loss"])


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "engine/tests/golden/losses")
