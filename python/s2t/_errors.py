"""s2t's exceptions and warnings: the classes users catch and filter."""
import re

# "file:line:col" at the start of a message (the model's source, or a file's
# path and position), as s2t-opt's error lines carry it.
_LOCATION = re.compile(r"^(\S+?:\d+:\d+)(?=[: ])")


class Error(RuntimeError):
    """Everything s2t refuses: the one line s2t-opt prints after `error: `.

    Attributes: `message` (that line) and `location` (`file:line:col` of the
    model's source, or None when the message names none).
    """

    def __init__(self, message=""):
        super().__init__(message)
        self.message = str(message)
        match = _LOCATION.match(self.message)
        self.location = match.group(1) if match else None


class UsageError(Error):
    """A bad argument, sample or option: what s2t-opt exits 2 for."""


class ConversionError(Error):
    """A model that cannot be loaded or converted, a sample whose path raises,
    a limit exceeded: what s2t-opt exits 1 for."""


class CheckError(Error):
    """A check input (`check_inputs=`) on which the flat module and the
    scripted method disagree, as torch.jit.trace's TracingCheckError.

    Attributes besides Error's: `input_index` (which check input), `decision`
    (the first s2t.Decision that input takes differently, or None),
    `outcomes` (that decision's outcome on the examples and on the input),
    `max_difference` (the largest absolute difference between the outputs,
    None when they do not differ or cannot be compared).
    """

    def __init__(self, message="", input_index=None, decision=None,
                 outcomes=None, max_difference=None):
        super().__init__(message)
        self.input_index = input_index
        self.decision = decision
        self.outcomes = outcomes
        self.max_difference = max_difference
        if decision is not None:
            self.location = decision.location


class DecisionWarning(UserWarning):
    """A shape or data decision baked into the flat module, attributed to its
    line in the model's source, as torch.jit.trace warns with TracerWarning.

    Attributes: `location` (`file:line:col`) and `line` (the line s2t-opt
    prints for it).
    """

    def __init__(self, message="", location=None, line=None):
        super().__init__(message)
        self.location = location
        self.line = line if line is not None else message


for _class in (Error, UsageError, ConversionError, CheckError, DecisionWarning):
    _class.__module__ = "s2t"
