"""python3 -m s2t: s2t-opt for people who live in Python.

Runs the s2t-opt of this package (s2t/_paths.py, written by CMake: the build
tree's build/bin/s2t-opt, or PREFIX/bin/s2t-opt once installed) with the same
arguments, so the messages, the output and the exit codes are s2t-opt's, and
its name in messages stays s2t-opt.
"""
import os
import sys

from ._paths import S2T_OPT


def main():
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execv(S2T_OPT, ["s2t-opt"] + sys.argv[1:])
    except OSError as e:
        print(f"python3 -m s2t: cannot run {S2T_OPT}: {e.strerror}", file=sys.stderr)
        return 127


if __name__ == "__main__":
    sys.exit(main())
