"""Golden cases for DOT, the distillation-oriented trainer (Zhao, Song & Sun, ICCV 2023).

Reference only (never a dependency of the product or its tests): run with PyTorch installed,

    python bench/golden/dot.py engine/tests/golden/losses

It writes `dot_*.json`: a linear classifier `z = x W^T + b` trained for a few SGD steps, each
on its own batch, with the task loss `ce_weight * CE(z, y)` and the distillation loss
`kd_weight * T^2 * KL(softmax(z_t / T) || softmax(z / T))` (batch mean), computed in float64.
The update is the one of the authors' optimiser (mdistiller `mdistiller/engine/dot.py`,
`DistillationOrientedTrainer`), re-written here from it: the distillation loss's gradient goes
into a momentum buffer with momentum `m + delta`, the task loss's gradient plus weight decay
into one with momentum `m - delta` (each buffer starts as its first gradient, no dampening),
and each step subtracts `lr * (task buffer + distillation buffer)` (the task's first). Both
gradients are taken at the same weights. The case holds the initial weights, every batch, and
the weights after every step; `expected.loss` is the first step's task + distillation loss.
"""

import json
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def losses(w, b, x, y, zt, ce_weight, kd_weight, t):
    z = x @ w.T + b
    task = ce_weight * F.cross_entropy(z, y)
    kl = F.kl_div(F.log_softmax(z / t, dim=1), F.softmax(zt / t, dim=1), reduction="batchmean")
    return task, kd_weight * kl * t * t


def case(seed, steps, batch, dim, classes, hp):
    g = torch.Generator().manual_seed(seed)
    w = (torch.randn(classes, dim, generator=g) * 0.3).requires_grad_()
    b = (torch.randn(classes, generator=g) * 0.1).requires_grad_()
    start = {"weight": w.detach().tolist(), "bias": b.detach().tolist()}
    task_momentum = hp["momentum"] - hp["delta"]
    kd_momentum = hp["momentum"] + hp["delta"]
    task_buffers, kd_buffers = [None, None], [None, None]
    batches, after, first_loss = [], [], None
    for step in range(steps):
        x = torch.randn(batch, dim, generator=g)
        y = torch.randint(0, classes, (batch,), generator=g)
        zt = torch.randn(batch, classes, generator=g) * 2.0
        task, kd = losses(w, b, x, y, zt, hp["ce_weight"], hp["kd_weight"], hp["temperature"])
        if first_loss is None:
            first_loss = (task + kd).item()
        kd_grads = torch.autograd.grad(kd, [w, b], retain_graph=True)
        task_grads = torch.autograd.grad(task, [w, b])
        with torch.no_grad():
            for i, p in enumerate([w, b]):
                d_task = task_grads[i] + hp["weight_decay"] * p
                task_buffers[i] = (d_task.clone() if task_buffers[i] is None
                                   else task_buffers[i] * task_momentum + d_task)
                kd_buffers[i] = (kd_grads[i].clone() if kd_buffers[i] is None
                                 else kd_buffers[i] * kd_momentum + kd_grads[i])
                p -= hp["lr"] * task_buffers[i]
                p -= hp["lr"] * kd_buffers[i]
        batches.append({"inputs": x.tolist(), "targets": y.tolist(), "teacher_logits": zt.tolist()})
        after.append({"weight": w.detach().tolist(), "bias": b.detach().tolist()})
    return {
        "method": "dot",
        "params": hp,
        "modules": {"linear": start},
        "batches": batches,
        "expected": {"loss": first_loss},
        "expected_weights": after,
        "tolerance": 1e-5,
    }


def main(out):
    out = Path(out)
    base = {"lr": 0.1, "momentum": 0.9, "delta": 0.075, "weight_decay": 5e-4,
            "ce_weight": 1.0, "kd_weight": 1.0, "temperature": 4.0}
    cases = [
        case(0, 3, 8, 5, 4, base),
        case(1, 4, 6, 3, 10, dict(base, delta=0.2, weight_decay=0.0, ce_weight=0.1, kd_weight=0.9)),
        case(2, 3, 16, 7, 5, dict(base, momentum=0.5, delta=0.4, lr=0.05, temperature=2.0)),
    ]
    for i, c in enumerate(cases):
        (out / f"dot_{i}.json").write_text(json.dumps(c))
    print(f"wrote {len(cases)} cases to {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
