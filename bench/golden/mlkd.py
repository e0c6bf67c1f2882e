"""Golden cases for MLKD, multi-level logit distillation (Jin, Wang & Lin, CVPR 2023).

Reference only (never a dependency of the product or its tests): run with PyTorch installed,

    python bench/golden/mlkd.py engine/tests/golden/losses

It writes `mlkd_*.json` in the format of engine/tests/golden/README.md, computed in float64.

The formula follows the paper and the authors' public code (Jin-Ying/Multi-Level-Logit-
Distillation, `mdistiller/distillers/MLKD.py`), on one view of the batch: for each temperature
T in {2, 3, 4, 5, 6} (the code's base T = 4 and 2, 3, 5, 6), with P_s = softmax(z_s / T) and
P_t = softmax(z_t / T), both [batch, classes],
- instance level: T^2 * KL(P_t || P_s), summed over classes and averaged over the batch (the
  code's `kd_loss`; with logit standardisation the logits are z-scored first, as the code's
  `normalize` does, only at this level),
- batch level: ||P_t P_t^T - P_s P_s^T||_F^2 / batch (the code's `bc_loss`),
- class level: ||P_t^T P_t - P_s^T P_s||_F^2 / classes (the code's `cc_loss`),
and each level is the sum over the five temperatures. What the lab does not reproduce, and
these cases therefore leave out: the code's second, strongly augmented view of each image and
its median-confidence masks (which, because they multiply a loss that is already reduced to a
number, scale the weak view's terms by the fraction of samples or classes under the median).
"""

import json
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)

TEMPERATURES = (2.0, 3.0, 4.0, 5.0, 6.0)


def standardize(z):
    return (z - z.mean(dim=1, keepdim=True)) / (1e-7 + z.std(dim=1, keepdim=True))


def levels(zs, zt, logit_standardization):
    instance = batch = klass = 0.0
    n, c = zs.shape
    for t in TEMPERATURES:
        si, ti = (standardize(zs), standardize(zt)) if logit_standardization else (zs, zt)
        kl = F.kl_div(F.log_softmax(si / t, dim=1), F.softmax(ti / t, dim=1), reduction="none")
        instance = instance + kl.sum(1).mean() * t * t
        ps, pt = F.softmax(zs / t, dim=1), F.softmax(zt / t, dim=1)
        batch = batch + ((pt @ pt.T - ps @ ps.T) ** 2).sum() / n
        klass = klass + ((pt.T @ pt - ps.T @ ps) ** 2).sum() / c
    return instance, batch, klass


def case(seed, n, c, spread, logit_standardization):
    g = torch.Generator().manual_seed(seed)
    zs = (torch.randn(n, c, generator=g) * spread).requires_grad_()
    zt = torch.randn(n, c, generator=g) * spread
    targets = torch.randint(0, c, (n,), generator=g)
    instance, batch, klass = levels(zs, zt, logit_standardization)
    loss = instance + batch + klass
    loss.backward()
    params = {"logit_standardization": True} if logit_standardization else {}
    return {
        "method": "mlkd",
        "params": params,
        "student_logits": zs.detach().tolist(),
        "teacher_logits": zt.tolist(),
        "targets": targets.tolist(),
        "expected": {
            "loss": loss.item(),
            "instance": instance.item(),
            "batch": batch.item(),
            "class": klass.item(),
        },
        "expected_grad_student_logits": zs.grad.tolist(),
        "tolerance": 1e-4,
    }


def main(out):
    out = Path(out)
    cases = [
        case(0, 8, 10, 2.0, False),
        case(1, 5, 7, 1.0, False),
        case(2, 16, 100, 3.0, False),
        case(3, 8, 10, 2.0, True),
        case(4, 6, 12, 25.0, True),
    ]
    for i, c in enumerate(cases):
        (out / f"mlkd_{i}.json").write_text(json.dumps(c))
    print(f"wrote {len(cases)} cases to {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
