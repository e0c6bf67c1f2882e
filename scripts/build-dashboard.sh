#!/usr/bin/env bash
# Builds the dashboard (frontend/, a Leptos app) into `dashboard/` next to the `distill`
# binary, where `distill serve` finds it: wasm32 build → wasm-bindgen (exactly the version in
# Cargo.lock) → wasm-opt when binaryen from npm is installed → static files. Prints the sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
out="$target/release/dashboard"

locked=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p')
installed=$(wasm-bindgen --version 2>/dev/null | cut -d' ' -f2 || true)
if [ "$installed" != "$locked" ]; then
  echo "wasm-bindgen $locked is needed (found: ${installed:-none}); scripts/setup.sh installs it" >&2
  exit 1
fi

# `erase_components` type-erases Leptos components: a much smaller wasm (only the wasm build
# sees this flag, so the host build of the workspace is unaffected).
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="--cfg erase_components"
cargo build -p distill-frontend --target wasm32-unknown-unknown --profile dashboard
rm -rf "$out.tmp" && mkdir -p "$out.tmp"
wasm-bindgen --target web --no-typescript --out-dir "$out.tmp" --out-name distill \
  "$target/wasm32-unknown-unknown/dashboard/distill-frontend.wasm"
wasm_opt="$target/binaryen/node_modules/.bin/wasm-opt"
if [ -x "$wasm_opt" ]; then
  "$wasm_opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$out.tmp/distill_bg.wasm" -o "$out.tmp/distill_bg.wasm"
else
  echo "note: wasm-opt not found at $wasm_opt (scripts/setup.sh installs it); the bundle is larger" >&2
fi
cp static/* "$out.tmp/"
# Brotli copies beside the files (`distill serve` sends them to browsers that accept br; it
# gzips the rest itself).
if command -v brotli >/dev/null; then
  for file in "$out.tmp"/*.wasm "$out.tmp"/*.js "$out.tmp"/*.css "$out.tmp"/*.html "$out.tmp"/*.svg; do
    brotli --best --force --keep "$file"
  done
else
  echo "note: brotli not found (scripts/setup.sh installs it); browsers get gzip, a larger download" >&2
fi
rm -rf "$out" && mv "$out.tmp" "$out"
wasm="$out/distill_bg.wasm"
sizes="wasm $(stat -c %s "$wasm") bytes, $(gzip -9 -c "$wasm" | wc -c) gzipped"
if [ -f "$wasm.br" ]; then sizes="$sizes, $(stat -c %s "$wasm.br") brotli"; fi
echo "dashboard built in $out: $sizes"
