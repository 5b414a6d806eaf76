#!/usr/bin/env bash
# Serving figures on the GPU machine: starts `seek serve` with the given options, waits for /health, runs
# `seek bench serve` cases against it, stops it. Usage (from the repo root, after `source .devbin/env.sh`):
#   benchmarks/gpu/serve-bench.sh SEEK_DLL OUT_DIR NAME -- SERVE_OPTIONS...
# Each case line of CASES (below) becomes OUT_DIR/NAME-<i>.json and a log.
set -u
seek=$1 out=$2 name=$3; shift 4
port=8123
maxid=${SERVE_BENCH_MAX_TOKEN_ID:-900}   # prompt ids 3..maxid must be in the tokenizer (the demo has 1024 entries)
dotnet "$seek" serve --port $port "$@" > "$out/$name-server.log" 2>&1 &
server=$!
for i in $(seq 1 600); do
  curl -sf "http://127.0.0.1:$port/health" > /dev/null && break
  kill -0 $server 2>/dev/null || { echo "server exited"; tail -20 "$out/$name-server.log"; exit 1; }
  sleep 1
done
CASES=(
  "--num-requests 64 --request-rate 8 --input-len 128 --output-len 32"
  "--num-requests 64 --request-rate 8 --input-len 64 --output-len 32 --prefix-len 128"
  "--num-requests 32 --request-rate inf --input-len 128 --output-len 64"
  "--num-requests 128 --request-rate inf --input-len 512 --output-len 128"
)
# SERVE_BENCH_CASES="case;case" replaces the list (e.g. a short smoke run)
[ -n "${SERVE_BENCH_CASES:-}" ] && IFS=';' read -ra CASES <<< "$SERVE_BENCH_CASES"
i=0
for c in "${CASES[@]}"; do
  i=$((i+1))
  echo "== $name case $i: $c"
  dotnet "$seek" bench serve --url "http://127.0.0.1:$port" --max-token-id $maxid $c --json-out "$out/$name-$i.json" 2>&1 | tail -12
done
kill $server; wait $server 2>/dev/null
