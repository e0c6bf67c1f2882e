"""Golden cases for ReviewKD (knowledge review, Chen et al., CVPR 2021).

Reference only (never a dependency of the product or its tests): run with PyTorch installed,

    python bench/golden/reviewkd.py engine/tests/golden/losses

It writes `reviewkd_*.json`: the student's and the teacher's levels (input side first, the
embedding last as a 1x1 map), the weights of every attention-based fusion (deepest first), the
expected loss (the sum of the levels' HCL, before the weight and the warm-up) and the expected
gradient with respect to each student level, all computed in float64.

Written from the paper and the authors' code as mdistiller keeps it (`ReviewKD.py`):
- ABF: `conv1x1 (no bias) -> BatchNorm2d` to the fused width; below the deepest level, the
  deeper level's fused map is resized to this one's size (`F.interpolate`, mode "nearest"),
  `z = sigmoid(conv1x1([x, y]))` (with bias) and `x = x * z[:, 0] + y * z[:, 1]`; `x` is
  resized to the teacher's size when it differs; the output is `conv3x3 (padding 1, no bias)
  -> BatchNorm2d` to the teacher's width, and `x` is handed to the next level. Batch norm in
  training mode (batch statistics, eps 1e-5).
- HCL: `mse(fs, ft)`, then for l in 4, 2, 1 with l < h: the MSE of both maps average-pooled to
  l x l at weight 1/2, 1/4, 1/8; divided by the sum of the weights; summed over the levels.
"""

import json
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def listed(t):
    return t.detach().tolist()


def batch_norm(x, norm):
    return F.batch_norm(x, None, None, norm["gamma"], norm["beta"], training=True, eps=1e-5)


def abf(x, deeper, out_size, m):
    n, _, h, w = x.shape
    x = batch_norm(F.conv2d(x, m["conv1"]), m["norm1"])
    if m["attention"] is not None:
        deeper = F.interpolate(deeper, (h, w), mode="nearest")
        z = torch.cat([x, deeper], dim=1)
        z = torch.sigmoid(F.conv2d(z, m["attention"]["weight"], m["attention"]["bias"]))
        x = x * z[:, 0].view(n, 1, h, w) + deeper * z[:, 1].view(n, 1, h, w)
    if tuple(x.shape[-2:]) != tuple(out_size):
        x = F.interpolate(x, out_size, mode="nearest")
    out = batch_norm(F.conv2d(x, m["conv2"], padding=1), m["norm2"])
    return out, x


def hcl(fs, ft):
    _, _, h, _ = fs.shape
    loss = F.mse_loss(fs, ft)
    cnt, tot = 1.0, 1.0
    for l in [4, 2, 1]:
        if l >= h:
            continue
        cnt /= 2.0
        loss = loss + F.mse_loss(F.adaptive_avg_pool2d(fs, (l, l)),
                                 F.adaptive_avg_pool2d(ft, (l, l))) * cnt
        tot += cnt
    return loss / tot


def norm(g, channels):
    return {"gamma": 1.0 + 0.1 * torch.randn(channels, generator=g),
            "beta": 0.1 * torch.randn(channels, generator=g)}


def case(seed, batch, student, teacher):
    """`student`, `teacher`: the levels' (channels, height, width), input side first."""
    g = torch.Generator().manual_seed(seed)
    fs = [torch.randn(batch, *shape, generator=g).requires_grad_() for shape in student]
    ft = [torch.randn(batch, *shape, generator=g) for shape in teacher]
    fused = min(512, student[-1][0])
    fusions = []  # deepest first
    for depth, (s, t) in enumerate(zip(reversed(student), reversed(teacher))):
        m = {
            "conv1": torch.randn(fused, s[0], 1, 1, generator=g) * 0.4,
            "norm1": norm(g, fused),
            "attention": None if depth == 0 else {
                "weight": torch.randn(2, 2 * fused, 1, 1, generator=g) * 0.4,
                "bias": 0.1 * torch.randn(2, generator=g),
            },
            "conv2": torch.randn(t[0], fused, 3, 3, generator=g) * 0.2,
            "norm2": norm(g, t[0]),
        }
        fusions.append(m)
    loss = 0.0
    deeper = None
    for m, s, t in zip(fusions, reversed(fs), reversed(ft)):
        out, deeper = abf(s, deeper, t.shape[-2:], m)
        loss = loss + hcl(out, t)
    loss.backward()
    listed_fusions = [{
        "conv1": {"weight": listed(m["conv1"])},
        "norm1": {k: listed(v) for k, v in m["norm1"].items()},
        "attention": None if m["attention"] is None
        else {k: listed(v) for k, v in m["attention"].items()},
        "conv2": {"weight": listed(m["conv2"])},
        "norm2": {k: listed(v) for k, v in m["norm2"].items()},
    } for m in fusions]
    return {
        "method": "reviewkd",
        "params": {},
        "modules": {"fusions": listed_fusions},
        "student_levels": [listed(f) for f in fs],
        "teacher_levels": [listed(f) for f in ft],
        "expected": {"loss": loss.item()},
        "expected_grad_student_levels": [listed(f.grad) for f in fs],
        "tolerance": 1e-5,
    }


def main(out):
    out = Path(out)
    cases = {
        # Same sizes on both sides.
        "reviewkd_0": case(30, 3, [(4, 8, 8), (6, 4, 4), (10, 1, 1)],
                           [(5, 8, 8), (7, 4, 4), (12, 1, 1)]),
        # The teacher's maps are smaller: the student's fused maps shrink to them.
        "reviewkd_1": case(31, 4, [(3, 8, 8), (5, 4, 4), (8, 1, 1)],
                           [(4, 4, 4), (6, 2, 2), (6, 1, 1)]),
        # The teacher's maps are larger (an 8x8 level with the whole pyramid), uneven widths.
        "reviewkd_2": case(32, 2, [(3, 4, 4), (5, 2, 2), (7, 1, 1)],
                           [(4, 8, 8), (4, 4, 4), (5, 1, 1)]),
        # Embedding only (a model with no paired stage).
        "reviewkd_3": case(33, 3, [(6, 1, 1)], [(4, 1, 1)]),
    }
    for name, c in cases.items():
        (out / f"{name}.json").write_text(json.dumps(c) + "\n")
        print(name, c["expected"]["loss"])


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "engine/tests/golden/losses")
