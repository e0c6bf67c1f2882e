#!/usr/bin/env bash
# Packs, on this machine, everything a lent GPU machine needs to measure the lab (the device has
# CUDA, NVRTC and PyTorch, but no Rust, no registry and no Vulkan loader, and takes at most
# 64 MiB of working tree): `gpu-kit/` at the repository root (git-ignored), for the device
# tool's `carry`, then `scripts/gpu-run.sh` there. The kit holds
#   distill.xz   the `distill` binary built with `--features cuda` (and wgpu, a default) when
#                this machine can build it, else with wgpu alone (below), stripped of symbols
#                and debug info, xz-compressed;
#   gl/          the Vulkan/GL loader packages (.deb) that wgpu needs there, from Debian, fetched
#                with `apt-get download` as the device tool's README says;
#   data/        Fashion-MNIST from Debian's dataset-fashion-mnist, when the kit stays under its
#                size limit with it (else the runs there use the built-in synthetic set).
# The PyTorch mirror (bench/pytorch) and the experiment (examples/kd.json) travel with the tree.
#
#   scripts/gpu-kit.sh                      build and pack
#
# burn-cuda 0.22.1 needs cubecl-llvm, whose build downloads a bundled LLVM (tracel-llvm) from
# GitHub into ~/.local/share/tracel/ the first time. Where that cannot be reached (this
# project's machines reach package registries only) and the bundle is not already there, the
# kit packs the default build — wgpu, which reaches NVIDIA GPUs through Vulkan with the loader
# packed below, and the CPU — and says so; the run script then reports cuda as not built in.
#   scripts/gpu-kit.sh --binary PATH        pack an existing binary instead (the CPU dry run)
#   scripts/gpu-kit.sh --no-gl --no-data    leave those out
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
kit=gpu-kit
limit_mib=60
binary=""
gl=1
data=1
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary="$2"; shift ;;
    --no-gl) gl=0 ;;
    --no-data) data=0 ;;
    --out) kit="$2"; shift ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

llvm_bundle=$(ls -d "${XDG_DATA_HOME:-$HOME/.local/share}"/tracel/tracel-llvm-*/.tracel-llvm-installed 2>/dev/null | head -1 || true)
if [ -z "$binary" ] && [ -n "$llvm_bundle" ]; then
  # The release profile and target directory of every other build: only the crates whose
  # features change (burn's, cubecl's, the CUDA bindings, ours) are compiled again. That build
  # replaces $target/release/distill, so the kit takes its copy at once and the default binary
  # is linked back (from the crates still cached) before this script ends.
  # (--workspace: the features every other build unifies, so only what cuda changes rebuilds.)
  cargo build --release --workspace --features distill-server/cuda
  binary="$target/release/distill.cuda"
  cp "$target/release/distill" "$binary"
  cargo build --release --workspace
elif [ -z "$binary" ]; then
  echo "note: no tracel-llvm bundle in ~/.local/share/tracel (burn-cuda's build downloads it from GitHub):" >&2
  echo "      the kit's binary has wgpu and the CPU, not cuda" >&2
  cargo build --release --workspace
  binary="$target/release/distill"
fi
[ -x "$binary" ] || { echo "no executable at $binary" >&2; exit 1; }

rm -rf "$kit.tmp" && mkdir -p "$kit.tmp"
strip --strip-all -o "$kit.tmp/distill" "$binary"
xz -T0 -6 "$kit.tmp/distill"
"$binary" --version > "$kit.tmp/VERSION"
git rev-parse HEAD >> "$kit.tmp/VERSION" 2>/dev/null || true

if ((gl)); then
  # amd64 packages whatever this machine is, with their own package lists (as root or not).
  lists=$(mktemp -d)
  trap 'rm -rf "$lists"' EXIT
  mkdir -p "$lists/partial" "$kit.tmp/gl"
  o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 "-oDir::State::Lists=$lists" "-oDir::Cache=$lists")
  apt-get "${o[@]}" update -qq
  (cd "$kit.tmp/gl" && apt-get "${o[@]}" download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
fi

size_mib() { du -sm "$1" | cut -f1; }
if ((data)); then
  fmnist=/usr/share/datasets/fashion-mnist
  if [ -f "$fmnist/train-images-idx3-ubyte.gz" ]; then
    if (( $(size_mib "$kit.tmp") + $(size_mib "$fmnist") < limit_mib )); then
      mkdir -p "$kit.tmp/data/fashion-mnist"
      cp "$fmnist"/*.gz "$kit.tmp/data/fashion-mnist/"
    else
      echo "note: Fashion-MNIST left out (the kit would pass $limit_mib MiB); runs there use synthetic images" >&2
    fi
  else
    echo "note: Fashion-MNIST is not installed (scripts/setup.sh installs it); runs there use synthetic images" >&2
  fi
fi

total=$(size_mib "$kit.tmp")
if (( total >= limit_mib )); then
  echo "the kit is $total MiB, over its $limit_mib MiB limit" >&2
  exit 1
fi
rm -rf "$kit" && mv "$kit.tmp" "$kit"
echo "GPU kit in $kit/: $total MiB"
du -sh "$kit"/* | sed 's/^/  /'
