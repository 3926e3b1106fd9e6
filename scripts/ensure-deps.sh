#!/usr/bin/env bash
# Installs what the project needs on a fresh machine of our kind: npm packages, and the Debian
# packages named as arguments (for example redis-server, chromium) when their command is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "ensure-deps: installing npm packages" >&2
  # npm ci installs exactly the lock file and never rewrites it (npm install could): the lock file
  # records every platform's optional packages (Biome's, esbuild's), so it is complete anywhere.
  npm ci --no-audit --no-fund >&2
fi

missing=()
for pkg in "$@"; do
  case "$pkg" in
    redis-server) command -v redis-server >/dev/null || missing+=(redis-server) ;;
    chromium) [ -x /usr/bin/chromium ] || missing+=(chromium) ;;
    curl) command -v curl >/dev/null || missing+=(curl) ;;
    openssl) command -v openssl >/dev/null || missing+=(openssl) ;;
    nginx) [ -x /usr/sbin/nginx ] || missing+=(nginx) ;;
    valgrind) command -v valgrind >/dev/null || missing+=(valgrind) ;;
    *) dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg") ;;
  esac
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "ensure-deps: installing Debian packages: ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq >&2 || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
