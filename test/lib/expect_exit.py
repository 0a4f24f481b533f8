"""`python -m expect_exit CODE CMD...`: runs CMD and succeeds only if it exits
with CODE. CMD's stdout and stderr pass through unchanged, so the output can
still be piped to FileCheck. lit's `not` accepts any non-zero code; this tells
a usage error (2) from a conversion error (1)."""
import subprocess
import sys


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: expect_exit.py CODE CMD...")
    expected = int(sys.argv[1])
    try:
        proc = subprocess.run(sys.argv[2:])
    except OSError as e:
        sys.exit(f"expect_exit: cannot run '{sys.argv[2]}': {e}")
    if proc.returncode != expected:
        sys.stderr.flush()
        print(f"expect_exit: '{' '.join(sys.argv[2:])}' exited with "
              f"{proc.returncode}, expected {expected}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
