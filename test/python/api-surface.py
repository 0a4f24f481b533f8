# RUN: %python %s
# RUN: %s2t-opt --version | FileCheck %s --check-prefix=VERSION
# RUN: %python -c "import s2t; print('s2t-opt', s2t.__version__)" | FileCheck %s --check-prefix=VERSION
# VERSION: s2t-opt [[#]].[[#]].[[#]]{{$}}
"""The public surface of the package: only the API in dir(s2t), a version
that is s2t-opt's, typed stubs for the extension, errors as a hierarchy with
the CLI's exit-code classes, docstrings with an example."""
import doctest
import os
import pydoc
import subprocess

import torch

import s2t
from s2t_e2e import main

S2T_OPT = os.environ.get("S2T_OPT", "s2t-opt")


class Threshold(torch.nn.Module):
    def forward(self, x):
        if x > 2.0:
            return x + 1
        return x - 1


def test_dir_shows_only_the_api():
    public = sorted(n for n in dir(s2t) if not n.startswith("_"))
    assert public == sorted(s2t.__all__), public
    assert sorted(s2t.__all__) == [
        "CheckError", "ConversionError", "Decision", "DecisionWarning", "Error",
        "Report", "UsageError", "export", "report", "script_to_trace"], s2t.__all__


def test_version_is_s2t_opts():
    out = subprocess.run([S2T_OPT, "--version"], capture_output=True, text=True).stdout
    assert out.strip() == f"s2t-opt {s2t.__version__}", (out, s2t.__version__)


def test_stubs_next_to_the_extension():
    folder = os.path.dirname(s2t.__file__)
    assert os.path.exists(os.path.join(folder, "py.typed"))
    with open(os.path.join(folder, "_C.pyi")) as f:
        stubs = f.read()
    assert "def convert(" in stubs and "__version__: str" in stubs


def test_error_hierarchy_and_attributes():
    assert issubclass(s2t.Error, RuntimeError)
    for cls in (s2t.UsageError, s2t.ConversionError, s2t.CheckError):
        assert issubclass(cls, s2t.Error) and cls.__module__ == "s2t", cls
    scripted = torch.jit.script(Threshold())
    try:  # a bad sample: s2t-opt's exit 2
        s2t.script_to_trace(scripted, (torch.tensor(1.0),), example_kwarg_inputs={"y": 1})
    except s2t.UsageError as e:
        assert e.message == str(e) and e.location is None, (e.message, e.location)
        assert "names unknown argument 'y'" in e.message
    else:
        raise AssertionError("no UsageError")
    try:  # a raise on the sample's path: s2t-opt's exit 1, located
        s2t.script_to_trace(torch.jit.script(Raising()), (torch.tensor(-1.0),), quiet=True)
    except s2t.ConversionError as e:
        assert e.location is not None and e.location.startswith(__file__ + ":"), e.location
        assert e.message.startswith(e.location + ": "), e.message
    else:
        raise AssertionError("no ConversionError")


class Raising(torch.nn.Module):
    def forward(self, x):
        if bool(x < 0):
            raise ValueError("negative")
        return x


class Huge(torch.nn.Module):
    def forward(self, n: int):
        if bool(torch.zeros(n).sum() > 0):
            return n
        return 0


def test_out_of_memory_is_memory_error():
    try:  # 4 TB for a data decision: the allocator refuses it
        s2t.script_to_trace(torch.jit.script(Huge()), (10**12,), quiet=True)
    except MemoryError:
        pass
    else:
        raise AssertionError("no MemoryError")


def test_help_shows_an_example_that_runs():
    text = pydoc.render_doc(s2t.script_to_trace, renderer=pydoc.plaintext)
    assert ">>> flat = s2t.script_to_trace(scripted" in text and "check_inputs" in text, text
    assert ">>>" in pydoc.render_doc(s2t.report, renderer=pydoc.plaintext)
    runner, globs = doctest.DocTestRunner(), {"s2t": s2t, "torch": torch}
    for function in (s2t.script_to_trace, s2t.report):  # report's uses `scripted`
        for test in doctest.DocTestFinder().find(function, globs=globs):
            test.globs = globs
            runner.run(test, clear_globs=False)
    assert runner.failures == 0 and runner.tries >= 5, (runner.failures, runner.tries)


if __name__ == "__main__":
    main([test_dir_shows_only_the_api, test_version_is_s2t_opts,
          test_stubs_next_to_the_extension, test_error_hierarchy_and_attributes,
          test_out_of_memory_is_memory_error,
          test_help_shows_an_example_that_runs])
