"""Golden cases for CRD (contrastive representation distillation, Tian et al., ICLR 2020).

Reference only (never a dependency of the product or its tests): run with PyTorch installed,

    python bench/golden/crd.py engine/tests/golden/losses

It writes `crd_*.json`: the student's and the teacher's embeddings (the classifier's input), the
two linear maps (`embed_student`, `embed_teacher`: PyTorch's `weight [out][in]` and `bias`), the
memory bank before the batch (`memory.student`, `memory.teacher`: `[samples][dim]`, and the
normalisers `z` when an earlier batch has set them, else null), the batch's `samples` and each
sample's `contrast` row (itself, then its negatives), the expected loss (student NCE + teacher
NCE, before the weight), the expected gradient with respect to the student's embedding, and the
bank after the batch (`expected_memory`, with the normalisers it set), all in float64.

Written from the paper and the authors' code as mdistiller keeps it (`CRD.py`: `Embed`,
`ContrastMemory`, `ContrastLoss`): embed = linear then `x / ||x||`; the student's scores
`exp(memory_teacher[contrast] . v_s / T)` and the teacher's `exp(memory_student[contrast] . v_t
/ T)`; Z = mean(scores) * samples from the first batch; NCE with m = negatives, Pn = 1/samples,
eps 1e-7: `-(sum log(P0 / (P0 + m Pn + eps)) + sum log(m Pn / (Pk + m Pn + eps))) / batch`; then
each sample's rows become `normalise(momentum * row + (1 - momentum) * v)`.
"""

import json
import math
import sys
from pathlib import Path

import torch

torch.set_default_dtype(torch.float64)


def listed(t):
    return t.detach().tolist()


def nce(x, samples):
    eps = 1e-7
    bsz = x.shape[0]
    m = x.size(1) - 1
    pn = 1 / float(samples)
    p_pos = x.select(1, 0)
    log_d1 = torch.div(p_pos, p_pos.add(m * pn + eps)).log()
    p_neg = x.narrow(1, 1, m)
    log_d0 = torch.div(p_neg.clone().fill_(m * pn), p_neg.add(m * pn + eps)).log()
    return -(log_d1.sum(0) + log_d0.view(-1, 1).sum(0)) / bsz


def case(seed, batch, ds, dt, dim, samples, negatives, labels, z=None, temperature=0.07,
         momentum=0.5):
    g = torch.Generator().manual_seed(seed)
    fs = torch.randn(batch, ds, generator=g).requires_grad_()
    ft = torch.randn(batch, dt, generator=g).abs()
    embed_s = {"weight": torch.randn(dim, ds, generator=g) * 0.5,
               "bias": 0.1 * torch.randn(dim, generator=g)}
    embed_t = {"weight": torch.randn(dim, dt, generator=g) * 0.5,
               "bias": 0.1 * torch.randn(dim, generator=g)}
    stdv = 1.0 / math.sqrt(dim / 3)
    memory_s = torch.rand(samples, dim, generator=g) * 2 * stdv - stdv
    memory_t = torch.rand(samples, dim, generator=g) * 2 * stdv - stdv
    index = torch.randperm(samples, generator=g)[:batch]
    contrast = []
    for i in index.tolist():
        others = [j for j in range(samples) if labels[j] != labels[i]]
        picks = torch.randint(len(others), (negatives,), generator=g).tolist()
        contrast.append([i] + [others[p] for p in picks])
    contrast = torch.tensor(contrast)

    def embed(x, e):
        x = x @ e["weight"].t() + e["bias"]
        return x / x.pow(2).sum(1, keepdim=True).pow(0.5)

    vs, vt = embed(fs, embed_s), embed(ft, embed_t)
    w_t = memory_t[contrast.view(-1)].view(batch, negatives + 1, dim)
    out_s = torch.exp(torch.bmm(w_t, vs.view(batch, dim, 1)).squeeze(2) / temperature)
    w_s = memory_s[contrast.view(-1)].view(batch, negatives + 1, dim)
    out_t = torch.exp(torch.bmm(w_s, vt.view(batch, dim, 1)).squeeze(2) / temperature)
    given_z = z
    if z is None:
        z = (out_s.mean().item() * samples, out_t.mean().item() * samples)
    loss = nce(out_s / z[0], samples) + nce(out_t / z[1], samples)
    loss.backward()

    def blend(memory, v):
        memory = memory.clone()
        rows = memory[index] * momentum + v.detach() * (1 - momentum)
        memory[index] = rows / rows.pow(2).sum(1, keepdim=True).pow(0.5)
        return memory

    return {
        "method": "crd",
        "params": {"temperature": temperature, "momentum": momentum, "negatives": negatives,
                   "feature_dim": dim},
        "modules": {
            "embed_student": {k: listed(v) for k, v in embed_s.items()},
            "embed_teacher": {k: listed(v) for k, v in embed_t.items()},
        },
        "memory": {"student": listed(memory_s), "teacher": listed(memory_t),
                   "z": None if given_z is None else list(given_z)},
        "samples": listed(index),
        "contrast": listed(contrast),
        "student_embedding": listed(fs),
        "teacher_embedding": listed(ft),
        "expected": {"loss": loss.item()},
        "expected_grad_student_embedding": listed(fs.grad),
        "expected_memory": {"student": listed(blend(memory_s, vs)),
                            "teacher": listed(blend(memory_t, vt)), "z": list(z)},
        "tolerance": 1e-5,
    }


def main(out):
    out = Path(out)
    labels = [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2]
    cases = {
        # The first batch: Z is set from it.
        "crd_0": case(50, batch=3, ds=5, dt=7, dim=4, samples=12, negatives=5, labels=labels),
        # A later batch: Z given, a different temperature and momentum.
        "crd_1": case(51, batch=4, ds=6, dt=3, dim=5, samples=12, negatives=7, labels=labels,
                      z=(9.5, 13.25), temperature=0.2, momentum=0.3),
        "crd_2": case(52, batch=2, ds=4, dt=4, dim=3, samples=12, negatives=9, labels=labels),
    }
    for name, c in cases.items():
        (out / f"{name}.json").write_text(json.dumps(c) + "\n")
        print(name, c["expected"]["loss"])


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "engine/tests/golden/losses")
