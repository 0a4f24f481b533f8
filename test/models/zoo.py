#!/usr/bin/python3
"""s2t's model zoo: real torchvision and torchaudio models, converted and checked.

How to run it (always with /usr/bin/python3, the Python that has torch):

    lit build/test/models                        # the fast models (also part of `lit build/test`)
    lit --param zoo=full build/test/models       # the whole zoo, one model at a time
    bash test/run.sh --param zoo=full build/test/models
    /usr/bin/python3 test/models/zoo.py          # the whole zoo, without lit (docs/zoo.md)
    /usr/bin/python3 test/models/zoo.py fast     # the fast set; also: slow, or model names
    /usr/bin/python3 test/models/zoo.py --list   # the models, their group and notes
Options: -v (commands, s2t-opt's stderr and --stats), --workdir=DIR (keep the
archives and inputs), --no-trace, --timeout=SECONDS (per s2t-opt run).

The fast group (a few seconds each, in the default lit run): resnet18,
mobilenet_v3_small, shufflenet_v2_x0_5, squeezenet1_0, conformer, emformer,
tacotron2, conv_tasnet. Everything else needs --param zoo=full: the other
classification models convert as fast but run slowly in Python here (vit_b_16 takes
about 15 s per forward on this LibTorch, which has no MKL), and the detection
models are heavy. lit.local.cfg runs the zoo's tests one at a time; the wrappers
NAME.test must match MODELS below (lit-wrappers.test checks it).

For each model the script:
  1. builds it with weights=None and weights_backbone=None (nothing is ever
     downloaded: torch.hub's download functions are replaced by ones that raise),
     with small configurations and inputs, and scripts it (torch.jit.script);
  2. saves the scripted module and a sample input made from a fixed seed, and runs
     `s2t-opt model.pt --specialize-input=@inputs.pt -o flat.pt` (plus
     `--method=NAME` for a method other than forward, `--load=torchvision` /
     `--load=torchaudio` and `--seed=N` when this s2t-opt has those options);
  3. checks, in this process:
     - flat: no prim::If, prim::Loop, prim::CallMethod, prim::CallFunction anywhere
       in the converted method's graph;
     - sample: torch.equal on every leaf (nested lists, tuples, dicts) of what the
       *scripted* module returns on the sample, dtype and shape included;
     - others: three other inputs of the same shapes (the first one the sample plus
       a little noise, two fresh ones). Where the converted module disagrees with
       the scripted one, the script converts again on that input: if the graph is
       the same, the input took the sample's path and the disagreement is a failure;
       if the graph differs, the input took another path (reported, not a failure);
     - trace: torch.jit.trace of the eager model (where it traces) against the
       converted module on the sample and the other inputs. Reported, never a
       failure: tracing may pick another algorithm (torchvision's batched_nms) and
       bakes decisions the other inputs may not share;
     - nodes: the converted graph's node count and the eager trace's (inlined).
Random operators (tacotron2's prenet dropout stays on at inference) are run from
the same seed everywhere: the scripted module, the converted one and the trace.
Every model runs under torch.no_grad(), as inference does (nn.MultiheadAttention
picks its fast path only then).

It prints one line per model and exits non-zero if any model fails: does not
script (unless the failure is listed in KNOWN_SCRIPT_FAILURES for this torch's
major version: NOSCRIPT), does not convert, is not flat, differs on the sample,
or differs on another input that took the sample's path. A model that this
release of torchvision or torchaudio does not have (wavlm_base before torchaudio
2.0) is ABSENT, not a failure.

The same zoo runs on torch 1.13 (Debian 12, torchvision 0.14, torchaudio 0.13) and
on torch 2.6 (Debian 13, torchvision 0.21, torchaudio 2.6: bash
scripts/debian13-root.sh env S2T_OPT=build-debian13/bin/s2t-opt /usr/bin/python3
test/models/zoo.py). docs/zoo.md has the results and each model's times.
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "test", "lib"))

import torch  # noqa: E402
import unfused  # noqa: E402,F401  (the oracles run unfused kernels: test/lib/unfused.py)

from s2t_e2e import CONTROL_FLOW, assert_same  # noqa: E402

# LibTorch's default seed (c10::default_rng_seed_val): what a fresh s2t-opt process
# uses when it has no --seed option.
SEED = 67280421310721
TIME = "/usr/bin/time"  # GNU time, for the peak memory of each conversion


def no_downloads(*args, **kwargs):
    raise RuntimeError("the model zoo must not download anything (weights=None everywhere)")


torch.hub.load_state_dict_from_url = no_downloads
torch.hub.download_url_to_file = no_downloads


# --------------------------------------------------------------------------- models

class Model:
    """One zoo entry: how to build it, its inputs and how its outputs compare."""

    def __init__(self, name, build, sample, group, method="forward", libraries=(),
                 view=None, eager_view=None, describe=""):
        self.name = name
        self.build = build          # () -> eager module
        self.sample = sample        # (seed) -> tuple of arguments
        self.group = group          # "fast" or "slow"
        self.method = method
        self.libraries = libraries  # operator libraries the archive needs (--load)
        # What the trace's output is compared with: the converted module's output
        # through `view`; the traced function is the eager module's output through
        # `eager_view`.
        self.view = view or (lambda out: out)
        self.eager_view = eager_view or (lambda out: out)
        self.describe = describe

    def others(self, sample):
        """Three other inputs of the sample's shapes: the sample plus a little noise,
        then two fresh ones. Integer tensors (token ids, lengths) are fresh or kept
        as the model's sample function decides."""
        near = tuple(_perturb(a, 1) for a in sample)
        return [near, self.sample(2), self.sample(3)]


def _perturb(value, seed):
    if isinstance(value, torch.Tensor) and value.is_floating_point():
        g = torch.Generator().manual_seed(seed)
        return value + 1e-3 * torch.randn(value.shape, generator=g, dtype=value.dtype)
    if isinstance(value, list):
        return [_perturb(v, seed + i) for i, v in enumerate(value)]
    if isinstance(value, tuple):
        return tuple(_perturb(v, seed + i) for i, v in enumerate(value))
    return value


def _rand(seed, *shape):
    return torch.rand(*shape, generator=torch.Generator().manual_seed(seed))


def _randn(seed, *shape):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


class Absent(Exception):
    """The model does not exist in this release of torchvision or torchaudio: reported
    as ABSENT, not a failure."""


def _builder(library, module, name):
    """The builder `name` of library.module (e.g. torchvision.models.video), or Absent."""
    import importlib
    lib = importlib.import_module(library)
    try:
        fn = getattr(importlib.import_module(f"{library}.{module}"), name)
    except (ImportError, AttributeError):
        raise Absent(f"{library} {lib.__version__.split('+')[0]} has no {name}") from None
    return fn


def _tv(name, module="models", **kwargs):
    def build():
        return _builder("torchvision", module, name)(weights=None, **kwargs)
    return build


def _tv_detection(name, **kwargs):
    def build():
        return _builder("torchvision", "models.detection", name)(
            weights=None, weights_backbone=None, **kwargs)
    return build


def _tv_segmentation(name, **kwargs):
    def build():
        import torchvision
        return getattr(torchvision.models.segmentation, name)(
            weights=None, weights_backbone=None, **kwargs)
    return build


def _tv_overriding(module, name, inner, **overrides):
    """torchvision's builder `name` with `overrides` forced on the function `inner` of
    its module that it calls with keywords: mvit_v2_s and maxvit_t hard-code their
    input size (and maxvit_t its partition size), so giving them as keywords clashes."""
    def build():
        _builder("torchvision", module, name)
        import importlib
        mod = importlib.import_module(f"torchvision.{module}")
        original = getattr(mod, inner)

        def smaller(**kwargs):
            kwargs.update(overrides)
            return original(**kwargs)

        setattr(mod, inner, smaller)
        try:
            return getattr(mod, name)(weights=None)
        finally:
            setattr(mod, inner, original)
    return build


def _s3d_small():
    """s3d for 8 frames of 64x64: its final AvgPool3d((2, 7, 7), stride=1) wants 16
    frames of 224x224 (about 30 s a forward here); a (1, 2, 2) one takes the
    features of 8 frames of 64x64 (1x2x2) to 1x1x1 as it takes theirs."""
    model = _tv("s3d", "models.video")()
    model.avgpool = torch.nn.AvgPool3d(kernel_size=(1, 2, 2), stride=1)
    return model


def _image(*shape):
    return lambda seed: (_rand(seed, *shape),)


def _images(*shape):
    return lambda seed: ([_rand(seed, *shape)],)


class _Traced(torch.nn.Module):
    """What is traced: the eager model's method (forward or another), its output
    passed through `view` (a trace cannot return None, nor a list of dicts)."""

    def __init__(self, model, method, view):
        super().__init__()
        self.model = model
        self.method = method
        self.view = view

    def forward(self, *args):
        return self.view(getattr(self.model, self.method)(*args))


def _flat_detections(detections):
    """List[Dict[str, Tensor]] -> the tensors of every image's dict, in order."""
    return tuple(d[key] for d in detections for key in d)


def _wav2vec2():
    import torchaudio
    return torchaudio.models.wav2vec2_base()


def _conformer():
    import torchaudio
    return torchaudio.models.Conformer(input_dim=80, num_heads=4, ffn_dim=128, num_layers=2,
                                       depthwise_conv_kernel_size=31)


def _emformer():
    import torchaudio
    return torchaudio.models.Emformer(input_dim=64, num_heads=4, ffn_dim=128, num_layers=2,
                                      segment_length=4, left_context_length=8,
                                      right_context_length=2, max_memory_size=4)


def _tacotron2():
    import torchaudio
    return torchaudio.models.Tacotron2(
        n_mels=40, n_symbol=40, symbol_embedding_dim=64, encoder_embedding_dim=64,
        encoder_n_convolution=2, decoder_rnn_dim=64, decoder_max_step=30,
        attention_rnn_dim=64, attention_hidden_dim=32, attention_location_n_filter=8,
        attention_location_kernel_size=7, prenet_dim=32, postnet_n_convolution=2,
        postnet_embedding_dim=64)


def _conv_tasnet():
    import torchaudio
    return torchaudio.models.ConvTasNet(num_sources=2, enc_kernel_size=16, enc_num_feats=64,
                                        msk_kernel_size=3, msk_num_feats=32,
                                        msk_num_hidden_feats=64, msk_num_layers=3,
                                        msk_num_stacks=2)


def _ta(name, **kwargs):
    def build():
        return _builder("torchaudio", "models", name)(**kwargs)
    return build


def _emformer_rnnt():
    """A small Emformer RNN-T (torchaudio.models.emformer_rnnt_base is 20 layers of
    1024): transcriber with a time reduction of 4, LSTM predictor, joiner."""
    return _builder("torchaudio", "models", "emformer_rnnt_model")(
        input_dim=40, encoding_dim=64, num_symbols=20, segment_length=4,
        right_context_length=2, time_reduction_input_dim=32, time_reduction_stride=4,
        transformer_num_heads=4, transformer_ffn_dim=64, transformer_num_layers=2,
        transformer_dropout=0.0, transformer_activation="gelu",
        transformer_left_context_length=8, transformer_max_memory_size=0,
        transformer_weight_init_scale_strategy="depthwise", transformer_tanh_on_mem=True,
        symbol_embedding_dim=32, num_lstm_layers=2, lstm_layer_norm=True,
        lstm_layer_norm_epsilon=1e-3, lstm_dropout=0.0)


def _rnnt_inputs(seed):
    """sources (B, T, 40) with T / 4 = 4 segments of 4 + a right context of 2, their
    lengths, targets (B, U) and their lengths."""
    g = torch.Generator().manual_seed(seed)
    return (_randn(seed, 2, 72, 40), _lengths(seed, 64, 56, 44),
            torch.randint(0, 20, (2, 6), generator=g), torch.tensor([6, 4]))


def _rnnt_outputs(out):
    """RNNT.forward's output without its predictor state (List[List[Tensor]], which a
    trace cannot return)."""
    return out[:3]


def _two_images(*shape):
    return lambda seed: (_rand(seed, *shape), _rand(seed + 100, *shape))


def _tokens(seed):
    g = torch.Generator().manual_seed(seed)
    return (torch.randint(1, 40, (1, 12), generator=g), torch.tensor([12]))


def _lengths(seed, full, short, shorter):
    """Lengths of a batch of two: the same on the sample and other inputs #1, #2."""
    return torch.tensor([full, shorter if seed == 3 else short])


def _first(out):
    return out[0]


def _detections(out):
    """Scripted detection models return (losses, detections); eager ones detections."""
    return _flat_detections(out[1])


