#!/usr/bin/env bash
# The whole test suite: setup, Release build + ctest, then the unit tests again under
# AddressSanitizer + UndefinedBehaviorSanitizer. Heavy benchmarks are separate (scripts/bench.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
echo "== tests (Release) =="
ctest --test-dir build --output-on-failure -j"$(nproc)" --timeout 900

echo "== tests (ASan + UBSan) =="
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHEARTH_SANITIZE=ON \
  -DHEARTH_BUILD_BENCH=OFF >/dev/null
cmake --build build-asan -j"$(nproc)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  HEARTH_SANITIZED=1 ctest --test-dir build-asan --output-on-failure -j"$(nproc)" --timeout 1800
