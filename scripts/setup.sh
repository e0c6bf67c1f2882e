#!/usr/bin/env bash
# Installs what Distill Lab needs on a Debian machine that has Rust (rustup): Fashion-MNIST
# from Debian's dataset-fashion-mnist package (at /usr/share/datasets/fashion-mnist), and Mesa's
# Vulkan drivers so the wgpu backend has an adapter (lavapipe, on the CPU) where no GPU is.
set -euo pipefail
packages=(dataset-fashion-mnist mesa-vulkan-drivers)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi
