"""What bench/run.py measures: the models (the zoo's classifiers, resnet50,
mobilenet_v3_large and one detection model) and the counted loop.

The classifiers other than resnet50 and mobilenet_v3_large are test/models/zoo.py's own
entries (same builder, configuration and sample: weights=None, nothing downloaded).
"""
import os
import sys

from common import CLASSIFICATION, DETECTION, REPO

sys.path.insert(0, os.path.join(REPO, "test", "lib"))
sys.path.insert(0, os.path.join(REPO, "test", "models"))

import torch  # noqa: E402

# zoo.py imports test/lib/unfused.py, which turns TorchScript's CPU fusion off for its
# oracles; the benchmark measures torch as it comes, so the setting is put back.
_CAN_FUSE = torch._C._jit_can_fuse_on_cpu()
import zoo  # noqa: E402

torch._C._jit_override_can_fuse_on_cpu(_CAN_FUSE)

Absent = zoo.Absent  # a model that this torchvision does not have


def no_downloads(*args, **kwargs):
    raise RuntimeError("the benchmark must not download anything (weights=None everywhere)")


torch.hub.load_state_dict_from_url = no_downloads
torch.hub.download_url_to_file = no_downloads


class Model:
    def __init__(self, name, kind, build, sample, libraries=(), note=""):
        self.name = name
        self.kind = kind
        self.build = build          # () -> eager module
        self.sample = sample        # () -> tuple of arguments
        self.libraries = libraries  # s2t-opt --load / bench-load-save --load
        self.note = note            # the input, when it is not 1x3x224x224


def _rand(*shape):
    return torch.rand(*shape, generator=torch.Generator().manual_seed(1))


def shapes(sample):
    """'1x3x224x224', '[3x240x320]': the sample's tensor shapes."""
    def one(value):
        if isinstance(value, torch.Tensor):
            return "x".join(map(str, value.shape))
        if isinstance(value, (list, tuple)):
            inner = ", ".join(one(v) for v in value)
            return f"[{inner}]" if isinstance(value, list) else inner
        return repr(value)
    return ", ".join(one(v) for v in sample)


def _classifier(name):
    def build():
        import torchvision
        return getattr(torchvision.models, name)(weights=None)
    return Model(name, CLASSIFICATION, build, lambda: (_rand(1, 3, 224, 224),))


def _from_zoo(name):
    entry = zoo.BY_NAME[name]
    return Model(name, CLASSIFICATION, entry.build, lambda: entry.sample(1), entry.libraries,
                 entry.describe)


def _detector(name):
    def build():
        import torchvision
        return getattr(torchvision.models.detection, name)(weights=None,
                                                           weights_backbone=None)
    return Model(name, DETECTION, build, lambda: ([_rand(3, 240, 320)],),
                 libraries=("torchvision",))


# The zoo's classification models: torchvision's image classifiers and its video
# classifiers (torchvision.models.video), in the zoo's order.
ZOO_CLASSIFIERS = [
    "resnet18", "mobilenet_v3_small", "efficientnet_b0", "vit_b_16", "inception_v3",
    "googlenet", "shufflenet_v2_x0_5", "squeezenet1_0", "maxvit_t", "swin_v2_t",
    "efficientnet_v2_s", "regnet_x_400mf", "mvit_v2_s", "s3d", "r3d_18",
]
# The ones the issue names come first.
FIRST = ["resnet50", "mobilenet_v3_large", "efficientnet_b0"]
MODELS = ([_classifier("resnet50"), _classifier("mobilenet_v3_large")]
          + [_from_zoo(name) for name in FIRST[2:]]
          + [_from_zoo(name) for name in ZOO_CLASSIFIERS if name not in FIRST]
          + [_detector("fasterrcnn_mobilenet_v3_large_320_fpn")])
BY_NAME = {m.name: m for m in MODELS}
LOOPS = [1000, 10000, 100000]
QUICK_MODELS = ["mobilenet_v3_large"]


class EagerLoop(torch.nn.Module):
    """What is traced: the loop with its count fixed."""

    def __init__(self, n):
        super().__init__()
        self.n = n

    def forward(self, x):
        for _ in range(self.n):
            x = x + 1
        return x


class ScriptedLoop(torch.nn.Module):
    """What s2t-opt converts: the count is an argument, given by --specialize-input=n=N."""

    def forward(self, x, n: int):
        for _ in range(n):
            x = x + 1
        return x


class Traced(torch.nn.Module):
    """A detection model's output (List[Dict[str, Tensor]]) as a tuple, so that it traces."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, images):
        return tuple(d[k] for d in self.model(images) for k in d)
