"""`python -m on_tty CMD...`: runs CMD with its stdout on a pseudo-terminal
and exits with CMD's exit code. stderr passes through; what CMD writes to the
terminal is dropped. Tests what a tool does when stdout is a terminal."""
import os
import subprocess
import sys


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: on_tty.py CMD...")
    leader, follower = os.openpty()
    proc = subprocess.Popen(sys.argv[1:], stdout=follower)
    os.close(follower)
    while True:  # drain the terminal so CMD never blocks on it
        try:
            if not os.read(leader, 65536):
                break
        except OSError:  # EIO: every writer is gone
            break
    sys.exit(proc.wait())


if __name__ == "__main__":
    main()