CLS = (1, 3, 224, 224)
IMG = (3, 240, 320)
DETECTION = dict(num_classes=3)
MODELS = [
    # torchvision classification
    Model("resnet18", _tv("resnet18"), _image(*CLS), "fast"),
    Model("mobilenet_v3_small", _tv("mobilenet_v3_small"), _image(*CLS), "fast"),
    Model("efficientnet_b0", _tv("efficientnet_b0"), _image(*CLS), "slow"),
    Model("vit_b_16", _tv("vit_b_16"), _image(*CLS), "slow"),
    Model("inception_v3", _tv("inception_v3", aux_logits=False, init_weights=False),
          _image(*CLS), "slow", view=_first, describe="scripted: InceptionOutputs"),
    Model("googlenet", _tv("googlenet", aux_logits=False, init_weights=False),
          _image(*CLS), "slow", view=_first, describe="scripted: GoogLeNetOutputs"),
    Model("shufflenet_v2_x0_5", _tv("shufflenet_v2_x0_5"), _image(*CLS), "fast"),
    Model("squeezenet1_0", _tv("squeezenet1_0"), _image(*CLS), "fast"),
    # torchvision detection and segmentation (images: List[Tensor])
    Model("fasterrcnn_mobilenet_v3_large_320_fpn",
          _tv_detection("fasterrcnn_mobilenet_v3_large_320_fpn", **DETECTION),
          _images(*IMG), "slow", libraries=("torchvision",), view=_detections,
          eager_view=_flat_detections),
    Model("retinanet_resnet50_fpn",
          _tv_detection("retinanet_resnet50_fpn", min_size=320, max_size=512, **DETECTION),
          _images(*IMG), "slow", libraries=("torchvision",), view=_detections,
          eager_view=_flat_detections),
    Model("ssdlite320_mobilenet_v3_large",
          _tv_detection("ssdlite320_mobilenet_v3_large", **DETECTION),
          _images(*IMG), "slow", libraries=("torchvision",), view=_detections,
          eager_view=_flat_detections),
    Model("maskrcnn_resnet50_fpn",
          _tv_detection("maskrcnn_resnet50_fpn", min_size=320, max_size=512,
                        rpn_pre_nms_top_n_test=300, rpn_post_nms_top_n_test=100,
                        box_detections_per_img=20, **DETECTION),
          _images(*IMG), "slow", libraries=("torchvision",), view=_detections,
          eager_view=_flat_detections),
    Model("deeplabv3_mobilenet_v3_large",
          _tv_segmentation("deeplabv3_mobilenet_v3_large", num_classes=3),
          _image(*CLS), "slow"),
    # torchaudio
    Model("wav2vec2_base", _wav2vec2, _image(1, 8000), "slow", view=_first,
          eager_view=_first, describe="returns (features, None)"),
    Model("conformer", _conformer,
          lambda seed: (_randn(seed, 2, 50, 80), _lengths(seed, 50, 45, 38)), "fast",
          describe="lengths differ on other input #3"),
    Model("emformer", _emformer,
          lambda seed: (_randn(seed, 2, 22, 64), _lengths(seed, 20, 17, 13)), "fast",
          describe="lengths differ on other input #3"),
    Model("tacotron2", _tacotron2, _tokens, "fast", method="infer",
          describe="infer: data-dependent while loop, prenet dropout on"),
    Model("conv_tasnet", _conv_tasnet, _image(1, 1, 4000), "fast"),
    # Added by torchvision 0.14 to 0.21 and torchaudio 0.13 to 2.6 (issue 14):
    # ABSENT where the release has no such model.
    Model("maxvit_t", _tv_overriding("models.maxvit", "maxvit_t", "_maxvit",
                                     input_size=(128, 128), partition_size=4),
          _image(1, 3, 128, 128), "slow",
          describe="128x128 in partitions of 4 (224x224 in 7: 11 s a forward)"),
    Model("swin_v2_t", _tv("swin_v2_t"), _image(1, 3, 112, 112), "slow"),
    Model("efficientnet_v2_s", _tv("efficientnet_v2_s"), _image(1, 3, 128, 128), "slow"),
    Model("regnet_x_400mf", _tv("regnet_x_400mf"), _image(1, 3, 128, 128), "slow"),
    Model("mvit_v2_s", _tv_overriding("models.video.mvit", "mvit_v2_s", "_mvit",
                                      spatial_size=(64, 64), temporal_size=4),
          _image(1, 3, 4, 64, 64), "slow", describe="video, 4 frames of 64x64"),
    Model("s3d", _s3d_small, _image(1, 3, 8, 64, 64), "slow",
          describe="video, 8 frames of 64x64, its final AvgPool3d 1x2x2 (not 2x7x7)"),
    Model("r3d_18", _tv("r3d_18", "models.video"), _image(1, 3, 4, 64, 64), "slow",
          describe="video, 4 frames of 64x64"),
    Model("raft_small", _tv("raft_small", "models.optical_flow"),
          _two_images(1, 3, 128, 128), "slow",
          describe="two images of 128x128 (its smallest correlation level needs 2x2), "
          "12 flow updates (a loop); returns List[Tensor]"),
    Model("retinanet_resnet50_fpn_v2",
          _tv_detection("retinanet_resnet50_fpn_v2", min_size=192, max_size=256,
                        **DETECTION),
          _images(*IMG), "slow", libraries=("torchvision",), view=_detections,
          eager_view=_flat_detections),
    Model("fcos_resnet50_fpn",
          _tv_detection("fcos_resnet50_fpn", min_size=192, max_size=256, **DETECTION),
          _images(*IMG), "slow", libraries=("torchvision",), view=_detections,
          eager_view=_flat_detections),
    Model("keypointrcnn_resnet50_fpn",
          _tv_detection("keypointrcnn_resnet50_fpn", min_size=192, max_size=256,
                        rpn_pre_nms_top_n_test=300, rpn_post_nms_top_n_test=100,
                        box_detections_per_img=20),
          _images(*IMG), "slow", libraries=("torchvision",), view=_detections,
          eager_view=_flat_detections),
    Model("hubert_base", _ta("hubert_base"), _image(1, 8000), "slow", view=_first,
          eager_view=_first, describe="returns (features, None)"),
    Model("wavlm_base", _ta("wavlm_base"), _image(1, 8000), "slow", view=_first,
          eager_view=_first, describe="returns (features, None)"),
    Model("emformer_rnnt", _emformer_rnnt, _rnnt_inputs, "slow", view=_rnnt_outputs,
          eager_view=_rnnt_outputs,
          describe="emformer_rnnt_model, small: transcriber, predictor, joiner; "
          "lengths differ on other input #3"),
]
BY_NAME = {m.name: m for m in MODELS}

