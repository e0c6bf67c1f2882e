"""Weights in the reference naming, written by PyTorch, for the import tests.

Reference only (never a dependency of the product or its tests): run with PyTorch and the
`safetensors` package installed,

    python bench/models/reference_weights.py engine/tests/fixtures/weights

It defines mdistiller's CIFAR ResNet (`mdistiller/models/cifar/resnet.py`, written again here
with its module names: `conv1`, `bn1`, `layer1..3` of `BasicBlock`s with `conv1/bn1/conv2/bn2`
and a `downsample` Sequential of a 1x1 conv and a BN, `fc`) at depth 8 with half the filters
(8, 8, 16, 32; 10 classes) so the files stay small, gives its batch norms random running
statistics and affine parameters (so a loader that skips them fails the test), and writes:

- `resnet8-half.pt`: `torch.save(model.state_dict())`, the plain state_dict;
- `resnet8-half-checkpoint.pt`: `{"model": state_dict, "epoch": 240}`, mdistiller's checkpoint;
- `resnet8-half.safetensors`: `safetensors.torch.save_file(model.state_dict())`;
- `resnet8-half-expected.safetensors`: `input` (2 images, 3x32x32, N(0, 1)) and the model's
  `logits` on it in eval mode.

and the same for mdistiller's Wide ResNet (`mdistiller/models/cifar/wrn.py`: `conv1`,
`block1..3.layer.N` of pre-activation blocks with `bn1/conv1/bn2/conv2` and a `convShortcut`
where the width changes, a last `bn1`, `fc`) at depth 10 and widen factor 1:
`wrn10-1.safetensors` and `wrn10-1-expected.safetensors`; and for mdistiller's VGG with batch
norm (`mdistiller/models/cifar/vgg.py`: `block0..4` Sequentials of conv (with bias), BN and ReLU
with the last ReLU dropped, `classifier`) with small blocks (8 / 8, 8 / 16 / 16 / 16 channels):
`vgg-small.safetensors` and `vgg-small-expected.safetensors`; and for torchvision's ResNet of
basic blocks (`torchvision.models.resnet`, the class of `resnet18` and `resnet34`, used itself:
`conv1` 7x7 stride 2, `bn1`, a 3x3 max pool, `layer1..4`, `fc`) with one block per stage at an
eighth of the width (8, 16, 32, 64 channels): `tv-resnet10-eighth.safetensors` and its
`-expected` file. That one needs torchvision besides PyTorch. Last, mdistiller's CIFAR
MobileNetV2 (`mdistiller/models/cifar/mobilenetv2.py`: `conv1` and `conv2` Sequentials of a conv,
a BN and a ReLU, `blocks.i.j.conv` Sequentials of an expanding 1x1 conv, its BN, a depthwise 3x3
conv, its BN and a projecting 1x1 conv and BN at indices 0, 1, 3, 4, 6, 7, `classifier.0`) with
expansion 2 at a quarter of the width: `mobilenetv2-t2-quarter.safetensors` and its `-expected`
file; and mdistiller's ShuffleNetV2 (`mdistiller/models/cifar/ShuffleNetv2.py`: `conv1`/`bn1` a
1x1 stem, `layer1..3` Sequentials of a `DownBlock` (`conv1..5`/`bn1..5`) and `BasicBlock`s
(`conv1..3`/`bn1..3`), `conv2`/`bn2`, `linear`) at its smallest size, 0.2:
`shufflenetv2-0.2.safetensors` and its `-expected` file.
"""

import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file


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

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        residual = x if self.downsample is None else self.downsample(x)
        return F.relu(out + residual)


