#!/usr/bin/env bash
# Builds Distill Lab — the dashboard's wasm bundle and the workspace — and starts `distill serve`
# with the given arguments (default: the dashboard and API on http://127.0.0.1:8080, SQLite in
# ~/.local/share/distill-lab).
#
# It builds the whole workspace rather than `cargo run -p distill-server`: cargo unifies
# dependency features over the packages it builds, and the workspace's set is the one the tests
# use, so the server and the tests share one build of burn instead of compiling it twice.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
scripts/build-dashboard.sh
cargo build --release --workspace
exec "$target/release/distill" serve "$@"
