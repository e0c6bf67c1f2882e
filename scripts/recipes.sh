#!/usr/bin/env bash
# Runs the Fashion-MNIST recipes (examples/recipes/) with `distill run` and prints their results
# table (the one in the README).
#
#   scripts/recipes.sh [--keep DIR] [RECIPE.json ...]     (default: every fmnist-*.json)
#
# Every recipe shares one checkpoint directory and its store, so the cnn-m teachers and the
# CE-only baselines — the same in every recipe — train once, in the first recipe (its wall time
# includes them); the others train only their students. Per recipe it prints the student's and
# the baseline's test accuracy at the best validation epoch and after the last epoch, the gain
# over the baseline paired by seed with its 95 % interval, size, latency and wall time.
# --keep DIR keeps the outputs and checkpoints there (a rerun reuses them); needs python3 for
# the JSON and `distill` built with `cargo build --release --workspace`.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
distill="$target/release/distill"
[ -x "$distill" ] || { echo "build first: cargo build --release --workspace ($distill is missing)" >&2; exit 1; }

lab=""
if [ "${1:-}" = "--keep" ]; then lab="$2"; shift 2; mkdir -p "$lab"
else lab=$(mktemp -d); trap 'rm -rf "$lab"' EXIT; fi
recipes=("$@")
[ ${#recipes[@]} -gt 0 ] || recipes=(examples/recipes/fmnist-{kd,dkd,ls-kd,dist,ctkd,at,rkd,pkt,sp,nst,vid,mlkd,reviewkd,ofd,crd,kd-sgd,dot,takd,curriculum}.json)

rows=()
for recipe in "${recipes[@]}"; do
  name=$(basename "$recipe" .json)
  started=$(date +%s)
  "$distill" run "$recipe" --backend cpu --out "$lab/$name" --checkpoints "$lab/checkpoints" \
    2> "$lab/$name.log" || { tail -20 "$lab/$name.log" >&2; exit 1; }
  seconds=$(( $(date +%s) - started ))
  rows+=("$(python3 - "$name" "$seconds" "$lab/$name/summary.json" <<'PY'
import json, sys
name, seconds, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
models = {m["label"]: m for m in json.load(open(path))}
s, b, t = models["student"], models["baseline"], models["teacher"]
pct = lambda e: f'{100*e["mean"]:.2f} ± {100*e["std"]:.2f}'
def gain(g):
    if not g: return "—"
    if g.get("ci_low") is None: return f'{100*g["mean"]:+.2f} (1 seed: no interval)'
    mark = " *" if g["ci_low"] > 0 or g["ci_high"] < 0 else ""
    return f'{100*g["mean"]:+.2f} [{100*g["ci_low"]:+.2f}, {100*g["ci_high"]:+.2f}]{mark}'
print(f'| {name} | {pct(s["top1_val_best"])} | {pct(s["top1_last"])} | {pct(b["top1_val_best"])} | '
      f'{gain(s.get("gain_val_best"))} | {gain(s.get("gain_last"))} | {s["params"]:,} | '
      f'{s["latency_p50_ms"]:.3f} | {s["runs"]} | {pct(t["top1_val_best"])} | {seconds} s |')
PY
)")
  echo "${rows[-1]}" >&2
done

echo "| recipe | student top-1 val-best (%) | student top-1 last (%) | baseline top-1 val-best (%) | paired gain val-best (pts, 95% CI) | paired gain last (pts) | student params | p50 latency (ms) | seeds | teacher top-1 (%) | wall time |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "* the interval excludes 0. Outputs and checkpoints: $lab"