# Models that a release of torch cannot script, keyed by (name, torch's major version),
# with a piece of the error they give: they are reported as NOSCRIPT and do not fail
# the run while the error is this one.
KNOWN_SCRIPT_FAILURES = {}
TORCH_MAJOR = int(torch.__version__.split(".")[0])


# --------------------------------------------------------------------------- helpers

def first_line(text):
    for line in str(text).splitlines():
        if line.strip():
            return line.strip()
    return ""


def short(exc):
    return f"{type(exc).__name__}: {first_line(exc)}"


def walk(block):
    for node in block.nodes():
        yield node
        for sub in node.blocks():
            yield from walk(sub)


def count_nodes(graph):
    return sum(1 for _ in walk(graph))


def inlined_count(graph):
    graph = graph.copy()
    torch._C._jit_pass_inline(graph)
    return count_nodes(graph)


def seeded(fn, *args):
    """Runs fn from the same seed every time, without autograd and quietly (scripted
    googlenet and inception warn on every call)."""
    torch.manual_seed(SEED)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args)


def s2t_options(s2t_opt):
    help_text = subprocess.run([s2t_opt, "--help"], capture_output=True, text=True).stdout
    return {opt for opt in ("--load", "--seed", "--method", "--stats")
            if opt in help_text}


def run_limited(cmd, timeout):
    """Runs cmd; returns (exit code or -signal, stdout, stderr, seconds, peak RSS in MB
    or None). The exit code is None on timeout. The peak comes from GNU time (a child's
    own ru_maxrss would count this big Python process, which it is forked from)."""
    with tempfile.TemporaryDirectory() as tmp:
        rss_file = os.path.join(tmp, "rss")
        full = cmd
        if os.access(TIME, os.X_OK):
            full = [TIME, "-f", "%M", "-o", rss_file] + cmd
        start = time.monotonic()
        proc = subprocess.Popen(full, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, errors="replace", start_new_session=True)
        try:
            out, err = proc.communicate(timeout=timeout)
            code = proc.returncode
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # GNU time and s2t-opt under it
            out, err = proc.communicate()
            code = None
        seconds = time.monotonic() - start
        peak = None
        if os.path.exists(rss_file):
            for line in open(rss_file):
                words = line.split()
                if "terminated by signal" in line and code is not None:
                    code = -int(words[-1])
                elif len(words) == 1 and words[0].isdigit():
                    peak = int(words[0]) / 1024
        return code, out, err, seconds, peak


