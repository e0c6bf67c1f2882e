# The Distill Lab model zoo in PyTorch, as a benchmark reference only (never a product
# dependency): the presets of engine/src/models/presets.rs with the layer structure of mlp.rs,
# cnn.rs and resnet.rs, so `distill bench` and bench.py time the same networks.
#
# `python3 models.py` asserts every preset's trainable parameter count against a table derived
# by hand from the Rust code, and prints it.

import math
from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class InputShape:
    channels: int = 1
    height: int = 28
    width: int = 28
    classes: int = 10


FASHION_MNIST = InputShape()

# Same names, families and sizes as presets.rs, in its order (smallest family first).
PRESETS = {
    "mlp-xs": {"kind": "mlp", "hidden": [32]},
    "mlp-s": {"kind": "mlp", "hidden": [128]},
    "mlp-m": {"kind": "mlp", "hidden": [512, 256]},
    "cnn-xs": {"kind": "cnn", "channels": [8, 16], "fc": 32},
    "cnn-s": {"kind": "cnn", "channels": [16, 32], "fc": 64},
    "cnn-m": {"kind": "cnn", "channels": [32, 64], "fc": 128},
    "cnn-l": {"kind": "cnn", "channels": [32, 64, 128, 128], "fc": 256},
    "resnet8": {"kind": "resnet", "depth": 8, "width": 1.0},
    "resnet14": {"kind": "resnet", "depth": 14, "width": 1.0},
    "resnet20": {"kind": "resnet", "depth": 20, "width": 1.0},
    "resnet32": {"kind": "resnet", "depth": 32, "width": 1.0},
    "resnet56": {"kind": "resnet", "depth": 56, "width": 1.0},
    "resnet8x4": {"kind": "resnet", "depth": 8, "width": 4.0},
}

# Why PyTorch's defaults are kept for initialisation: burn's Linear and Conv2d default to
# KaimingUniform with gain 1/√3 on fan-in, i.e. U(±1/√fan_in) for weights and biases, which is
# exactly PyTorch's default; batch norm starts at γ = 1, β = 0 in both. The draws themselves
# differ (different generators), so runs match in distribution, not bit for bit.
# Batch norm: burn's defaults are ε = 1e-5 and momentum 0.1 (running = 0.9·running + 0.1·batch),
# PyTorch's too. burn feeds the *biased* batch variance to the running variance where PyTorch
# feeds the unbiased one; the factor n/(n−1) is at most 1.0012 here (n = batch·H·W ≥ 864), so
# nn.BatchNorm2d is kept rather than a hand-written layer that would slow the benchmark.


class Mlp(nn.Module):
    """`Linear → ReLU` per hidden layer on the flattened image, then a linear classifier."""

    def __init__(self, hidden, input=FASHION_MNIST):
        super().__init__()
        width = input.channels * input.height * input.width
        layers = []
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        self.hidden = nn.Sequential(*layers)
        self.output = nn.Linear(width, input.classes)

    def forward(self, x):
        return self.output(self.hidden(torch.flatten(x, 1)))


def cnn_stage_sizes(channels, input=FASHION_MNIST):
    """(channels, height, width) after each conv layer: cnn.rs pools a layer 2×2 only while the
    halved image stays at least 3 pixels on each side, checked before the layer."""
    h, w = input.height, input.width
    out = []
    for c in channels:
        if h // 2 >= 3 and w // 2 >= 3:
            h, w = h // 2, w // 2
        out.append((c, h, w))
    return out


