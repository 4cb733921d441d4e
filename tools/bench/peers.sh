#!/usr/bin/env bash
# Runs the peer benchmarks of ../shared/bench/peers and darkroom's matching ones interleaved
# (peer, then darkroom, step by step), so both see the same machine; one JSON line per step
# on stdout, progress on stderr. Needs the built apps, PostgreSQL, RabbitMQ, and the peers set
# up once (PEERS: a writable copy of the peers folder; its setup.sh runs first unless SKIP_SETUP=1).
#
#   npm run bench:peers > peers-vs-darkroom.jsonl      # REPEAT=3 for three rounds
#   PIPELINE_RATES="5 20 100" (darkroom pipeline offered rates, tasks/s)
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
peers=${PEERS:-$root/../shared/bench/peers}
rates=${PIPELINE_RATES:-5 20 100}
darkroom() { (cd "$root" && node -r @swc-node/register "tools/bench/$1" "${@:2}"); }
peer() { (cd "$peers" && node "$1"); }
[ "${SKIP_SETUP:-0}" = 1 ] || (cd "$peers" && ./setup.sh)
echo "{\"bench\":\"machine\",\"uptime\":\"$(uptime)\"}"
rc=0
for round in $(seq "${REPEAT:-1}"); do
  for step in "peer emmett-append.mjs" "darkroom append-bench.ts" \
              "peer fastify-insert.mjs" "darkroom accept-bench.ts" \
              "peer bullmq-pipeline.mjs" pipelines; do
    echo "== round $round: $step ($(cut -d' ' -f1-3 /proc/loadavg))" >&2
    if [ "$step" = pipelines ]; then
      for rate in $rates; do
        darkroom pipeline-bench.ts --json --rate "$rate" --seconds 20 --accounts "${PIPELINE_ACCOUNTS:-20}" || { echo "!! pipeline at $rate/s failed" >&2; rc=1; }
      done
    else
      # shellcheck disable=SC2086
      $step || { echo "!! $step failed" >&2; rc=1; }
    fi
  done
done
exit $rc
