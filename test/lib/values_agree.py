"""`python -m values_agree GRAPH.ir FLAT.pt ARGS...`: runs the textual graph
and the flat archive s2t-opt made from it on each ARGS and checks the results
are bit-identical. Each ARGS is a Python expression for the argument tuple,
written with the spec grammar's names (`tensor`, `float64`, ...), e.g.
"(tensor([3.0]), 2)". Prints one line per ARGS for FileCheck."""
import sys

import torch

import unfused  # noqa: F401  (the oracles run unfused kernels: test/lib/unfused.py)

from s2t_e2e import assert_same

NAMES = {"tensor": torch.tensor, "inf": float("inf"), "nan": float("nan"),
         "true": True, "false": False}
for _dtype in ["float16", "bfloat16", "float32", "float64", "uint8", "int8",
               "int16", "int32", "int64", "bool"]:
    NAMES[_dtype] = getattr(torch, _dtype)


def main():
    if len(sys.argv) < 4:
        sys.exit("usage: values_agree.py GRAPH.ir FLAT.pt ARGS...")
    graph = torch._C.parse_ir(open(sys.argv[1]).read())
    original = torch._C._create_function_from_graph("original", graph)
    flat = torch.jit.load(sys.argv[2])
    for text in sys.argv[3:]:
        # Fresh arguments for each run, in case the graph mutates them.
        def args():
            value = eval(text, dict(NAMES))
            return value if isinstance(value, tuple) else (value,)
        assert_same(flat(*args()), original(*args()), f"on {text}")
        print(f"values agree on {text}")


if __name__ == "__main__":
    main()
