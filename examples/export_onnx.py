"""Exports a TorchScript archive to ONNX and counts its control flow.

`python3 examples/export_onnx.py MODEL.pt INPUTS.pt OUT.onnx` loads MODEL.pt,
exports it with torch.onnx.export on the arguments saved in INPUTS.pt (a tuple
written by torch.save), checks OUT.onnx with onnx.checker and prints how many
If and Loop nodes it holds, subgraphs included.
"""
import sys
import warnings

import onnx
import torch


def op_types(graph):
    for node in graph.node:
        yield node.op_type
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.GRAPH:
                yield from op_types(attribute.g)
            for subgraph in attribute.graphs:
                yield from op_types(subgraph)


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: export_onnx.py MODEL.pt INPUTS.pt OUT.onnx")
    warnings.filterwarnings("ignore")  # the exporter warns about scripted modules
    module = torch.jit.load(sys.argv[1])
    inputs = torch.load(sys.argv[2])
    torch.onnx.export(module, tuple(inputs), sys.argv[3])
    model = onnx.load(sys.argv[3])
    onnx.checker.check_model(model)
    ops = list(op_types(model.graph))
    print(f"{sys.argv[3]}: {len(ops)} nodes, If: {ops.count('If')}, Loop: {ops.count('Loop')}")


if __name__ == "__main__":
    main()
