#!/usr/bin/env bash
# bash scripts/repeat-ci.sh [RUNS] [COMMIT]: the suite's check against a busy machine (issue 19).
# Runs CI (`bash .ci/run`, exactly `npm test`) RUNS times (default 10) in a row, each time on a fresh
# clone of this repository at COMMIT (default HEAD), while a second process burns one core
# (`node -e 'for(;;){}'`). Stops at the first failure and keeps that run's directory and log; prints
# one line per run. Each run takes about 8 minutes on a 2-core machine: ten take about 80.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-10}"
commit="$(git rev-parse --short "${2:-HEAD}")"
repo="$(pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/tidings-repeat-XXXXXX")"
node -e 'for(;;){}' &
burner=$!
trap 'kill "$burner" 2>/dev/null || true' EXIT
echo "repeat-ci: $runs runs of .ci/run at $commit beside a one-core burner, in $work"
for ((i = 1; i <= runs; i++)); do
  dir="$work/run$i"
  git clone -q "$repo" "$dir"
  git -C "$dir" checkout -q "$commit"
  start=$(date +%s)
  if (cd "$dir" && bash .ci/run >"$work/run$i.log" 2>&1); then rc=0; else rc=$?; fi
  summary=$(grep -E '^# (tests|pass|fail) ' "$work/run$i.log" | tr '\n' ' ' || true)
  echo "run $i: rc=$rc $(($(date +%s) - start)) s $summary"
  if [ "$rc" -ne 0 ]; then
    echo "repeat-ci: run $i failed; its log: $work/run$i.log, its clone: $dir"
    exit 1
  fi
  rm -rf "$dir"
done
rm -rf "$work"
echo "repeat-ci: $runs of $runs passed at $commit"
