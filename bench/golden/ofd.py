"""Golden cases for OFD (overhaul of feature distillation, Heo et al., ICCV 2019).

Reference only (never a dependency of the product or its tests): run with PyTorch installed,

    python bench/golden/ofd.py engine/tests/golden/losses

It writes `ofd_*.json`: one stage pair before the ReLU, the connector's weights, the teacher's
batch norm before that ReLU (from which both sides compute the margins), the expected margins,
the expected loss of the stage (before the stage weight 1/2^(n-1-i) and the term weight) and the
expected gradient with respect to the student's features, all computed in float64.

Written from the paper and the authors' code as mdistiller keeps it (`OFD.py`):
- margin per teacher channel from its batch norm (gamma = s, beta = m): with s = |gamma|, if
  Phi(-m/s) > 0.001 then `-s * exp(-(m/s)^2 / 2) / sqrt(2 pi) / Phi(-m/s) + m`, else `-3 s`
  (Phi the standard normal CDF, here `0.5 * erfc(x / -sqrt(2))` instead of scipy's `norm.cdf`);
- connector: `conv1x1 (no bias) -> BatchNorm2d` (training mode: batch statistics, eps 1e-5);
- the teacher's map `adaptive_avg_pool2d` to the student's size;
- `feat_loss`: `(s - m)^2 [s > m, t <= m] + (s - t)^2 [s > t, t > m, t <= 0] + (s - t)^2 [t > 0]`,
  `abs(loss).mean(dim=0).sum()`.
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


def phi(x):
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def margins(gamma, beta):
    out = []
    for s, m in zip(gamma.tolist(), beta.tolist()):
        s = abs(s)
        if phi(-m / s) > 0.001:
            out.append(-s * math.exp(-((m / s) ** 2) / 2) / math.sqrt(2 * math.pi) / phi(-m / s) + m)
        else:
            out.append(-3 * s)
    return torch.tensor(out).view(1, -1, 1, 1)


def feat_loss(source, target, margin):
    loss = ((source - margin) ** 2 * ((source > margin) & (target <= margin)).double()
            + (source - target) ** 2
            * ((source > target) & (target > margin) & (target <= 0)).double()
            + (source - target) ** 2 * (target > 0).double())
    return torch.abs(loss).mean(dim=0).sum()


def case(seed, batch, cs, ct, hs, ht):
    g = torch.Generator().manual_seed(seed)
    fs = torch.randn(batch, cs, hs, hs, generator=g).requires_grad_()
    ft = 1.5 * torch.randn(batch, ct, ht, ht, generator=g) - 0.3
    conv = torch.randn(ct, cs, 1, 1, generator=g) * math.sqrt(2.0 / ct)
    norm = {"gamma": 1.0 + 0.2 * torch.randn(ct, generator=g),
            "beta": 0.2 * torch.randn(ct, generator=g)}
    # The teacher's batch norm: mostly ordinary channels, one whose negatives are rare (-3 gamma),
    # one with a negative gamma.
    teacher_gamma = 0.5 + torch.rand(ct, generator=g)
    teacher_beta = torch.randn(ct, generator=g)
    teacher_beta[0] = 4.0 * teacher_gamma[0]
    teacher_gamma[1] = -teacher_gamma[1]
    margin = margins(teacher_gamma, teacher_beta)
    source = F.batch_norm(F.conv2d(fs, conv), None, None, norm["gamma"], norm["beta"],
                          training=True, eps=1e-5)
    target = F.adaptive_avg_pool2d(ft, source.shape[-2:])
    loss = feat_loss(source, target, margin)
    loss.backward()
    return {
        "method": "ofd",
        "params": {},
        "modules": {
            "conv": {"weight": listed(conv)},
            "norm": {k: listed(v) for k, v in norm.items()},
        },
        "teacher_norm": {"gamma": listed(teacher_gamma), "beta": listed(teacher_beta)},
        "student_features": listed(fs),
        "teacher_features": listed(ft),
        "expected": {"loss": loss.item()},
        "expected_margins": listed(margin.flatten()),
        "expected_grad_student_features": listed(fs.grad),
        "tolerance": 1e-5,
    }


def main(out):
    out = Path(out)
    cases = {
        "ofd_0": case(40, batch=3, cs=4, ct=6, hs=4, ht=4),
        # The teacher's map is larger: pooled to the student's size.
        "ofd_1": case(41, batch=4, cs=6, ct=3, hs=2, ht=4),
        "ofd_2": case(42, batch=2, cs=3, ct=5, hs=3, ht=3),
    }
    for name, c in cases.items():
        (out / f"{name}.json").write_text(json.dumps(c) + "\n")
        print(name, c["expected"]["loss"])


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "engine/tests/golden/losses")