class Cnn(nn.Module):
    """TAKD "plane-N": per layer `conv3×3 (pad 1, no bias) → BN → ReLU (→ max pool 2×2/2)`,
    then `fc → ReLU → fc`. The pool comes after the ReLU, as in cnn.rs."""

    def __init__(self, channels, fc, input=FASHION_MNIST):
        super().__init__()
        layers = []
        prev = (input.channels, input.height, input.width)
        for shape in cnn_stage_sizes(channels, input):
            layers += [
                nn.Conv2d(prev[0], shape[0], 3, stride=1, padding=1, bias=False),
                nn.BatchNorm2d(shape[0], eps=1e-5, momentum=0.1),
                nn.ReLU(),
            ]
            if shape[1] != prev[1]:
                # burn's MaxPool2d without padding floors odd sizes (7 → 3), as PyTorch does.
                layers.append(nn.MaxPool2d(2, stride=2))
            prev = shape
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(prev[0] * prev[1] * prev[2], fc)
        self.output = nn.Linear(fc, input.classes)

    def forward(self, x):
        x = torch.flatten(self.layers(x), 1)
        return self.output(torch.relu(self.fc(x)))


class BasicBlock(nn.Module):
    """`conv3×3 → BN → ReLU → conv3×3 → BN`, plus the shortcut (a 1×1 conv + BN projection when
    the stride or width changes), then ReLU. No conv has a bias (resnet.rs)."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.norm1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, stride=1, padding=1, bias=False)
        self.norm2 = nn.BatchNorm2d(cout)
        self.projection = None
        if stride != 1 or cin != cout:
            # layers.rs pads kernel/2 = 0 for a 1×1 kernel.
            self.projection = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride=stride, padding=0, bias=False),
                nn.BatchNorm2d(cout),
            )

    def forward(self, x):
        out = torch.relu(self.norm1(self.conv1(x)))
        out = self.norm2(self.conv2(out))
        shortcut = x if self.projection is None else self.projection(x)
        return torch.relu(out + shortcut)


def resnet_stage_channels(width):
    # resnet.rs: round(c·width), at least 1.
    return [max(1, int(math.floor(c * width + 0.5))) for c in (16, 32, 64)]


class Resnet(nn.Module):
    """CIFAR ResNet (He et al. §4.2): 3×3 stem + BN + ReLU, three stages of n = (depth − 2)/6
    basic blocks at 16w, 32w, 64w channels (the first block of stages 2 and 3 at stride 2),
    global average pooling, linear classifier."""

    def __init__(self, depth, width=1.0, input=FASHION_MNIST):
        super().__init__()
        blocks = max(1, max(0, depth - 2) // 6)
        channels = resnet_stage_channels(width)
        self.stem = nn.Conv2d(input.channels, channels[0], 3, stride=1, padding=1, bias=False)
        self.stem_norm = nn.BatchNorm2d(channels[0])
        stages = []
        current = channels[0]
        for i, out in enumerate(channels):
            stage = []
            for b in range(blocks):
                stage.append(BasicBlock(current, out, 2 if i > 0 and b == 0 else 1))
                current = out
            stages.append(nn.Sequential(*stage))
        self.stages = nn.Sequential(*stages)
        self.output = nn.Linear(channels[2], input.classes)

    def forward(self, x):
        x = self.stages(torch.relu(self.stem_norm(self.stem(x))))
        return self.output(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


def resolve(arch):
    """A spec architecture ({"kind": "preset", "name": ...} or explicit sizes) as explicit sizes."""
    if arch.get("kind") == "preset":
        if arch["name"] not in PRESETS:
            raise ValueError(f"unknown preset `{arch['name']}`; known presets: {', '.join(PRESETS)}")
        return PRESETS[arch["name"]]
    return arch


def build(arch, input=FASHION_MNIST):
    """The module of a preset name or a spec architecture."""
    spec = resolve({"kind": "preset", "name": arch} if isinstance(arch, str) else arch)
    kind = spec["kind"]
    if kind == "mlp":
        return Mlp(spec["hidden"], input)
    if kind == "cnn":
        return Cnn(spec["channels"], spec["fc"], input)
    if kind == "resnet":
        return Resnet(spec["depth"], spec.get("width", 1.0), input)
    raise ValueError(f"unknown architecture kind `{kind}`")


def trainable_params(model):
    """Parameters as Net::trainable_params counts them: batch-norm running statistics (buffers
    in PyTorch) excluded."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


