# A plain PyTorch script doing the runs of `distill run examples/kd.json`, as an end-to-end
# benchmark reference (never a product dependency). It reads the same spec and mirrors the
# engine (engine/src/train/{experiment,run,evaluate,measure,finish}.rs, engine/src/distill):
# for every seed, each stage of the chain taught by the one before, then the CE-only baseline;
# per epoch a shuffled pass over the training set (the engine's own SplitMix64 shuffle, so the
# sample order is identical), evaluation on the test set and a checkpoint; at the end of a run
# the inference timings. Sequential, one model at a time, batches built from the u8 pixels at
# every step as the engine builds them: no caching the engine does not do.
#
#   python3 kd_experiment.py [../../examples/kd.json] [--threads 2] [--quick]
#
# Supported: Fashion-MNIST without augmentation, presets or explicit mlp/cnn/resnet sizes, Adam
# or SGD, constant/step/cosine schedules, subsets, and links of cross-entropy plus `kd` terms
# (what kd.json uses); anything else is refused rather than approximated.

import argparse
import json
import math
import os
import shutil
import sys
import tempfile
import time

STARTED = time.perf_counter()
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import fmnist  # noqa: E402
from bench import measure_inference  # noqa: E402
from models import build, resolve, trainable_params  # noqa: E402

MASK64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
SHUFFLE = 1  # rng::purpose::SHUFFLE
EVAL_BATCH = 256  # evaluate.rs
KD_CE_WEIGHT, CE_WEIGHT = 0.1, 1.0  # api::defaults


class Rng:
    """engine/src/rng.rs: SplitMix64 with derived streams, so every epoch's order matches."""

    def __init__(self, seed, parts):
        self.state = seed & MASK64
        for part in parts:
            self.state ^= (part * GOLDEN) & MASK64
            self.next_u64()

    def next_u64(self):
        self.state = (self.state + GOLDEN) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def below(self, n):
        return int((self.next_u64() >> 11) / float(1 << 53) * n)

    def shuffle(self, items):
        for i in range(len(items) - 1, 0, -1):
            j = self.below(i + 1)
            items[i], items[j] = items[j], items[i]


def learning_rate(base, schedule, epoch, epochs):
    """optim.rs's learning_rate for a 1-based epoch."""
    kind = schedule.get("kind", "constant")
    if kind == "constant":
        return base
    if kind == "step":
        drops = sum(1 for m in schedule["milestones"] if epoch > m)
        return base * schedule.get("gamma", 0.1) ** drops
    if kind == "cosine":
        min_lr = schedule.get("min_lr", 0.0)
        progress = max(epoch - 1, 0) / max(epochs, 1)
        return min_lr + (base - min_lr) * (1 + math.cos(math.pi * progress)) / 2
    raise SystemExit(f"unsupported schedule `{kind}`")


def make_optimizer(spec, params):
    """optim.rs: Adam with ε = 1e-8, or SGD with undampened momentum; coupled L2 decay in both
    (burn's WeightDecay adds penalty·θ to the gradient, as PyTorch's weight_decay does)."""
    kind = spec.get("kind", "adam")
    if kind == "adam":
        return torch.optim.Adam(params, lr=spec.get("lr", 1e-3), eps=1e-8,
                                weight_decay=spec.get("weight_decay", 0.0))
    if kind == "sgd":
        return torch.optim.SGD(params, lr=spec.get("lr", 0.05), momentum=spec.get("momentum", 0.9),
                               dampening=0.0, nesterov=spec.get("nesterov", False),
                               weight_decay=spec.get("weight_decay", 5e-4))
    raise SystemExit(f"unsupported optimizer `{kind}`")


def resolve_link(link, first_stage):
    """(ce_weight, [(temperature, weight)]) as validation resolves them (link_rules.rs)."""
    terms = []
    for term in link.get("terms", []):
        method = term.get("method")
        if method != "kd" or term.get("ctkd") is not None:
            raise SystemExit(f"this reference mirrors only plain `kd` terms, not `{method}`"
                             + (" with ctkd" if method == "kd" else ""))
        terms.append((float(term.get("temperature", 4.0)), float(term.get("weight", 0.9))))
    if link.get("curriculum") is not None:
        raise SystemExit("curricula are not mirrored by this reference")
    if first_stage and terms:
        raise SystemExit("the first stage has no teacher to distil from")
    # With no explicit weight: 0.1 when the first logit term is kd (mdistiller's KD), else 1.0.
    ce = link.get("ce_weight")
    if ce is None:
        ce = KD_CE_WEIGHT if terms else CE_WEIGHT
    return float(ce), terms


def file_safe(name):
    return "".join(c.lower() if c.isascii() and (c.isalnum() or c in "-_") else "_" for c in name)


