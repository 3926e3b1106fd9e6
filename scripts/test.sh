#!/usr/bin/env bash
# The one test command (README, CI): installs what is missing, type-checks, lints, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh redis-server chromium curl openssl nginx valgrind
npm run typecheck
npx biome check .
mapfile -t files < <(find packages apps soak bench -path '*/node_modules' -prune -o -path '*/test/*' -name '*.test.ts' -print | sort)
# --conditions=tidings-source makes workspace packages resolve to their TypeScript sources.
exec node --conditions=tidings-source --import tsx --test --test-concurrency="${TEST_CONCURRENCY:-2}" \
  --test-timeout="${TEST_TIMEOUT_MS:-300000}" "${files[@]}" "$@"
