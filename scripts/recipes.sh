#!/usr/bin/env bash
# Runs the Fashion-MNIST recipes (examples/recipes/) in the lab and prints their results table.
#
# It starts `distill serve` (built with `cargo build --release --workspace`) on a free port with
# its own data directory, trains the teacher recipe once (cnn-m on all 60,000 training images),
# then every student recipe with its first stage taken from that teacher (`from_run`, which
# this script fills in), one after the other, and prints per recipe: the student's and the
# CE-only baseline's top-1 (test accuracy at the best validation epoch, and after the last
# epoch), the paired gain with its 95 % interval, size, latency, and the recipe's wall time.
#
#   scripts/recipes.sh [--keep DIR] [RECIPE.json ...]     (default: every fmnist-*.json)
#
# --keep DIR keeps the lab (database, checkpoints) in DIR; rerunning with the same DIR reuses
# the teacher and the baselines. Needs python3 for the JSON (Debian's).
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
distill="$target/release/distill"
[ -x "$distill" ] || { echo "build first: cargo build --release --workspace ($distill is missing)" >&2; exit 1; }

lab=""
if [ "${1:-}" = "--keep" ]; then lab="$2"; shift 2; fi
if [ -z "$lab" ]; then lab=$(mktemp -d); trap 'kill "$server" 2>/dev/null || true; rm -rf "$lab"' EXIT
else mkdir -p "$lab"; trap 'kill "$server" 2>/dev/null || true' EXIT; fi
recipes=("$@")
[ ${#recipes[@]} -gt 0 ] || recipes=(examples/recipes/fmnist-{kd,dkd,ls-kd,dist,ctkd,at,takd,curriculum}.json)

token=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
DISTILL_TOKEN="$token" HOME="$lab" "$distill" serve --addr 127.0.0.1:0 --backend cpu \
  --db "sqlite:$lab/distill.db" --checkpoints "$lab/checkpoints" >"$lab/serve.out" 2>"$lab/serve.log" &
server=$!
for _ in $(seq 100); do grep -q "listening on" "$lab/serve.out" 2>/dev/null && break; sleep 0.2; done
base=$(sed -n 's/^Distill Lab listening on //p' "$lab/serve.out")
[ -n "$base" ] || { cat "$lab/serve.log" >&2; exit 1; }

api() { curl -sf -H "Authorization: Bearer $token" "$@"; }
submit() { api -H 'content-type: application/json' --data @- "$base/api/experiments" | python3 -c 'import json,sys; print(json.load(sys.stdin)["summary"]["id"])'; }
# Waits for an experiment to end; prints its detail.
wait_for() {
  while :; do
    detail=$(api "$base/api/experiments/$1")
    status=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["summary"]["status"])' "$detail")
    case "$status" in queued|running) sleep 5 ;; *) echo "$detail"; return ;; esac
  done
}

echo "lab: $base (data in $lab)" >&2
started=$(date +%s)
teacher_experiment=$(submit < examples/recipes/fmnist-teacher.json)
teacher_detail=$(wait_for "$teacher_experiment")
teacher=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["summary"]["status"]=="succeeded", d["summary"]; print(d["runs"][0]["id"])' "$teacher_detail")
echo "teacher run $teacher trained in $(( $(date +%s) - started )) s" >&2

rows=()
for recipe in "${recipes[@]}"; do
  started=$(date +%s)
  id=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); s["chain"][0]["from_run"]=sys.argv[2]; print(json.dumps(s))' "$recipe" "$teacher" | submit)
  detail=$(wait_for "$id")
  seconds=$(( $(date +%s) - started ))
  rows+=("$(python3 - "$recipe" "$seconds" "$detail" <<'PY'
import json, sys
recipe, seconds, detail = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
models = {m["label"]: m for m in detail["models"]}
s, b = models.get("student"), models.get("baseline")
pct = lambda e: f'{100*e["mean"]:.2f} ± {100*e["std"]:.2f}'
def gain(g):
    if not g: return "—"
    if g.get("ci_low") is None: return f'{100*g["mean"]:+.2f} (1 seed: no interval)'
    mark = " *" if g["ci_low"] > 0 or g["ci_high"] < 0 else ""
    return f'{100*g["mean"]:+.2f} [{100*g["ci_low"]:+.2f}, {100*g["ci_high"]:+.2f}]{mark}'
name = recipe.rsplit("/", 1)[-1].removesuffix(".json")
status = detail["summary"]["status"]
if not s or not b:
    print(f"| {name} | {status} | | | | | | | {seconds} s |")
else:
    print(f'| {name} | {pct(s["top1_val_best"])} | {pct(s["top1_last"])} | {pct(b["top1_val_best"])} | '
          f'{gain(s.get("gain_val_best"))} | {gain(s.get("gain_last"))} | {s["params"]:,} | '
          f'{s["latency_p50_ms"]:.3f} | {s["runs"]} | {seconds} s |')
PY
)")
  echo "${rows[-1]}" >&2
done

echo
echo "| recipe | student top-1 val-best (%) | student last (%) | baseline val-best (%) | paired gain val-best (pts, 95% CI) | paired gain last | params | p50 latency (ms) | seeds | wall time |"
echo "|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "teacher: $(python3 -c 'import json,sys; m=json.loads(sys.argv[1])["models"][0]; print(f"cnn-m, {100*m[\"top1_val_best\"][\"mean\"]:.2f} % top-1 (val-best), {m[\"params\"]:,} params")' "$teacher_detail"); * = the interval excludes 0"
