"""Parameter counts of the reference definitions of the lab's CIFAR ResNet presets.

Reference only (never a dependency of the product or its tests): run with PyTorch installed,

    python bench/models/param_counts.py

It prints, for 10 and 100 classes on 32x32x3 images, the parameters PyTorch counts
(`sum(p.numel() for p in model.parameters())`: batch-norm running statistics excluded) of the
CIFAR ResNets as mdistiller defines them (`mdistiller/models/cifar/resnet.py`, written again here
from its structure: a 3x3 stem conv and BN, three layers of `(depth - 2) / 6` basic blocks
`conv3x3 -> BN -> ReLU -> conv3x3 -> BN` (no conv biases) with a `conv1x1 -> BN` shortcut when
the shape changes, stride 2 at the second and third layers, average pooling and a linear
classifier). `engine/src/models/presets.rs`'s test holds the same table.
"""

import torch.nn as nn


def conv3x3(cin, cout, stride=1):
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1, self.bn1 = conv3x3(cin, cout, stride), nn.BatchNorm2d(cout)
        self.conv2, self.bn2 = conv3x3(cout, cout), nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False),
                                            nn.BatchNorm2d(cout))


class ResNet(nn.Module):
    def __init__(self, depth, num_filters, num_classes):
        super().__init__()
        n = (depth - 2) // 6
        self.conv1, self.bn1 = nn.Conv2d(3, num_filters[0], 3, padding=1, bias=False), \
            nn.BatchNorm2d(num_filters[0])
        blocks, cin = [], num_filters[0]
        for layer, cout in enumerate(num_filters[1:]):
            for b in range(n):
                blocks.append(BasicBlock(cin, cout, 2 if layer > 0 and b == 0 else 1))
                cin = cout
        self.blocks = nn.ModuleList(blocks)
        self.fc = nn.Linear(num_filters[3], num_classes)


PRESETS = {
    "resnet8": (8, [16, 16, 32, 64]),
    "resnet14": (14, [16, 16, 32, 64]),
    "resnet20": (20, [16, 16, 32, 64]),
    "resnet32": (32, [16, 16, 32, 64]),
    "resnet56": (56, [16, 16, 32, 64]),
    "resnet8x4": (8, [32, 64, 128, 256]),
    "resnet32x4": (32, [32, 64, 128, 256]),
}

if __name__ == "__main__":
    for name, (depth, filters) in PRESETS.items():
        counts = [sum(p.numel() for p in ResNet(depth, filters, k).parameters()) for k in (10, 100)]
        print(f'("{name}", {counts[0]}, {counts[1]}),')
