# RUN: %python %s %S/../install/Inputs/threshold.ir %S/../tools/Inputs/loop-counted.ir %S/../tools/Inputs/undefined-value.ir | FileCheck %s
"""python3 -m s2t is s2t-opt: the same arguments give the same stdout, the
same stderr (the program named s2t-opt) and the same exit code, on a
success, on usage errors and on conversion errors."""
import os
import subprocess
import sys

S2T_OPT = os.environ.get("S2T_OPT", "s2t-opt")
threshold, loop, bad = sys.argv[1:4]

cases = [
    ("success", [threshold, "--specialize-input=tensor([3.0, -1.0])"]),
    ("version", ["--version"]),
    ("usage: no input", []),
    ("usage: unknown flag", [threshold, "--no-such-flag"]),
    ("usage: unknown argument", [threshold, "--specialize-input=y=1"]),
    ("conversion: too many iterations", [loop, "--specialize-input=tensor([1.0])", "--specialize-input=5",
                                         "--max-unroll=1"]),
    ("conversion: bad graph", [bad, "--specialize-input=1.0"]),
]
for name, args in cases:
    cli = subprocess.run([S2T_OPT] + args, capture_output=True, text=True)
    module = subprocess.run([sys.executable, "-m", "s2t"] + args,
                            capture_output=True, text=True)
    for what in ("returncode", "stdout", "stderr"):
        a, b = getattr(cli, what), getattr(module, what)
        assert a == b, f"{name}: {what} differs:\ns2t-opt: {a!r}\npython -m s2t: {b!r}"
    first = (cli.stdout or cli.stderr).splitlines()[:1]
    print(f"{name}: exit {cli.returncode}: {first[0] if first else ''}")

# CHECK: success: exit 0: graph(
# CHECK-NEXT: version: exit 0: s2t-opt [[#]].[[#]].[[#]]
# CHECK-NEXT: usage: no input: exit 2: s2t-opt: error:
# CHECK-NEXT: usage: unknown flag: exit 2: s2t-opt: error:
# CHECK-NEXT: usage: unknown argument: exit 2: s2t-opt: error: sample 'y=1'
# CHECK-NEXT: conversion: too many iterations: exit 1: s2t-opt: error:
# CHECK-NEXT: conversion: bad graph: exit 1: s2t-opt: error:
