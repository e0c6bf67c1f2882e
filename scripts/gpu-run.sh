#!/usr/bin/env bash
# The one command to run on a lent GPU machine, from the repository root, with the kit that
# scripts/gpu-kit.sh packed (`carry: ["gpu-kit"]`). Within a deadline (default 7.5 min), in
# order of value, each step bounded so one that hangs cannot eat the others':
#   1. the environment: GPU, driver, which backend `auto` takes and why;
#   2. training samples/s and inference latency per preset at batch 128 and 512:
#      `distill bench` on cuda and wgpu, and the PyTorch mirror (bench/pytorch) on CUDA;
#   3. examples/kd.json end to end (teacher, KD student, CE baseline) on cuda, wgpu and the CPU.
# Everything lands under $OUT (the device tool brings it back): summary.json (the figures and
# ratios), bench-distill.jsonl, bench-pytorch.jsonl, e2e.jsonl, environment.txt, log.txt.
#
#   scripts/gpu-run.sh [--kit gpu-kit] [--minutes 7.5] [--presets a,b] [--steps 20]
#   scripts/gpu-run.sh --dry-run   here, on the CPU: every step with --backend cpu, small runs,
#                                  nothing installed (run by the tests on each CI run)
set -uo pipefail
cd "$(dirname "$0")/.."
kit=gpu-kit
minutes=7.5
dry=0
steps=20
wanted="mlp-s,cnn-m,resnet8,resnet8x4,resnet32x4,wrn-40-2"
while [ $# -gt 0 ]; do
  case "$1" in
    --kit) kit="$2"; shift ;;
    --minutes) minutes="$2"; shift ;;
    --presets) wanted="$2"; shift ;;
    --steps) steps="$2"; shift ;;
    --dry-run) dry=1 ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
out="${OUT:-$(mktemp -d)}"
mkdir -p "$out"
exec > >(tee -a "$out/log.txt") 2>&1
deadline=$(( $(date +%s) + $(python3 -c "print(int(float('$minutes') * 60))") ))
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Runs a step with a timeout of at most its own limit and the time left; skips it when under
# 20 s are left. Its exit status and seconds go to the log (stderr: its stdout is the step's).
step() {
  local name="$1" limit="$2" left
  shift 2
  left=$(( deadline - $(date +%s) ))
  if (( left < 20 )); then
    echo "== $name: skipped, ${left} s left before the deadline" >&2
    return 1
  fi
  (( limit > left )) && limit=$left
  echo "== $name (at most $limit s)" >&2
  local start rc
  start=$(date +%s.%N)
  timeout --kill-after=10 "$limit" "$@"
  rc=$?
  echo "== $name: exit $rc after $(python3 -c "print(round($(date +%s.%N) - $start, 1))") s" >&2
  return $rc
}

if ((dry)); then
  backends=cpu
  torch_device=cpu
  e2e_backends=cpu
