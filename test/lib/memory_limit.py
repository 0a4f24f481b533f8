"""`python -m memory_limit KIB CMD...`: runs CMD with its address space
limited to KIB kibibytes, as the shell's `ulimit -v KIB` (lit's shell has no
ulimit), so that allocations past it fail instead of taking the machine's
memory."""
import os
import resource
import sys


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: memory_limit.py KIB CMD...")
    limit = int(sys.argv[1]) * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    except OSError as e:
        sys.exit(f"memory_limit: cannot run '{sys.argv[2]}': {e}")


if __name__ == "__main__":
    main()