def megabytes(peak):
    return "?MB" if peak is None else f"{peak:.0f}MB"


class Converter:
    def __init__(self, s2t_opt, timeout, verbose):
        self.s2t_opt = s2t_opt
        self.timeout = timeout
        self.verbose = verbose
        self.options = s2t_options(s2t_opt)

    def command(self, model, archive, inputs, output):
        cmd = [self.s2t_opt, archive, "--specialize-input=@" + inputs, "-o", output]
        if model.method != "forward":
            cmd.append("--method=" + model.method)
        if "--load" in self.options:
            cmd += ["--load=" + lib for lib in model.libraries]
        if "--seed" in self.options:
            cmd.append(f"--seed={SEED}")
        if "--stats" in self.options:
            cmd.append("--stats")
        return cmd

    def convert(self, model, archive, sample, workdir, tag):
        """Returns (loaded module or None, error line, seconds, peak MB, stats line)."""
        inputs = os.path.join(workdir, f"inputs.{tag}.pt")
        output = os.path.join(workdir, f"flat.{tag}.pt")
        torch.save(tuple(sample), inputs)
        cmd = self.command(model, archive, inputs, output)
        if self.verbose:
            print("  $ " + " ".join(cmd), flush=True)
        code, _, err, seconds, peak = run_limited(cmd, self.timeout)
        stats = ""
        errors = []
        for line in err.splitlines():
            if line.startswith("s2t-opt: ") and " decisions (" in line:
                stats = line[len("s2t-opt: "):]
            elif line.strip():
                errors.append(line.strip())
        if self.verbose and err.strip():
            print("  " + err.strip().replace("\n", "\n  "), flush=True)
        if code is None:
            return None, f"timed out after {self.timeout}s", seconds, peak, stats
        if code != 0:
            why = next((l for l in errors if l.startswith("s2t-opt: error")), None)
            if code < 0:
                why = f"crashed with {signal.Signals(-code).name}" + (
                    f"; last stderr line: {errors[-1]}" if errors else "")
            elif why is None:
                why = errors[-1] if errors else "(no message)"
            return None, f"exit {code}: {why}", seconds, peak, stats
        try:
            module = torch.jit.load(output)
        except Exception as e:  # the converted archive must load
            return None, f"converted archive does not load: {short(e)}", seconds, peak, stats
        return module, None, seconds, peak, stats


# --------------------------------------------------------------------------- checks

class Result:
    def __init__(self, name):
        self.name = name
        self.parts = []
        self.failed = False
        self.status = None
        self.details = []

    def add(self, text, failed=False):
        self.parts.append(text)
        self.failed = self.failed or failed

    def line(self, seconds):
        status = self.status or ("FAIL" if self.failed else "PASS")
        return f"{status} {self.name}: " + " | ".join(self.parts + [f"total {seconds:.1f}s"])


