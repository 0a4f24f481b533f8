#!/usr/bin/env bash
# The README's test command: install what is missing, build everything, run
# the unit tests (GoogleTest) and the lit suites (FileCheck and end-to-end).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
echo "== unit tests"
build/test/unit/s2t-unit-tests --gtest_brief=1
echo "== lit"
/usr/bin/python3 /usr/lib/llvm-14/build/utils/lit/lit.py -sv build/test "$@"
