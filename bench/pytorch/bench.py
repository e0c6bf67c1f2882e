# The PyTorch counterpart of `distill bench` (engine/src/bench.rs, server/src/cli/bench.rs), a
# benchmark reference only: per preset, the training samples/s of forward + cross-entropy +
# backward + Adam(lr 1e-3, ε 1e-8) step + loss read back, on one fixed batch, after untimed
# warm-up steps; then the same inference timings (batch-1 latency p50/p95, batch-256
# throughput). Same flags, table and --json keys as distill bench, so the two can be compared
# line for line by scripts/bench-vs-pytorch.sh.
#
#   python3 bench.py --presets mlp-s,cnn-xs,cnn-m,resnet8 --batch 128 --steps 20 --threads 2 [--json]
#   python3 bench.py --device cuda --dataset random ...   (the GPU kit, scripts/gpu-run.sh)

import argparse
import json
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import fmnist  # noqa: E402
from models import build, resolve, trainable_params  # noqa: E402

# measure.rs's constants.
LATENCY_RUNS = 60
WARMUP_RUNS = 10
THROUGHPUT_BATCH = 256
THROUGHPUT_RUNS = 5


def percentile(sorted_values, q):
    # measure.rs rounds the rank half away from zero (f64::round), not to even.
    return sorted_values[int(math.floor((len(sorted_values) - 1) * q + 0.5))]


def measure_inference(model, test, batcher, device):
    """measure_inference: eval mode without autodiff; each run reads its result back (to the
    host, which also waits for a GPU)."""
    model.eval()
    with torch.no_grad():
        single = batcher.batch(test, torch.tensor([0]))[0].to(device)
        for _ in range(WARMUP_RUNS):
            model(single).cpu().numpy()
        latencies = []
        for _ in range(LATENCY_RUNS):
            start = time.perf_counter()
            model(single).cpu().numpy()
            latencies.append((time.perf_counter() - start) * 1e3)
        latencies.sort()
        indices = torch.arange(THROUGHPUT_BATCH) % len(test)
        batch = batcher.batch(test, indices)[0].to(device)
        model(batch).cpu().numpy()
        start = time.perf_counter()
        for _ in range(THROUGHPUT_RUNS):
            model(batch).cpu().numpy()
        seconds = time.perf_counter() - start
    return {
        "latency_p50_ms": percentile(latencies, 0.5),
        "latency_p95_ms": percentile(latencies, 0.95),
        "latency_runs": LATENCY_RUNS,
        "throughput_per_s": THROUGHPUT_BATCH * THROUGHPUT_RUNS / seconds,
    }


def bench_model(name, train, test, batcher, batch_size, warmup, steps, device):
    """bench_model: a student seeded with 0, trained on the first `batch_size` training images
    (indices i mod len, the same batch every step, as bench.rs builds it once)."""
    torch.manual_seed(0)
    model = build(name).to(device).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-8)
    indices = torch.arange(batch_size) % len(train)
    images, targets = (t.to(device) for t in batcher.batch(train, indices))

    def step():
        optimizer.zero_grad(set_to_none=True)
        # The bench link is CE alone with weight 1.0 (bench.rs), i.e. plain mean cross-entropy.
        loss = F.cross_entropy(model(images), targets)
        loss.backward()
        optimizer.step()
        # bench.rs reads the loss back every step (into_scalar); .item() is the same sync.
        loss.item()

    for _ in range(warmup):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    seconds = time.perf_counter() - start
    result = {
        "params": trainable_params(model),
        "train_samples_per_s": steps * batch_size / seconds,
        "steps": steps,
    }
    result.update(measure_inference(model, test, batcher, device))
    return result


def main(argv=None):
    p = argparse.ArgumentParser(description="PyTorch counterpart of `distill bench`: training samples/s and inference timings per preset.")
    p.add_argument("--presets", default="mlp-s,cnn-s,cnn-m,resnet8",
                   help="presets to measure, comma separated (distill bench's default)")
    p.add_argument("--batch", type=int, default=128, help="batch size of the training steps")
    p.add_argument("--warmup", type=int, default=3, help="untimed warm-up steps")
    p.add_argument("--steps", type=int, default=20, help="timed training steps")
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    p.add_argument("--dataset", choices=["fashion-mnist", "random"], default="fashion-mnist",
                   help="images used: Fashion-MNIST (pass the same to distill bench) or random "
                        "u8 images when the files are missing; shapes matter, not content")
    p.add_argument("--data-dir", default=None, help="directory searched first for Fashion-MNIST")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu",
                   help="where PyTorch trains (cuda: the GPU kit's mirror of distill on CUDA)")
    p.add_argument("--json", action="store_true", help="print one JSON object per preset")
    args = p.parse_args(argv)

    torch.set_num_threads(args.threads)
    names = [n for n in args.presets.split(",") if n]
    for n in names:
        resolve({"kind": "preset", "name": n})  # fail on an unknown name before any timing
    if args.dataset == "fashion-mnist":
        train, test = fmnist.load(args.data_dir)
    else:
        train, test = fmnist.random_sets()
    # bench.rs fits the normalisation to the whole training set.
    batcher = fmnist.Batcher(train)
    if args.device == "cuda":
        device = f"pytorch {torch.__version__} CUDA, {torch.cuda.get_device_name(0)}"
    else:
        device = f"pytorch {torch.__version__} CPU, {torch.get_num_threads()} threads"

    if not args.json:
        print(f"{'preset':<10} {'backend':<8} {'params':>10} {'train smp/s':>14} "
              f"{'p50 (ms)':>10} {'p95 (ms)':>10} {'infer smp/s':>14}  device")
    for name in names:
        r = bench_model(name, train, test, batcher, args.batch, args.warmup, args.steps,
                        torch.device(args.device))
        if args.json:
            print(json.dumps({
                "preset": name, "backend": f"pytorch-{args.device}", "device": device,
                "params": r["params"], "batch": args.batch, "steps": r["steps"],
                "train_samples_per_s": r["train_samples_per_s"],
                "latency_p50_ms": r["latency_p50_ms"], "latency_p95_ms": r["latency_p95_ms"],
                "latency_runs": r["latency_runs"], "throughput_per_s": r["throughput_per_s"],
                "threads": torch.get_num_threads(), "dataset": args.dataset,
            }), flush=True)
        else:
            print(f"{name:<10} {'pytorch':<8} {r['params']:>10} {r['train_samples_per_s']:>14.0f} "
                  f"{r['latency_p50_ms']:>10.3f} {r['latency_p95_ms']:>10.3f} "
                  f"{r['throughput_per_s']:>14.0f}  {device}", flush=True)


if __name__ == "__main__":
    main()