def plan_runs(spec):
    """experiment.rs's plan_runs: per seed, the chain in order, then the baseline."""
    runs = []
    chain = spec["chain"]
    for seed in spec.get("seeds", [0]):
        teacher = None
        for i, stage in enumerate(chain):
            name = stage.get("name") or f"stage{i}"
            run_id = f"s{i}-{file_safe(name)}-seed{seed}"
            ce, terms = resolve_link(stage.get("link", {}), i == 0)
            runs.append(dict(id=run_id, seed=seed, arch=stage["architecture"], ce=ce,
                             terms=terms, teacher=teacher))
            teacher = run_id
        if spec.get("baseline", False):
            runs.append(dict(id=f"baseline-seed{seed}", seed=seed, arch=chain[-1]["architecture"],
                             ce=CE_WEIGHT, terms=[], teacher=None))
    return runs


def evaluate(model, test, batcher):
    """evaluate.rs: eval mode, no gradients, batches of 256; a sample counts as correct when no
    class scores strictly higher than its label (ties count, as there)."""
    model.eval()
    correct, loss = 0, 0.0
    with torch.no_grad():
        for start in range(0, len(test), EVAL_BATCH):
            idx = torch.arange(start, min(start + EVAL_BATCH, len(test)))
            images, labels = batcher.batch(test, idx)
            log_probs = F.log_softmax(model(images), dim=1)
            target = log_probs.gather(1, labels.view(-1, 1))
            correct += int(((log_probs > target).sum(1) == 0).sum())
            loss -= float(target.double().sum())
    n = max(len(test), 1)
    return correct / n, loss / n


def train_run(run, budget, train, test, batcher, teacher, checkpoint_root):
    """run.rs's train_run + finish.rs, without resuming."""
    epochs, batch_size = budget.get("epochs", 2), budget.get("batch_size", 128)
    opt_spec, schedule = budget.get("optimizer", {"kind": "adam"}), budget.get("schedule", {})
    torch.manual_seed(run["seed"])
    model = build(run["arch"])
    optimizer = make_optimizer(opt_spec, model.parameters())
    base_lr = opt_spec.get("lr", 1e-3 if opt_spec.get("kind", "adam") == "adam" else 0.05)
    run_dir = os.path.join(checkpoint_root, run["id"]) if checkpoint_root else None
    if run_dir:
        os.makedirs(run_dir, exist_ok=True)
    history, train_seconds, total_samples = [], 0.0, 0
    for epoch in range(1, epochs + 1):
        lr = learning_rate(base_lr, schedule, epoch, epochs)
        for group in optimizer.param_groups:
            group["lr"] = lr
        order = list(range(len(train)))
        Rng(run["seed"], [SHUFFLE, epoch]).shuffle(order)
        order = torch.tensor(order)
        model.train()
        started = time.perf_counter()
        total_sum, correct, samples = 0.0, 0, 0
        for b, start in enumerate(range(0, len(order), batch_size)):
            idx = order[start : start + batch_size]
            images, targets = batcher.batch(train, idx)
            logits = model(images)
            loss = F.cross_entropy(logits, targets) * run["ce"]
            if run["terms"]:
                with torch.no_grad():
                    teacher_logits = teacher(images)
                for temperature, weight in run["terms"]:
                    # kd.rs: T²·KL(softmax(zt/T) ‖ softmax(zs/T)), summed over classes, batchmean.
                    kd = F.kl_div(F.log_softmax(logits / temperature, dim=1),
                                  F.log_softmax(teacher_logits / temperature, dim=1),
                                  reduction="batchmean", log_target=True)
                    loss = loss + kd * (temperature * temperature * weight)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            # stats.rs: the batch's loss and correct count are read back at every step.
            value = loss.item()
            correct += int((logits.detach().argmax(1) == targets).sum())
            if not math.isfinite(value):
                raise SystemExit(f"run {run['id']}: the loss became {value} at epoch {epoch}, batch {b + 1}")
            total_sum += value * len(idx)
            samples += len(idx)
        seconds = time.perf_counter() - started
        train_seconds += seconds
        total_samples += samples
        top1, test_loss = evaluate(model, test, batcher)
        history.append(dict(epoch=epoch, train_loss=total_sum / samples, train_accuracy=correct / samples,
                            test_accuracy=top1, test_loss=test_loss, lr=lr, train_seconds=seconds))
        if run_dir:
            # run.rs checkpoints the student, the optimiser and the progress every epoch and
            # drops the previous epoch's files.
            path = os.path.join(run_dir, f"student-{epoch}.pt")
            torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, path)
            with open(os.path.join(run_dir, "progress.json"), "w") as f:
                json.dump(history, f)
            for old in range(epoch):
                try:
                    os.remove(os.path.join(run_dir, f"student-{old}.pt"))
                except FileNotFoundError:
                    pass
        print(f"{run['id']}: epoch {epoch}/{epochs}  loss {history[-1]['train_loss']:.4f}  "
              f"train acc {history[-1]['train_accuracy']:.4f}  test acc {top1:.4f}  "
              f"test loss {test_loss:.4f}  ({seconds:.1f} s)", file=sys.stderr, flush=True)
    model.eval()
    if run_dir:
        torch.save(model.state_dict(), os.path.join(run_dir, "model.pt"))
    timing = measure_inference(model, test, batcher)
    return model, dict(id=run["id"], params=trainable_params(model), top1=history[-1]["test_accuracy"],
                       train_seconds=train_seconds, samples=total_samples, **timing)


def main(argv=None):
    p = argparse.ArgumentParser(description="Plain PyTorch version of `distill run SPEC` "
                                            "(Fashion-MNIST, CE + KD links).")
    p.add_argument("spec", nargs="?", default=os.path.join(HERE, "..", "..", "examples", "kd.json"))
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    p.add_argument("--data-dir", default=None, help="directory searched first for Fashion-MNIST")
    p.add_argument("--checkpoints", default=None,
                   help="keep the per-epoch checkpoints here [default: a temporary directory, "
                        "removed at the end: written all the same, as distill writes its own]")
    p.add_argument("--no-checkpoints", action="store_true", help="write no checkpoints")
    p.add_argument("--quick", action="store_true",
                   help="smoke test: 1 epoch on the first 2048 training and 512 test images")
    p.add_argument("--epochs", type=int, help="override the spec's epochs (not the spec's runs)")
    p.add_argument("--train-subset", type=int, help="override the spec's train_subset")
    p.add_argument("--test-subset", type=int, help="override the spec's test_subset")
    args = p.parse_args(argv)

    torch.set_num_threads(args.threads)
    with open(args.spec) as f:
        spec = json.load(f)
    dataset = spec.get("dataset", {"name": "fashion-mnist"})
    if dataset.get("name", "fashion-mnist") != "fashion-mnist":
        raise SystemExit("this reference reads Fashion-MNIST only")
    if dataset.get("augment"):
        raise SystemExit("augmentation is not mirrored by this reference")
    budget = dict(spec.get("budget", {}))
    train_subset, test_subset = dataset.get("train_subset"), dataset.get("test_subset")
    if args.quick:
        budget["epochs"] = 1
        train_subset = min(train_subset or 2048, 2048)
        test_subset = min(test_subset or 512, 512)
    budget["epochs"] = args.epochs or budget.get("epochs", 2)
    train_subset = args.train_subset or train_subset
    test_subset = args.test_subset or test_subset
    overridden = args.quick or args.epochs or args.train_subset or args.test_subset

    runs = plan_runs(spec)
    for run in runs:
        resolve(run["arch"])
    full_train, full_test = fmnist.load(args.data_dir)
    train, test = full_train.truncate(train_subset), full_test.truncate(test_subset)
    batcher = fmnist.Batcher(train)  # fitted to the spec's slice, as ExperimentData::prepare
    print(f"pytorch {torch.__version__} on CPU, {torch.get_num_threads()} threads; "
          f"fashion-mnist ({len(train)} train / {len(test)} test images); "
          f"{budget['epochs']} epoch(s)" + ("  [overridden: NOT the spec's runs]" if overridden else ""),
          file=sys.stderr, flush=True)

    root = None
    if not args.no_checkpoints:
        root = args.checkpoints or tempfile.mkdtemp(prefix="kd-pytorch-")
    trained, results = {}, []
    try:
        for run in runs:
            teacher = trained.get(run["teacher"]) if run["teacher"] else None
            if teacher is not None:
                teacher.eval()  # the engine's teacher is its trained Net in eval mode
            model, result = train_run(run, budget, train, test, batcher, teacher, root)
            trained[run["id"]] = model
            results.append(result)
    finally:
        if root and not args.checkpoints:
            shutil.rmtree(root, ignore_errors=True)

    print(f"{'run':<24} {'params':>9} {'top1':>8} {'train s':>9} {'train smp/s':>12} {'p50 ms':>8}")
    for r in results:
        print(f"{r['id']:<24} {r['params']:>9} {r['top1']:>8.4f} {r['train_seconds']:>9.1f} "
              f"{r['samples'] / max(r['train_seconds'], 1e-9):>12.0f} {r['latency_p50_ms']:>8.3f}")
    print(f"wall: {time.perf_counter() - STARTED:.1f} s (from the script's start, torch import included)")


if __name__ == "__main__":
    main()
