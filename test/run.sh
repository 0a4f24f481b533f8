#!/usr/bin/env bash
# The README's test command: install what is missing, build everything, run
# the unit tests (GoogleTest) and the lit suites (FileCheck pass tests, driver
# tests and end-to-end tests), then print one closing line with the counts.
# Extra arguments go to lit (e.g. a folder: bash test/run.sh build/test/e2e).
#
#   bash test/run.sh              # Debian 12, LibTorch 1.13, into build/
#   bash test/run.sh --debian13   # the same inside a Debian 13 root with
#                                 # LibTorch 2.6, into build-debian13/
#                                 # (scripts/debian13-root.sh makes the root)
set -uo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--debian13" ]; then
  shift
  exec bash scripts/debian13-root.sh bash test/run.sh "$@"
fi
scripts/install-deps.sh || exit 1
scripts/build.sh || exit 1
build=$(scripts/build-dir.sh)
lit_py=$(sed -n 's/^LIT_PY:FILEPATH=//p' "$build/CMakeCache.txt")

log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

echo "== unit tests (GoogleTest)"
"$build/test/unit/s2t-unit-tests" --gtest_brief=1 --gtest_output="json:$log/unit.json"
unit_status=$?

echo "== lit (FileCheck and end-to-end)"
lit_args=("$@")
[ ${#lit_args[@]} -gt 0 ] || lit_args=("$build/test")
/usr/bin/python3 "$lit_py" -sv --xunit-xml-output "$log/lit.xml" "${lit_args[@]}"
lit_status=$?

/usr/bin/python3 - "$log/unit.json" "$log/lit.xml" <<'PY'
import json, sys, xml.etree.ElementTree as ET
passed = failed = 0
try:
    unit = json.load(open(sys.argv[1]))
    failed += unit["failures"] + unit.get("errors", 0)
    passed += unit["tests"] - unit["failures"] - unit.get("errors", 0) - unit.get("disabled", 0)
except (OSError, ValueError, KeyError):
    failed += 1
try:
    for case in ET.parse(sys.argv[2]).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.find("skipped") is None:
            passed += 1
except (OSError, ET.ParseError):
    failed += 1
print(f"{passed} passed, {failed} failed")
PY

[ $unit_status -eq 0 ] && [ $lit_status -eq 0 ]
