#!/usr/bin/env bash
# Installs what Distill Lab needs on a Debian machine that has Rust (rustup):
#  - Fashion-MNIST from Debian's dataset-fashion-mnist (at /usr/share/datasets/fashion-mnist),
#    and Mesa's Vulkan drivers so the wgpu backend has an adapter (lavapipe) where no GPU is;
#  - for the dashboard: the wasm32 target, wasm-bindgen at exactly Cargo.lock's version, and
#    wasm-opt from npm's binaryen (Debian's binaryen 108 emits wasm that crashes Chromium),
#    and brotli to precompress the bundle;
#  - for the browser tests: Debian's chromium and chromium-driver;
#  - for the store's and the workers' tests: Debian's postgresql (the tests start throw-away
#    clusters of their own; the package's default cluster is not used), and moto's
#    S3-compatible server from PyPI (Debian has no moto) in a virtual environment under the
#    target directory, for the object-store test. Only tests use either.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"

packages=(dataset-fashion-mnist mesa-vulkan-drivers chromium chromium-driver brotli postgresql python3-venv)
command -v npm >/dev/null || packages+=(npm)
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

rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

# The CLI must match the wasm-bindgen library the app links, or the bundle will not load.
locked=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p')
installed=$(wasm-bindgen --version 2>/dev/null | cut -d' ' -f2 || true)
if [ "$installed" != "$locked" ]; then
  # Not --locked: the CLI's own lockfile pins a webpki-roots release crates.io no longer serves.
  # Only the `wasm-bindgen` binary, without the default TLS stack (rustls, ring) that only its
  # test runner's downloads use.
  cargo install wasm-bindgen-cli --version "=$locked" --no-default-features --bin wasm-bindgen
fi

binaryen="$target/binaryen"
if [ ! -x "$binaryen/node_modules/.bin/wasm-opt" ]; then
  mkdir -p "$binaryen"
  npm install --prefix "$binaryen" --no-audit --no-fund --silent binaryen@132.0.0
fi

moto="$target/moto"
if [ ! -x "$moto/bin/moto_server" ]; then
  python3 -m venv "$moto"
  "$moto/bin/pip" install --quiet --progress-bar off 'moto[server]==5.2.5'
fi
