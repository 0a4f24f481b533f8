#!/usr/bin/env bash
# Builds the libFuzzer targets (clang-14, ASan + UBSan, into build-fuzz/) and
# runs each for a bounded time on its committed seed corpus
# (test/fuzz/corpus/TARGET/); new inputs go to build-fuzz/corpus/TARGET/,
# crashes to build-fuzz/artifacts/. See docs/hardening.md.
#
#   bash scripts/fuzz.sh                 # every target, 60 s each
#   bash scripts/fuzz.sh 600 IrFuzzer    # one target, 10 minutes
#   S2T_FUZZ_SECONDS=30 ninja -C build-fuzz fuzz
#
# Exit status: 0 when every target ran its time without a crash.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${S2T_FUZZ_BUILD:-build-fuzz}
if [ "${1:-}" = "--no-build" ]; then
  shift
else
  scripts/install-deps.sh || exit 1
  for p in clang-14 libclang-rt-14-dev; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
      { echo "fuzz.sh: needs $p (apt-get install -y clang-14 libclang-rt-14-dev)"; exit 1; }
  done
  if [ ! -f "$build/build.ninja" ]; then
    cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_CXX_COMPILER=clang++-14 -DS2T_FUZZ=ON -DS2T_BUILD_TESTS=OFF >/dev/null || exit 1
  fi
  ninja -C "$build" -j"${S2T_JOBS:-2}" fuzzers || exit 1
fi
seconds=${1:-${S2T_FUZZ_SECONDS:-60}}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(SampleSpecFuzzer IrFuzzer ArchiveFuzzer)

# LibTorch keeps its operator registry and other singletons for the life of
# the process and is not built with LeakSanitizer in mind: leak checking is
# off. A graph may ask for a huge tensor: the allocator then returns null and
# LibTorch throws, as it would without ASan, instead of ASan aborting.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

status=0
for target in "${targets[@]}"; do
  corpus="$build/corpus/$target"
  mkdir -p "$corpus" "$build/artifacts"
  dict=()
  [ -f "test/fuzz/$target.dict" ] && dict=(-dict="test/fuzz/$target.dict")
  log="$build/$target.log"
  echo "== $target: $seconds s"
  "$build/bin/$target" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=3072 \
    -malloc_limit_mb=2048 -print_final_stats=1 "${dict[@]}" \
    -artifact_prefix="$build/artifacts/$target-" \
    "$corpus" "test/fuzz/corpus/$target" >"$log" 2>&1
  rc=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
  speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$')
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
  if [ $rc -eq 0 ]; then
    echo "$target: clean, ${runs:-?} runs, ${speed:-?} execs/s, $cov"
  else
    status=1
    echo "$target: FAILED (exit $rc), see $log:"
    grep -E 'ERROR|contract broken|Test unit written|SUMMARY' "$log" | head -5
  fi
done
exit $status
