"""Helpers for the ONNX export tests (test/onnx/*.py, run by lit).

export_ops() exports a TorchScript module with torch.onnx.export, checks the
ONNX model with onnx.checker and returns the op types of every node, those of
subgraphs (If branches, Loop bodies) included. convert_archive() runs s2t-opt
on a scripted module and loads the flat archive it writes.
"""
import io
import os
import subprocess
import tempfile
import warnings

import onnx
import torch

from s2t_e2e import S2T_OPT, save_sample

warnings.filterwarnings("ignore")  # the exporter warns about scripted modules


def op_types(graph):
    """op_type of each node of an ONNX graph and of its subgraphs, in order."""
    for node in graph.node:
        yield node.op_type
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.GRAPH:
                yield from op_types(attribute.g)
            for subgraph in attribute.graphs:
                yield from op_types(subgraph)


def export_ops(module, sample):
    """The op types of `module` exported on `sample`, after onnx.checker."""
    buffer = io.BytesIO()
    torch.onnx.export(module, tuple(sample), buffer)
    model = onnx.load_from_string(buffer.getvalue())
    onnx.checker.check_model(model)
    return list(op_types(model.graph))


def convert_archive(scripted, sample):
    """Saves `scripted`, converts it on `sample`, loads the flat archive."""
    workdir = tempfile.mkdtemp(prefix="s2t-onnx-")
    model = os.path.join(workdir, "model.pt")
    inputs = os.path.join(workdir, "inputs.pt")
    flat = os.path.join(workdir, "flat.pt")
    scripted.save(model)
    save_sample(inputs, sample)
    cmd = [S2T_OPT, model, "--specialize-input=@" + inputs, "-o", flat]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr}")
    return torch.jit.load(flat)


def control_flow_counts(ops):
    """'If=N Loop=M' of a list of op types, for FileCheck."""
    return f"If={ops.count('If')} Loop={ops.count('Loop')}"
