# Stops s2t-opt with a signal while it writes an archive, and checks that the
# signal ended it and that no temporary file is left beside the output.
#
#   interrupt_write.py S2T_OPT DIR SIGNAL     (SIGNAL: INT, TERM or HUP)
#
# The module has a parameter of 128 MiB, so that writing takes long enough to
# see the temporary file (OUTPUT.s2t-tmp-PID) appear; the signal is sent then.
# If the conversion ends before it is seen, it is tried again, up to 5 times.
import os
import signal
import subprocess
import sys
import time

import torch


class Big(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(32 * 1024 * 1024))

    def forward(self, x):
        return x + self.w[0]


def main():
    s2t_opt, folder, name = sys.argv[1:]
    number = getattr(signal, "SIG" + name)
    model = os.path.join(folder, "big.pt")
    output = os.path.join(folder, "flat.pt")
    torch.jit.script(Big()).save(model)
    # lit's workers ignore SIGINT, and an ignored signal stays ignored in
    # s2t-opt: give it the default action, as in a shell.
    signal.signal(number, signal.SIG_DFL)
    for attempt in range(5):
        process = subprocess.Popen(
            [s2t_opt, model, "--specialize-input=tensor([1.0])", "-o", output])
        temporary = f"{output}.s2t-tmp-{process.pid}"
        while process.poll() is None and not os.path.exists(temporary):
            time.sleep(0.0005)
        if process.poll() is not None:
            continue  # finished before the temporary file was seen
        process.send_signal(number)
        code = process.wait()
        left = [f for f in os.listdir(folder) if ".s2t-tmp-" in f]
        print(f"ended by signal {-code == number}, temporary files left: {left}")
        return
    print("could not stop s2t-opt while it wrote")


if __name__ == "__main__":
    main()