class ResNet(nn.Module):
    def __init__(self, depth, num_filters, num_classes):
        super().__init__()
        n = (depth - 2) // 6
        self.conv1 = nn.Conv2d(3, num_filters[0], 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(num_filters[0])
        self.inplanes = num_filters[0]
        self.layer1 = self._make_layer(num_filters[1], n, 1)
        self.layer2 = self._make_layer(num_filters[2], n, 2)
        self.layer3 = self._make_layer(num_filters[3], n, 2)
        self.avgpool = nn.AvgPool2d(8)
        self.fc = nn.Linear(num_filters[3], num_classes)

    def _make_layer(self, planes, blocks, stride):
        layers = []
        for b in range(blocks):
            layers.append(BasicBlock(self.inplanes, planes, stride if b == 0 else 1))
            self.inplanes = planes
        return nn.Sequential(*layers)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(self.avgpool(x).flatten(1))


class WideBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.equal = cin == cout
        self.convShortcut = None if self.equal else nn.Conv2d(cin, cout, 1, stride, 0, bias=False)

    def forward(self, x):
        if self.equal:
            out = F.relu(self.bn1(x))
        else:
            x = F.relu(self.bn1(x))
        out = F.relu(self.bn2(self.conv1(out if self.equal else x)))
        out = self.conv2(out)
        return (x if self.equal else self.convShortcut(x)) + out


class NetworkBlock(nn.Module):
    def __init__(self, n, cin, cout, stride):
        super().__init__()
        self.layer = nn.Sequential(*[WideBlock(cin if i == 0 else cout, cout, stride if i == 0 else 1)
                                     for i in range(n)])

    def forward(self, x):
        return self.layer(x)


class WideResNet(nn.Module):
    def __init__(self, depth, num_classes, widen_factor):
        super().__init__()
        c = [16, 16 * widen_factor, 32 * widen_factor, 64 * widen_factor]
        n = (depth - 4) // 6
        self.conv1 = nn.Conv2d(3, c[0], 3, 1, 1, bias=False)
        self.block1 = NetworkBlock(n, c[0], c[1], 1)
        self.block2 = NetworkBlock(n, c[1], c[2], 2)
        self.block3 = NetworkBlock(n, c[2], c[3], 2)
        self.bn1 = nn.BatchNorm2d(c[3])
        self.fc = nn.Linear(c[3], num_classes)

    def forward(self, x):
        out = self.block3(self.block2(self.block1(self.conv1(x))))
        out = F.relu(self.bn1(out))
        return self.fc(F.avg_pool2d(out, 8).flatten(1))


def vgg_block(widths, cin):
    layers = []
    for width in widths:
        layers += [nn.Conv2d(cin, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(inplace=True)]
        cin = width
    return nn.Sequential(*layers[:-1])


class VGG(nn.Module):
    def __init__(self, cfg, num_classes):
        super().__init__()
        inputs = [3] + [block[-1] for block in cfg[:-1]]
        self.block0, self.block1, self.block2, self.block3, self.block4 = (
            vgg_block(widths, cin) for widths, cin in zip(cfg, inputs))
        self.pool0, self.pool1, self.pool2, self.pool3 = (nn.MaxPool2d(2, 2) for _ in range(4))
        self.pool4 = nn.AdaptiveAvgPool2d((1, 1))
        self.classifier = nn.Linear(cfg[-1][-1], num_classes)

    def forward(self, x):
        h = x.shape[2]
        x = self.pool0(F.relu(self.block0(x)))
        x = self.pool1(F.relu(self.block1(x)))
        x = self.pool2(F.relu(self.block2(x)))
        x = F.relu(self.block3(x))
        if h == 64:
            x = self.pool3(x)
        x = F.relu(self.block4(x))
        return self.classifier(self.pool4(x).flatten(1))


def torchvision_resnet(blocks, widths, num_classes):
    """torchvision's own ResNet of `BasicBlock`s with `blocks` blocks per stage, its four stages
    `widths` channels wide (64, 128, 256, 512 in resnet18 and resnet34)."""
    from torchvision.models.resnet import BasicBlock
    from torchvision.models.resnet import ResNet as TorchvisionResNet

    model = TorchvisionResNet(BasicBlock, blocks, num_classes=num_classes)
    if widths != [64, 128, 256, 512]:
        model.inplanes = widths[0]
        model.conv1 = nn.Conv2d(3, widths[0], 7, stride=2, padding=3, bias=False)
        model.bn1 = nn.BatchNorm2d(widths[0])
        model.layer1 = model._make_layer(BasicBlock, widths[0], blocks[0])
        model.layer2 = model._make_layer(BasicBlock, widths[1], blocks[1], stride=2)
        model.layer3 = model._make_layer(BasicBlock, widths[2], blocks[2], stride=2)
        model.layer4 = model._make_layer(BasicBlock, widths[3], blocks[3], stride=2)
        model.fc = nn.Linear(widths[3], num_classes)
    return model


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expansion):
        super().__init__()
        hidden = cin * expansion
        self.use_res_connect = stride == 1 and cin == cout
        self.conv = nn.Sequential(
            nn.Conv2d(cin, hidden, 1, 1, 0, bias=False), nn.BatchNorm2d(hidden), nn.ReLU(inplace=True),
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False), nn.BatchNorm2d(hidden),
            nn.ReLU(inplace=True),
            nn.Conv2d(hidden, cout, 1, 1, 0, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class MobileNetV2(nn.Module):
    SETTING = [(1, 16, 1, 1), (None, 24, 2, 1), (None, 32, 3, 2), (None, 64, 4, 2), (None, 96, 3, 1),
               (None, 160, 3, 2), (None, 320, 1, 1)]

    def __init__(self, expansion, num_classes, width_mult):
        super().__init__()
        cin = int(32 * width_mult)
        self.conv1 = nn.Sequential(nn.Conv2d(3, cin, 3, 2, 1, bias=False), nn.BatchNorm2d(cin),
                                   nn.ReLU(inplace=True))
        self.blocks = nn.ModuleList([])
        for t, c, n, s in self.SETTING:
            cout = int(c * width_mult)
            layers = []
            for stride in [s] + [1] * (n - 1):
                layers.append(InvertedResidual(cin, cout, stride, t or expansion))
                cin = cout
            self.blocks.append(nn.Sequential(*layers))
        last = int(1280 * width_mult) if width_mult > 1.0 else 1280
        self.conv2 = nn.Sequential(nn.Conv2d(cin, last, 1, 1, 0, bias=False), nn.BatchNorm2d(last),
                                   nn.ReLU(inplace=True))
        self.classifier = nn.Sequential(nn.Linear(last, num_classes))

    def forward(self, x):
        out = self.conv1(x)
        for block in self.blocks:
            out = block(out)
        out = self.conv2(out)
        return self.classifier(F.adaptive_avg_pool2d(out, 1).flatten(1))


def shuffle(x):
    n, c, h, w = x.size()
    return x.reshape(n, 2, c // 2, h, w).permute(0, 2, 1, 3, 4).reshape(n, c, h, w)


class ShuffleBasicBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        half = channels // 2
        self.conv1 = nn.Conv2d(half, half, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(half)
        self.conv2 = nn.Conv2d(half, half, 3, 1, 1, groups=half, bias=False)
        self.bn2 = nn.BatchNorm2d(half)
        self.conv3 = nn.Conv2d(half, half, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(half)

    def forward(self, x):
        c = x.size(1) // 2
        x1, x2 = x[:, :c], x[:, c:]
        out = F.relu(self.bn1(self.conv1(x2)))
        out = self.bn2(self.conv2(out))
        out = F.relu(self.bn3(self.conv3(out)))
        return shuffle(torch.cat([x1, out], 1))


class ShuffleDownBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        mid = cout // 2
        self.conv1 = nn.Conv2d(cin, cin, 3, 2, 1, groups=cin, bias=False)
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv2 = nn.Conv2d(cin, mid, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(mid)
        self.conv3 = nn.Conv2d(cin, mid, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(mid)
        self.conv4 = nn.Conv2d(mid, mid, 3, 2, 1, groups=mid, bias=False)
        self.bn4 = nn.BatchNorm2d(mid)
        self.conv5 = nn.Conv2d(mid, mid, 1, bias=False)
        self.bn5 = nn.BatchNorm2d(mid)

    def forward(self, x):
        out1 = F.relu(self.bn2(self.conv2(self.bn1(self.conv1(x)))))
        out2 = self.bn4(self.conv4(F.relu(self.bn3(self.conv3(x)))))
        out2 = F.relu(self.bn5(self.conv5(out2)))
        return shuffle(torch.cat([out1, out2], 1))


class ShuffleNetV2(nn.Module):
    CONFIGS = {0.2: ((40, 80, 160, 512), (3, 3, 3)), 0.3: ((40, 80, 160, 512), (3, 7, 3)),
               0.5: ((48, 96, 192, 1024), (3, 7, 3)), 1: ((116, 232, 464, 1024), (3, 7, 3)),
               1.5: ((176, 352, 704, 1024), (3, 7, 3)), 2: ((224, 488, 976, 2048), (3, 7, 3))}

    def __init__(self, net_size, num_classes):
        super().__init__()
        out_channels, num_blocks = self.CONFIGS[net_size]
        self.conv1 = nn.Conv2d(3, 24, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(24)
        cin = 24
        for i in range(3):
            layers = [ShuffleDownBlock(cin, out_channels[i])]
            layers += [ShuffleBasicBlock(out_channels[i]) for _ in range(num_blocks[i])]
            setattr(self, f"layer{i + 1}", nn.Sequential(*layers))
            cin = out_channels[i]
        self.conv2 = nn.Conv2d(out_channels[2], out_channels[3], 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels[3])
        self.linear = nn.Linear(out_channels[3], num_classes)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer3(self.layer2(self.layer1(out)))
        out = F.relu(self.bn2(self.conv2(out)))
        return self.linear(F.avg_pool2d(out, 4).flatten(1))


def randomize_norms(model):
    """Random batch-norm statistics and affine parameters, so a loader that skips them fails."""
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            c = module.num_features
            module.weight.data = 1 + 0.3 * torch.randn(c)
            module.bias.data = 0.2 * torch.randn(c)
            module.running_mean = 0.3 * torch.randn(c)
            module.running_var = 0.5 + torch.rand(c)
            module.num_batches_tracked = torch.tensor(1000)


def write_expected(model, out, stem):
    """`{stem}.safetensors` (the state_dict) and `{stem}-expected.safetensors` (an input batch
    and the model's logits on it, in eval mode)."""
    model.eval()
    images = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        logits = model(images)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()},
              os.path.join(out, f"{stem}.safetensors"))
    save_file({"input": images, "logits": logits}, os.path.join(out, f"{stem}-expected.safetensors"))
    return logits


def main(out):
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(2026)
    resnet = ResNet(8, [8, 8, 16, 32], 10)
    randomize_norms(resnet)
    logits = write_expected(resnet, out, "resnet8-half")
    state = resnet.state_dict()
    torch.save(state, os.path.join(out, "resnet8-half.pt"))
    torch.save({"model": state, "epoch": 240}, os.path.join(out, "resnet8-half-checkpoint.pt"))
    print(f"resnet8-half: {len(state)} tensors; logits[0] = {logits[0].tolist()}")
    torch.manual_seed(2027)
    wrn = WideResNet(10, 10, 1)
    randomize_norms(wrn)
    logits = write_expected(wrn, out, "wrn10-1")
    print(f"wrn10-1: {sum(p.numel() for p in wrn.parameters())} parameters; "
          f"logits[0] = {logits[0].tolist()}")
    torch.manual_seed(2028)
    vgg = VGG([[8], [8, 8], [16], [16], [16]], 10)
    randomize_norms(vgg)
    logits = write_expected(vgg, out, "vgg-small")
    print(f"vgg-small: {sum(p.numel() for p in vgg.parameters())} parameters; "
          f"logits[0] = {logits[0].tolist()}")
    torch.manual_seed(2029)
    tv = torchvision_resnet([1, 1, 1, 1], [8, 16, 32, 64], 10)
    randomize_norms(tv)
    logits = write_expected(tv, out, "tv-resnet10-eighth")
    print(f"tv-resnet10-eighth: {sum(p.numel() for p in tv.parameters())} parameters; "
          f"logits[0] = {logits[0].tolist()}")
    torch.manual_seed(2030)
    mobile = MobileNetV2(2, 10, 0.25)
    randomize_norms(mobile)
    logits = write_expected(mobile, out, "mobilenetv2-t2-quarter")
    print(f"mobilenetv2-t2-quarter: {sum(p.numel() for p in mobile.parameters())} parameters; "
          f"logits[0] = {logits[0].tolist()}")
    torch.manual_seed(2031)
    shuffle_net = ShuffleNetV2(0.2, 10)
    randomize_norms(shuffle_net)
    logits = write_expected(shuffle_net, out, "shufflenetv2-0.2")
    print(f"shufflenetv2-0.2: {sum(p.numel() for p in shuffle_net.parameters())} parameters; "
          f"logits[0] = {logits[0].tolist()}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "engine/tests/fixtures/weights")
