"""The model's first forward in a fresh process, as s2t-opt's pass is a first run.

    /usr/bin/python3 bench/first_forward.py MODEL INPUTS.pt THREADS [--no-grad]

Builds MODEL as bench/run.py does (seed 0, weights=None, eval mode), loads the sample
from INPUTS.pt, sets the thread count, and prints the seconds of its first call on the
sample: the kernels allocate and initialize everything for the first time, as they do
in s2t-opt's pass. By default in grad mode, as a model is called and as s2t's evaluator
runs the program (a decision may read requires_grad, so autograd records as it would);
--no-grad as the benchmark's warm forwards. Importing torch and building the model are
not counted.
"""
import contextlib
import sys
import time

import torch

from measure import quietly
from models import BY_NAME


def main():
    name, inputs, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    grad = "--no-grad" not in sys.argv[4:]
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = quietly(BY_NAME[name].build).eval()
    sample = torch.load(inputs)
    with contextlib.nullcontext() if grad else torch.no_grad():
        start = time.perf_counter()
        model(*sample)
        print(f"{time.perf_counter() - start:.6f}")


if __name__ == "__main__":
    main()
