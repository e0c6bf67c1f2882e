#!/usr/bin/env bash
# Fuzzes the REST API against its own OpenAPI document with schemathesis (from PyPI, in a
# virtual environment under the target directory; a tool for contributors, never a dependency
# of the product or its tests): every check (`--checks all`: no 5xx, status codes, content
# types, headers and bodies as documented, bad input refused, good input accepted, deleted
# things gone, auth honoured) over the examples, coverage, fuzzing and stateful phases (the
# stateful phase follows the document's `links` from what it creates to what takes its id).
# A `distill serve` with a throw-away home, database and owner token runs on a free loopback
# port for the duration, with no training slots (experiments stay queued).
#
#   scripts/fuzz-api.sh [--max-examples 40] [--seed 1] [-- more schemathesis options]
#
# It prints schemathesis' summary (requests made, failures) and exits non-zero on a failure.
# Expects the release binary ($CARGO_TARGET_DIR/release/distill, from `cargo build --release`).
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
distill="$target/release/distill"
venv="$target/fuzz-venv"
examples=40
seed=1
while [ $# -gt 0 ]; do
  case "$1" in
    --max-examples) examples="$2"; shift ;;
    --seed) seed="$2"; shift ;;
    --) shift; break ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[ -x "$distill" ] || { echo "no $distill: run \`cargo build --release\` first" >&2; exit 1; }
if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --progress-bar off 'schemathesis==4.32.5'
fi

home=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
token=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
DISTILL_TOKEN="$token" HOME="$home" "$distill" serve --addr "127.0.0.1:$port" --workers 0 \
  --backend cpu --max-failed-logins 100000 > "$home/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$home"' EXIT
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/api/health" >/dev/null && break
  sleep 0.2
done

"$venv/bin/schemathesis" --config-file scripts/fuzz-api.toml run "http://127.0.0.1:$port/api/openapi.json" \
  --checks all --phases examples,coverage,fuzzing,stateful \
  --max-examples "$examples" --seed "$seed" --request-timeout 10 --workers 1 \
  -H "Authorization: Bearer $token" --no-color "$@"
