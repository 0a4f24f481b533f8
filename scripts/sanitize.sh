#!/usr/bin/env bash
# Builds the library, s2t-opt and the unit tests with AddressSanitizer and
# UndefinedBehaviorSanitizer (S2T_SANITIZE=ON, into build-asan/), then runs
# the unit tests and lit suites against that build. See docs/hardening.md.
#
#   bash scripts/sanitize.sh                      # unit tests + passes + tools
#   bash scripts/sanitize.sh build-asan/test      # unit tests + every lit suite
#
# Extra arguments are the lit folders to run. Exit status 0 when clean.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${S2T_SANITIZE_BUILD:-build-asan}
scripts/install-deps.sh || exit 1
if [ ! -f "$build/build.ninja" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DS2T_SANITIZE=ON -DS2T_BUILD_PYTHON=OFF >/dev/null || exit 1
fi
ninja -C "$build" -j"${S2T_JOBS:-$(nproc)}" || exit 1

# LibTorch keeps its operator registry and other singletons for the life of
# the process and is not built with LeakSanitizer in mind: leak checking is
# off. Any UBSan report stops the process with a stack.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

echo "== unit tests (ASan + UBSan)"
"$build/test/unit/s2t-unit-tests" --gtest_brief=1
unit_status=$?

echo "== lit (ASan + UBSan)"
suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=("$build/test/passes" "$build/test/tools")
/usr/bin/python3 /usr/lib/llvm-14/build/utils/lit/lit.py -sv "${suites[@]}"
lit_status=$?

[ $unit_status -eq 0 ] && [ $lit_status -eq 0 ]
