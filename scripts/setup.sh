#!/usr/bin/env bash
# Installs the Debian packages hearth needs to build and test (Debian 12). Idempotent.
set -euo pipefail
PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  clang clang-format clang-tidy libclang-rt-14-dev   # libFuzzer, sanitizers, style
  libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev libcpp-httplib-dev libcli11-dev libpcre2-dev libicu-dev
  libssl-dev libsqlite3-dev
  python3 python3-jinja2
)
# tests/clients runs the official npm clients: Debian's nodejs + npm, unless a Node.js with npm is
# already installed (e.g. NodeSource's nodejs, which bundles npm and conflicts with Debian's npm).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  PACKAGES+=(nodejs npm)
fi
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all packages present"
fi
# The npm clients the test suite runs (tests/clients, exact versions from package-lock.json).
cd "$(dirname "$0")/../tests/clients"
if [[ ! -d node_modules || package-lock.json -nt node_modules ]]; then
  echo "setup: npm ci in tests/clients"
  npm ci --no-audit --no-fund --loglevel=error
  touch node_modules
fi
