#!/usr/bin/env bash
# Compares Distill Lab's CPU backend with plain PyTorch on the same models and runs:
#  1. training samples/s per preset (forward + cross-entropy + backward + Adam step, batch 128,
#     2 threads): `distill bench` and bench/pytorch/bench.py alternated preset by preset, two
#     rounds, so drifting machine load hits both alike; prints the best round of each;
#  2. unless --no-e2e, the wall time of `distill run` on examples/kd.json with seeds 0, 1, 2
#     (teacher, KD student, CE baseline per seed; the lab's defaults: parallel runs, cached
#     teacher logits) against bench/pytorch/kd_experiment.py doing the same runs one by one.
#     (distill also holds out its 10 % validation split, trains on the other 90 % and evaluates
#     both splits every epoch; the PyTorch script trains on all 60,000 images.)
#
# PyTorch is a benchmark reference only, never a product dependency: it lives in a virtualenv
# under the target directory, created on first use with `pip install torch numpy` from PyPI.
# PyPI's Linux torch wheel depends on the CUDA libraries, so that first install downloads about
# 3 GB and takes about 5.5 GB on disk; torch runs on the CPU without a GPU all the same.
#
# This script builds nothing: it expects $CARGO_TARGET_DIR/release/distill (or
# target/release/distill), from `cargo build --release --workspace`. Run it on an idle machine:
# both sides are timed with 2 threads and anything else running skews them.
#
#   scripts/bench-vs-pytorch.sh [--no-e2e] [--presets mlp-s,cnn-xs,cnn-m,resnet8]
#                               [--threads 2] [--batch 128] [--steps 20] [--rounds 2]
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
venv="$target/bench-venv"
distill="$target/release/distill"

presets="mlp-s,cnn-xs,cnn-m,resnet8"
threads=2
batch=128
steps=20
rounds=2
e2e=1
while [ $# -gt 0 ]; do
  case "$1" in
    --no-e2e) e2e=0 ;;
    --presets) presets="$2"; shift ;;
    --threads) threads="$2"; shift ;;
    --batch) batch="$2"; shift ;;
    --steps) steps="$2"; shift ;;
    --rounds) rounds="$2"; shift ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

if [ ! -x "$distill" ]; then
  echo "no distill binary at $distill: build it with \`cargo build --release --workspace\`" >&2
  echo "(with the same CARGO_TARGET_DIR as this script sees: ${CARGO_TARGET_DIR:-unset})" >&2
  exit 1
fi

py="$venv/bin/python"
if ! { [ -x "$py" ] && "$py" -c 'import torch, numpy' 2>/dev/null; }; then
  echo "setting up PyTorch in $venv (first run: about 3 GB from PyPI, CUDA libraries included)" >&2
  python3 -m venv "$venv"
  "$py" -m pip install --progress-bar off torch numpy
fi

# `distill bench` parallelises through rayon's global pool, which reads RAYON_NUM_THREADS;
# PyTorch gets the same number through torch.set_num_threads. (`distill run` gives each run a
# pool of its own: the cores shared by its worker slots.)
export RAYON_NUM_THREADS="$threads"

# Both sides time the same images when Fashion-MNIST is installed (the first `batch` training
# images, normalised with the training set's statistics). Otherwise distill uses its procedural
# synthetic set and PyTorch random images: same shapes, which is what a step's cost depends on.
if "$py" -c 'import sys; sys.path.insert(0, "bench/pytorch"); import fmnist; sys.exit(fmnist.locate() is None)'; then
  distill_data=fashion-mnist
  torch_data=fashion-mnist
else
  distill_data=synthetic
  torch_data=random
  echo "note: Fashion-MNIST not found; timing synthetic (distill) and random (PyTorch) images" >&2
fi

cores=$(nproc)
load=$(cut -d' ' -f1 /proc/loadavg)
if awk -v l="$load" -v c="$cores" 'BEGIN { exit !(l > c / 4) }'; then
  echo "warning: load average $load on $cores cores: the numbers below will be noisy" >&2
fi

# Wall-clock seconds; date rather than $EPOCHREALTIME, whose decimal point follows the locale.
now() { date +%s.%N; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One JSON line (the last one printed) → "train_samples_per_s params".
field() {
  "$py" -c 'import json, sys
lines = [l for l in sys.stdin if l.startswith("{")]
d = json.loads(lines[-1])
print(d["train_samples_per_s"], d["params"])'
}

echo "training samples/s: batch $batch, $steps timed steps, $threads threads, $rounds rounds, $distill_data images" >&2
IFS=',' read -r -a names <<< "$presets"
for round in $(seq 1 "$rounds"); do
  for p in "${names[@]}"; do
    echo "  round $round: $p (distill, then PyTorch)" >&2
    "$distill" bench --presets "$p" --backend cpu --dataset "$distill_data" \
      --batch "$batch" --steps "$steps" --json | field >> "$tmp/distill-$p"
    "$py" bench/pytorch/bench.py --presets "$p" --threads "$threads" --dataset "$torch_data" \
      --batch "$batch" --steps "$steps" --json | field >> "$tmp/pytorch-$p"
  done
done

echo
printf '%-10s | %17s | %17s | %7s\n' preset "distill samples/s" "PyTorch samples/s" ratio
printf '%-10s-+-%17s-+-%17s-+-%7s\n' ---------- ----------------- ----------------- -------
for p in "${names[@]}"; do
  # The best round of each: interference only ever slows a run down.
  d=$(sort -g -r "$tmp/distill-$p" | head -1)
  t=$(sort -g -r "$tmp/pytorch-$p" | head -1)
  awk -v p="$p" -v d="$d" -v t="$t" 'BEGIN {
    split(d, a, " "); split(t, b, " ")
    printf "%-10s | %17.0f | %17.0f | %7.2f\n", p, a[1], b[1], a[1] / b[1]
    if (a[2] != b[2]) printf "  warning: %s has %d parameters in distill but %d in PyTorch\n", p, a[2], b[2]
  }'
done
echo "(ratio = distill / PyTorch: above 1, distill trains faster; best of $rounds rounds)"

if [ "$e2e" = 1 ]; then
  echo
  echo "end to end: examples/kd.json with seeds 0, 1, 2 (teacher cnn-m, KD student cnn-xs, CE baseline)" >&2
  "$py" -c 'import json, sys; s = json.load(open("examples/kd.json")); s["seeds"] = [0, 1, 2]; json.dump(s, open(sys.argv[1], "w"))' "$tmp/kd3.json"
  start=$(now)
  "$distill" run "$tmp/kd3.json" --backend cpu --out "$tmp/run" --checkpoints "$tmp/checkpoints"
  distill_s=$(awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
  start=$(now)
  "$py" bench/pytorch/kd_experiment.py "$tmp/kd3.json" --threads "$threads" \
    --checkpoints "$tmp/pytorch-checkpoints"
  torch_s=$(awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
  echo
  echo "distill run examples/kd.json × 3 seeds: ${distill_s} s"
  echo "kd_experiment.py (PyTorch):   ${torch_s} s"
  awk -v d="$distill_s" -v t="$torch_s" \
    'BEGIN { printf "ratio distill / PyTorch wall time: %.2f (above 1, distill is slower)\n", d / t }'
fi