else
  backends=cuda,wgpu
  torch_device=cuda
  e2e_backends="cuda wgpu cpu"
  # The loaders wgpu needs (the device tool's README: unpack into /, then ldconfig).
  for deb in "$kit"/gl/*.deb; do [ -e "$deb" ] && dpkg -x "$deb" /; done
  ldconfig
  icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  if [ -f "$icd" ]; then
    export VK_DRIVER_FILES="$icd"
    export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
  fi
  # burn-cuda loads NVRTC at run time: CUDA's own, or the one PyTorch's wheels carry.
  nvrtc_dirs=$(find /usr/local /opt /usr/lib "$(python3 -c 'import site; print(site.getsitepackages()[0])' 2>/dev/null || echo /nonexistent)" \
    -name 'libnvrtc.so*' -printf '%h\n' 2>/dev/null | sort -u | paste -sd:)
  export LD_LIBRARY_PATH="${nvrtc_dirs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi

# The binary.
distill="$work/distill"
python3 -c 'import lzma, shutil, sys
with lzma.open(sys.argv[1]) as src, open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst)' "$kit/distill.xz" "$distill" || { echo "cannot unpack $kit/distill.xz: build the kit with scripts/gpu-kit.sh"; exit 1; }
chmod +x "$distill"

# The data: Fashion-MNIST when the kit has it, else the built-in synthetic images (distill)
# and random ones (PyTorch) of the same shape.
if [ -d "$kit/data/fashion-mnist" ]; then
  export DISTILL_DATA_DIR="$kit/data"
  distill_data=fashion-mnist
  torch_data=fashion-mnist
  torch_data_dir=(--data-dir "$kit/data")
else
  distill_data=synthetic
  torch_data=random
  torch_data_dir=()
fi

{
  echo "date: $(date -u +%FT%TZ)"
  echo "distill: $(cat "$kit/VERSION" 2>/dev/null | paste -sd' ')"
  if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  else
    echo "nvidia-smi: not found"
  fi
  echo "cpu: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
  python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())' 2>/dev/null \
    || echo "torch: not installed"
  echo "LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
  ldconfig -p 2>/dev/null | grep -E 'libvulkan|libcuda\.so' | sed 's/^/  /'
  echo "data: $distill_data"
} > "$out/environment.txt" 2>&1
cat "$out/environment.txt"

step "backend auto" 120 "$distill" bench --backend auto --presets mlp-s --dataset "$distill_data" \
  --warmup 1 --steps 2 --json | tee -a "$out/environment.txt"

# The presets both sides know, in the order asked (the mirror's table read without importing
# torch, which a dry run may not have).
lab_presets=$("$distill" presets 2>/dev/null | awk 'NR > 1 { print $1 }')
presets=$(python3 - "$wanted" "$lab_presets" <<'EOF'
import ast, sys
tree = ast.parse(open("bench/pytorch/models.py").read())
mirror = next(ast.literal_eval(node.value) for node in tree.body
              if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "PRESETS")
lab = set(sys.argv[2].split())
print(",".join(p for p in sys.argv[1].split(",") if p in lab and p in mirror))
EOF
)
echo "presets measured: $presets (asked: $wanted)"
if ((dry)); then steps=2; fi

for batch in 128 512; do
  step "distill bench, batch $batch" 150 "$distill" bench --backend "$backends" --presets "$presets" \
    --dataset "$distill_data" --batch "$batch" --warmup 3 --steps "$steps" --json >> "$out/bench-distill.jsonl"
  if python3 -c 'import torch' 2>/dev/null; then
    step "PyTorch bench ($torch_device), batch $batch" 90 python3 bench/pytorch/bench.py \
      --device "$torch_device" --threads "$(nproc)" --presets "$presets" --dataset "$torch_data" \
      "${torch_data_dir[@]}" --batch "$batch" --warmup 3 --steps "$steps" --json >> "$out/bench-pytorch.jsonl"
  else
    echo "== PyTorch bench: skipped (no torch in python3 here)"
  fi
done

# The experiment: examples/kd.json, on the kit's data (one epoch of synthetic images in a dry run).
python3 - "$distill_data" "$dry" > "$work/kd.json" <<'EOF'
import json, sys
spec = json.load(open("examples/kd.json"))
spec["dataset"] = {"name": sys.argv[1]}
if sys.argv[2] == "1":
    spec["budget"]["epochs"] = 1
print(json.dumps(spec))
EOF
for backend in $e2e_backends; do
  start=$(date +%s.%N)
  if step "distill run kd.json --backend $backend" 240 "$distill" run "$work/kd.json" --backend "$backend" \
      --out "$work/run-$backend" --json > "$work/report-$backend.json"; then
    python3 - "$backend" "$start" "$(date +%s.%N)" "$work/report-$backend.json" >> "$out/e2e.jsonl" <<'EOF'
import json, sys
backend, start, end, path = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
report = json.load(open(path))
print(json.dumps({"backend": backend, "wall_s": round(end - start, 1), "report": report}))
EOF
  fi
done

python3 - "$out" <<'EOF'
import json, os, sys
out = sys.argv[1]
def lines(name):
    path = os.path.join(out, name)
    if not os.path.exists(path):
        return []
    return [json.loads(l) for l in open(path) if l.startswith("{")]
ours, theirs = lines("bench-distill.jsonl"), lines("bench-pytorch.jsonl")
reference = {(r["preset"], r["batch"]): r["train_samples_per_s"] for r in theirs}
bench = []
for r in ours:
    if "error" in r:
        bench.append(r)
        continue
    row = {k: r[k] for k in ("preset", "backend", "batch", "params", "train_samples_per_s",
                             "latency_p50_ms", "throughput_per_s", "device")}
    torch = reference.get((r["preset"], r["batch"]))
    if torch:
        row["pytorch_samples_per_s"] = torch
        row["ratio_to_pytorch"] = round(r["train_samples_per_s"] / torch, 3)
    bench.append(row)
e2e = []
for r in lines("e2e.jsonl"):
    runs = r["report"].get("runs", [])
    e2e.append({"backend": r["backend"], "wall_s": r["wall_s"],
                "runs": [{k: run.get(k) for k in ("stage_name", "kind", "seed", "device")}
                         | {k: run["measurements"].get(k) for k in
                            ("top1_val_best", "top1_last", "train_samples_per_s", "train_seconds")}
                         for run in runs]})
json.dump({"bench": bench, "pytorch": theirs, "e2e": e2e}, open(os.path.join(out, "summary.json"), "w"), indent=1)
print(json.dumps({"bench": bench, "e2e": e2e}, indent=1))
EOF
echo "done: $(ls "$out" | paste -sd' ') in $out"
