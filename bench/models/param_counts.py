"""Parameter counts of the reference definitions of the lab's ResNet, WRN and VGG presets.

Reference only (never a dependency of the product or its tests): run with PyTorch installed,

    python bench/models/param_counts.py

It prints, for 10 and 100 classes on 32x32x3 images, the parameters PyTorch counts
(`sum(p.numel() for p in model.parameters())`: batch-norm running statistics excluded) of
mdistiller's CIFAR ResNets, Wide ResNets and VGGs (`mdistiller/models/cifar/resnet.py`, `wrn.py`,
`vgg.py`, `mobilenetv2.py`, `ShuffleNetv2.py`) and torchvision's resnet18 and resnet34 (torchvision itself), as
`reference_weights.py` beside this file writes them again with their module names (the same
definitions whose weights the import tests load). `engine/src/models/presets.rs`'s test holds
the same table.
"""

from reference_weights import (VGG, MobileNetV2, ResNet, ShuffleNetV2, WideResNet,
                               torchvision_resnet)

RESNETS = {
    "resnet8": (8, [16, 16, 32, 64]),
    "resnet14": (14, [16, 16, 32, 64]),
    "resnet20": (20, [16, 16, 32, 64]),
    "resnet32": (32, [16, 16, 32, 64]),
    "resnet56": (56, [16, 16, 32, 64]),
    "resnet8x4": (8, [32, 64, 128, 256]),
    "resnet32x4": (32, [32, 64, 128, 256]),
}

WIDE_RESNETS = {"wrn-16-2": (16, 2), "wrn-40-2": (40, 2)}

VGGS = {
    "vgg8": [[64], [128], [256], [512], [512]],
    "vgg13": [[64, 64], [128, 128], [256, 256], [512, 512], [512, 512]],
}


TORCHVISION_RESNETS = {"resnet18": [2, 2, 2, 2], "resnet34": [3, 4, 6, 3]}


def parameters(model):
    return sum(p.numel() for p in model.parameters())


if __name__ == "__main__":
    for name, (depth, filters) in RESNETS.items():
        counts = [parameters(ResNet(depth, filters, k)) for k in (10, 100)]
        print(f'("{name}", {counts[0]}, {counts[1]}),')
    for name, (depth, widen) in WIDE_RESNETS.items():
        counts = [parameters(WideResNet(depth, k, widen)) for k in (10, 100)]
        print(f'("{name}", {counts[0]}, {counts[1]}),')
    for name, cfg in VGGS.items():
        counts = [parameters(VGG(cfg, k)) for k in (10, 100)]
        print(f'("{name}", {counts[0]}, {counts[1]}),')
    # mdistiller's `MobileNetV2` is `mobile_half`: expansion 6, half the width.
    counts = [parameters(MobileNetV2(6, k, 0.5)) for k in (10, 100)]
    print(f'("mobilenetv2", {counts[0]}, {counts[1]}),')
    # mdistiller's `ShuffleV2` is net size 1.
    counts = [parameters(ShuffleNetV2(1, k)) for k in (10, 100)]
    print(f'("shufflenetv2", {counts[0]}, {counts[1]}),')
    for name, blocks in TORCHVISION_RESNETS.items():
        counts = [parameters(torchvision_resnet(blocks, [64, 128, 256, 512], k)) for k in (10, 100)]
        print(f'("{name}", {counts[0]}, {counts[1]}),')
