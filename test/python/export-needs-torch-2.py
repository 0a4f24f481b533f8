# REQUIRES: torch-1.13
# RUN: %python %s
"""s2t.export needs torch.export's TorchScript converter (torch 2.5 or newer):
on an older torch it raises s2t.Error saying so, before converting anything."""
import torch

import s2t
from s2t_e2e import main


class Threshold(torch.nn.Module):
    def forward(self, x):
        if x > 2.0:
            return x + 1
        return x - 1


def test_needs_torch_2_5():
    scripted = torch.jit.script(Threshold())
    try:
        s2t.export(scripted, (torch.tensor(3.0),))
    except s2t.Error as e:
        assert isinstance(e, RuntimeError)
        message = str(e)
        assert message.startswith("s2t.export needs torch 2.5 or newer"), message
        assert f"this is torch {torch.__version__}" in message, message
        assert "s2t.script_to_trace" in message, message
        return
    raise AssertionError("no s2t.Error")


def test_script_to_trace_still_works():
    scripted = torch.jit.script(Threshold())
    flat = s2t.script_to_trace(scripted, (torch.tensor(3.0),))
    assert torch.equal(flat(torch.tensor(3.0)), torch.tensor(4.0))


if __name__ == "__main__":
    main([test_needs_torch_2_5, test_script_to_trace_still_works])