# Trainable parameters on Fashion-MNIST (1×28×28, 10 classes), derived by hand from the Rust
# code, term by term, independently of the builders above.
def _linear(i, o):
    return i * o + o


def _conv(i, o, k):  # no conv of the zoo has a bias
    return i * o * k * k


def _bn(c):  # γ and β
    return 2 * c


def _block(i, o, stride):
    proj = _conv(i, o, 1) + _bn(o) if stride != 1 or i != o else 0
    return _conv(i, o, 3) + _bn(o) + _conv(o, o, 3) + _bn(o) + proj


def _resnet(n, c=(16, 32, 64)):
    stem = _conv(1, c[0], 3) + _bn(c[0])
    s1 = n * _block(c[0], c[0], 1)
    s2 = _block(c[0], c[1], 2) + (n - 1) * _block(c[1], c[1], 1)
    s3 = _block(c[1], c[2], 2) + (n - 1) * _block(c[2], c[2], 1)
    return stem + s1 + s2 + s3 + _linear(c[2], 10)


EXPECTED_PARAMS = {
    "mlp-xs": _linear(784, 32) + _linear(32, 10),  # 25,450
    "mlp-s": _linear(784, 128) + _linear(128, 10),  # 101,770
    "mlp-m": _linear(784, 512) + _linear(512, 256) + _linear(256, 10),  # 535,818
    # 28 → 14 → 7: flat 16·7·7 = 784
    "cnn-xs": _conv(1, 8, 3) + _bn(8) + _conv(8, 16, 3) + _bn(16)
    + _linear(16 * 7 * 7, 32) + _linear(32, 10),  # 26,722
    "cnn-s": _conv(1, 16, 3) + _bn(16) + _conv(16, 32, 3) + _bn(32)
    + _linear(32 * 7 * 7, 64) + _linear(64, 10),  # 105,914
    # net.rs's own hand count, and tests/tests/it/openapi.rs: 421,738
    "cnn-m": _conv(1, 32, 3) + _bn(32) + _conv(32, 64, 3) + _bn(64)
    + _linear(64 * 7 * 7, 128) + _linear(128, 10),
    # 28 → 14 → 7 → 3 → 3 (the fourth layer does not pool: 3/2 < 3): flat 128·3·3 = 1152
    "cnn-l": _conv(1, 32, 3) + _bn(32) + _conv(32, 64, 3) + _bn(64) + _conv(64, 128, 3)
    + _bn(128) + _conv(128, 128, 3) + _bn(128)
    + _linear(128 * 3 * 3, 256) + _linear(256, 10),  # 538,346
    "resnet8": _resnet(1),  # 77,754
    "resnet14": _resnet(2),  # 174,970
    "resnet20": _resnet(3),  # 272,186
    "resnet32": _resnet(5),  # 466,618
    "resnet56": _resnet(9),  # 855,482
    "resnet8x4": _resnet(1, (64, 128, 256)),  # 1,226,442
}


def check_parameter_counts(verbose=True):
    """Builds every preset and asserts its count equals EXPECTED_PARAMS; returns the counts."""
    assert set(EXPECTED_PARAMS) == set(PRESETS), "the hand-derived table must cover every preset"
    counts = {}
    for name in PRESETS:
        model = build(name)
        counts[name] = trainable_params(model)
        assert counts[name] == EXPECTED_PARAMS[name], (
            f"{name}: torch has {counts[name]} trainable parameters, the Rust code {EXPECTED_PARAMS[name]}"
        )
        # The whole network must accept a Fashion-MNIST batch and give 10 logits.
        with torch.no_grad():
            out = model.eval()(torch.zeros(2, 1, 28, 28))
        assert tuple(out.shape) == (2, 10), f"{name}: output shape {tuple(out.shape)}"
    if verbose:
        print(f"{'preset':<10} {'params':>10}  (torch == hand count from the Rust code)")
        for name, n in counts.items():
            print(f"{name:<10} {n:>10,}")
    return counts


if __name__ == "__main__":
    check_parameter_counts()
