#!/usr/bin/env bash
# `npm start`: installs what is missing, builds, and runs the hub with the Picture Frame demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
npx tsc -b
exec node apps/picture-frame/dist/src/main.js "$@"
