"""`python -m file_size_limit BYTES CMD...`: runs CMD with the files it writes
limited to BYTES bytes, as the shell's `ulimit -f` (lit's shell has no
ulimit), and SIGXFSZ ignored, so that a write past the limit fails with EFBIG
("File too large") as a write to a full disk fails, instead of killing CMD."""
import os
import resource
import signal
import sys


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: file_size_limit.py BYTES CMD...")
    limit = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # ignored across exec
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    except OSError as e:
        sys.exit(f"file_size_limit: cannot run '{sys.argv[2]}': {e}")


if __name__ == "__main__":
    main()
