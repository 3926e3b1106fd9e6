#!/usr/bin/env bash
# npm run bench [-- --quick | --help]: installs what the benchmark needs when missing (nginx,
# libnginx-mod-nchan, util-linux for taskset), raises the open-file limit, and runs bench/run.mjs
# pinned to CPU 1 (the servers go to CPU 0, see bench/run.mjs). Every run stops by itself.
# `bash bench/run.sh --transports [...]` (npm run bench:transports) runs bench/transports/run.mjs
# the same way; it needs no nginx.
set -euo pipefail
cd "$(dirname "$0")/.."

DRIVER=bench/run.mjs
if [ "${1:-}" = "--transports" ]; then
  shift
  DRIVER=bench/transports/run.mjs
fi

missing=()
if [ "$DRIVER" = bench/run.mjs ]; then
  [ -x /usr/sbin/nginx ] || missing+=(nginx)
  [ -f /usr/lib/nginx/modules/ngx_nchan_module.so ] || missing+=(libnginx-mod-nchan)
fi
command -v taskset >/dev/null || missing+=(util-linux)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "bench: installing Debian packages: ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq >&2 || true
  # policy-rc.d in containers keeps the nginx service from starting; we never use it anyway.
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
[ -d node_modules ] || npm ci --no-audit --no-fund >&2 || npm install --no-audit --no-fund >&2

# 10,000 and 19,000 subscribers need that many descriptors on each side.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
export BENCH_NOFILE="$(ulimit -n)"

if [ "$(nproc)" -ge 2 ] && [ "${BENCH_NO_PIN:-0}" != 1 ]; then
  exec taskset -c "${BENCH_LOADGEN_CPU:-1}" node "$DRIVER" "$@"
fi
echo "bench: fewer than 2 CPUs, running without pinning: figures will not be comparable" >&2
export BENCH_NO_PIN=1
exec node "$DRIVER" "$@"