def check_model(model, converter, workdir, keep_trace=True):
    result = Result(model.name)
    method = model.method

    # Build and script.
    try:
        torch.manual_seed(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            eager = model.build().eval()
    except Absent as e:
        result.status = "ABSENT"
        result.add(str(e))
        return result
    except Exception as e:
        result.add(f"build FAILED: {short(e)}", failed=True)
        return result
    start = time.monotonic()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scripted = torch.jit.script(eager)
    except Exception as e:
        known = KNOWN_SCRIPT_FAILURES.get((model.name, TORCH_MAJOR))
        message = short(e)
        if known and known in message:
            result.status = "NOSCRIPT"
            result.add(f"does not script (known): {message}")
        else:
            result.add(f"script FAILED: {message}", failed=True)
        result.details.append(traceback.format_exc())
        return result
    result.add(f"scripts {time.monotonic() - start:.1f}s")
    archive = os.path.join(workdir, "model.pt")
    scripted.save(archive)
    scripted_fn = getattr(scripted, method)

    sample = model.sample(1)
    others = model.others(sample)

    # Convert on the sample.
    flat, error, seconds, peak, stats = converter.convert(model, archive, sample, workdir, "sample")
    if flat is None:
        result.add(f"convert FAILED ({seconds:.1f}s, {megabytes(peak)}): {error}", failed=True)
        return result
    kernels = next((w.split()[0] for w in stats.split(", ") if w.endswith(" kernels run")), None)
    result.add(f"converts {seconds:.1f}s {megabytes(peak)}"
               + (f" {kernels} kernels run" if kernels is not None else ""))
    if stats:
        result.details.append(stats)
    flat_fn = getattr(flat, method)
    flat_graph = flat_fn.graph

    # Flat.
    left = {}
    for node in walk(flat_graph):
        if node.kind() in CONTROL_FLOW:
            left[node.kind()] = left.get(node.kind(), 0) + 1
    if left:
        result.add("NOT flat: " + ", ".join(f"{n} {k}" for k, n in sorted(left.items())),
                   failed=True)
    else:
        result.add("flat")
    # Parameters and buffers should stay attributes (prim::GetAttr), as in a trace:
    # report tensor constants that hold a copy of one (not a failure).
    constants = [n.output().toIValue() for n in walk(flat_graph) if n.kind() == "prim::Constant"
                 and n.output().type().kind() == "TensorType"]
    if constants:
        state = list(scripted.parameters()) + list(scripted.buffers())
        copies = sum(1 for c in constants if c is not None and any(
            p.shape == c.shape and p.dtype == c.dtype and torch.equal(p.detach(), c)
            for p in state))
        result.add(f"{len(constants)} tensor constants ({copies} copy a parameter/buffer)")

    # Sample-exact.
    expected = actual = None
    try:
        t0 = time.monotonic()
        expected = seeded(scripted_fn, *sample)
        t_scripted = time.monotonic() - t0
        t0 = time.monotonic()
        actual = seeded(flat_fn, *sample)
        t_flat = time.monotonic() - t0
        assert_same(actual, expected, "sample")
        result.add(f"sample identical (run {t_scripted * 1e3:.0f}ms scripted, "
                   f"{t_flat * 1e3:.0f}ms flat)")
    except Exception as e:
        result.add(f"sample DIFFERS: {short(e)}", failed=True)

    # Other inputs.
    flat_text = str(flat_graph)
    agree, other_path, bad = 0, 0, []
    flat_outputs = []
    for i, other in enumerate(others, 1):
        try:
            want = seeded(scripted_fn, *other)
        except Exception as e:
            bad.append(f"#{i}: scripted module raises {short(e)}")
            flat_outputs.append(None)
            continue
        try:
            got = seeded(flat_fn, *other)
        except Exception as e:
            got, why = None, f"converted module raises {short(e)}"
        flat_outputs.append(got)
        if got is not None:
            try:
                assert_same(got, want, f"input #{i}")
                agree += 1
                continue
            except AssertionError as e:
                why = first_line(e)
        # They disagree: did this input take the sample's path?
        again, error, _, _, _ = converter.convert(model, archive, other, workdir, f"other{i}")
        if again is None:
            bad.append(f"#{i}: {why}; converting on it FAILED: {error}")
        elif str(getattr(again, method).graph) == flat_text:
            bad.append(f"#{i} (same path): {why}")
        else:
            other_path += 1
            result.details.append(f"other input #{i} takes another path: {why}")
    text = f"others {agree}/{len(others)} agree"
    if other_path:
        text += f", {other_path} other path"
    if bad:
        text += " FAILED: " + "; ".join(bad)
    result.add(text, failed=bool(bad))

    # Trace of the eager model.
    if not keep_trace:
        return result
    try:
        target = _Traced(eager, method, model.eager_view)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.manual_seed(SEED)
            with torch.no_grad():
                traced = torch.jit.trace(target, tuple(sample), check_trace=False,
                                         strict=False)
        traced_fn = traced.forward
    except Exception as e:
        result.add(f"trace: not traceable ({short(e)})")
        result.add(f"nodes {count_nodes(flat_graph)} (no trace)")
        return result
    notes, trace_agree = [], 0
    inputs = [("sample", sample, actual)] + [
        (f"#{i}", other, out) for i, (other, out) in enumerate(zip(others, flat_outputs), 1)]
    for label, args, got in inputs:
        if got is None:
            notes.append(f"{label}: no converted output")
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                assert_same(model.view(got), seeded(traced_fn, *args), label)
            trace_agree += 1
        except Exception as e:
            notes.append(first_line(e) if isinstance(e, AssertionError) else
                         f"{label}: {short(e)}")
    text = f"trace {trace_agree}/{len(inputs)} agree"
    if notes:
        text += " (differs: " + "; ".join(notes) + ")"
    if expected is not None and len(notes) and notes[0].startswith("sample"):
        try:
            assert_same(model.view(expected), seeded(traced_fn, *sample), "sample")
        except Exception:
            text += " [the trace differs from the scripted module on the sample too]"
    result.add(text)
    flat_nodes, trace_nodes = count_nodes(flat_graph), inlined_count(traced_fn.graph)
    more = " MORE than the trace" if flat_nodes > trace_nodes else ""
    result.add(f"nodes {flat_nodes} vs trace {trace_nodes}{more}")
    return result


# --------------------------------------------------------------------------- main

def check_tests():
    """The lit wrappers (NAME.test) must match MODELS and their groups."""
    problems = []
    tests = {f[:-len(".test")] for f in os.listdir(HERE) if f.endswith(".test")}
    for m in MODELS:
        if m.name not in tests:
            problems.append(f"{m.name}: no {m.name}.test")
            continue
        text = open(os.path.join(HERE, m.name + ".test")).read()
        if ("REQUIRES: zoo-full" in text) != (m.group == "slow"):
            problems.append(f"{m.name}.test: the model is {m.group}, so it should "
                            f"{'' if m.group == 'slow' else 'not '}say REQUIRES: zoo-full")
        if f"zoo.py -v --workdir=%t {m.name}\n" not in text:
            problems.append(f"{m.name}.test: does not run zoo.py on {m.name}")
    for name in sorted(tests - set(BY_NAME) - {"lit-wrappers"}):
        problems.append(f"{name}.test: not a model of the zoo")
    for problem in problems:
        print(problem)
    print(f"{len(MODELS)} models, {len(problems)} problems")
    return 1 if problems else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="*", default=["all"],
                        help="model names, or all / fast / slow (default: all)")
    parser.add_argument("--s2t-opt", default=os.environ.get(
        "S2T_OPT", os.path.join(REPO, "build", "bin", "s2t-opt")))
    parser.add_argument("--workdir", help="keep the archives here (default: a temporary "
                        "folder, removed at the end)")
    parser.add_argument("--timeout", type=float, default=1800,
                        help="seconds per s2t-opt run (default 1800)")
    parser.add_argument("--no-trace", action="store_true", help="skip the eager trace")
    parser.add_argument("--list", action="store_true", help="list the models and exit")
    parser.add_argument("--check-tests", action="store_true",
                        help="check that each model has a lit test here, gated by "
                        "REQUIRES: zoo-full exactly when it is slow, and exit")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="print commands, s2t-opt's stderr and details")
    args = parser.parse_args()

    if args.list:
        for m in MODELS:
            print(f"{m.name:40} {m.group:5} {m.method:8} {m.describe}")
        return 0
    if args.check_tests:
        return check_tests()
    chosen = []
    for name in args.models:
        if name == "all":
            chosen += MODELS
        elif name in ("fast", "slow"):
            chosen += [m for m in MODELS if m.group == name]
        elif name in BY_NAME:
            chosen.append(BY_NAME[name])
        else:
            parser.error(f"unknown model '{name}' (see --list)")

    converter = Converter(args.s2t_opt, args.timeout, args.verbose)
    missing = [o for o in ("--load", "--seed") if o not in converter.options]
    if missing:
        print(f"note: {args.s2t_opt} has no {' / '.join(missing)} option", flush=True)

    root = args.workdir or tempfile.mkdtemp(prefix="s2t-zoo-")
    failed = 0
    try:
        for model in chosen:
            workdir = os.path.join(root, model.name)
            shutil.rmtree(workdir, ignore_errors=True)
            os.makedirs(workdir)
            start = time.monotonic()
            try:
                result = check_model(model, converter, workdir, keep_trace=not args.no_trace)
            except Exception as e:  # a bug in the zoo itself: still report every model
                result = Result(model.name)
                result.add(f"zoo ERROR: {short(e)}", failed=True)
                result.details.append(traceback.format_exc())
            print(result.line(time.monotonic() - start), flush=True)
            if args.verbose:
                for detail in result.details:
                    print("  " + detail.rstrip().replace("\n", "\n  "), flush=True)
            failed += result.failed
            if not args.workdir:
                shutil.rmtree(workdir, ignore_errors=True)
    finally:
        if not args.workdir:
            shutil.rmtree(root, ignore_errors=True)
    print(f"{len(chosen) - failed} of {len(chosen)} models passed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
