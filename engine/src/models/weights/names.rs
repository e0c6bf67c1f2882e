//! The names a model's tensors carry outside the lab: the reference implementation's for the
//! architectures that have one (mdistiller's CIFAR ResNet: `conv1`, `bn1`, `layer1.0.conv1`,
//! `layer1.0.downsample.0/1`, `fc`; its Wide ResNet: `conv1`, `block1.layer.0.bn1`,
//! `block2.layer.0.convShortcut`, `bn1`, `fc`; its VGG: `block0.0` (conv), `block0.1` (BN),
//! `classifier`; its MobileNetV2: `conv1.0/1`, `blocks.2.0.conv.3` (depthwise conv), `conv2.0/1`,
//! `classifier.0`; its ShuffleNetV2: `conv1`, `bn1`, `layer1.0.conv1..5` (the down-sampling
//! unit), `layer1.1.conv1..3`, `conv2`, `bn2`, `linear`; torchvision's ResNet has the CIFAR
//! ResNet's names with a `layer4`), the lab's
//! own module paths for the others (MLP, plain
//! CNN). Parameter names are PyTorch's (`weight`, `bias`, `running_mean`, `running_var`; burn's
//! batch-norm `gamma`/`beta` are renamed by burn-store's adapters before these rules run).

use crate::models::Net;

/// The name outside the lab of the tensor at `path` (burn's module path, enum variants
/// skipped, PyTorch's parameter names) in `net`.
pub(in crate::models) fn reference_name(net: &Net, path: &str) -> String {
    match net {
        // torchvision's ResNet has mdistiller's names, with a fourth `layer4`.
        Net::Resnet(_) | Net::ImagenetResnet(_) => mdistiller_resnet(path),
        Net::Wrn(_) => mdistiller_wrn(path),
        Net::Vgg(_) => mdistiller_vgg(path),
        Net::Mobilenetv2(_) => mdistiller_mobilenetv2(path),
        Net::Shufflenetv2(_) => mdistiller_shufflenetv2(path),
        Net::Mlp(_) | Net::Cnn(_) => path.to_string(),
    }
}

/// `stem` → `conv1`, `stem_norm` → `bn1`, `stages.i.b` → `layer{i+1}.b` with `norm1/2` →
/// `bn1/2` and `projection.conv/norm` → `downsample.0/1`, `output` → `fc`.
fn mdistiller_resnet(path: &str) -> String {
    let parts: Vec<&str> = path.split('.').collect();
    match parts.as_slice() {
        ["stem", param] => format!("conv1.{param}"),
        ["stem_norm", param] => format!("bn1.{param}"),
        ["output", param] => format!("fc.{param}"),
        ["stages", stage, block, rest @ ..] => {
            let layer = stage.parse::<usize>().map_or(0, |i| i + 1);
            let inner = match rest {
                ["norm1", param] => format!("bn1.{param}"),
                ["norm2", param] => format!("bn2.{param}"),
                ["projection", "conv", param] => format!("downsample.0.{param}"),
                ["projection", "norm", param] => format!("downsample.1.{param}"),
                other => other.join("."),
            };
            format!("layer{layer}.{block}.{inner}")
        }
        _ => path.to_string(),
    }
}

/// `stem` → `conv1`, `groups.g.b` → `block{g+1}.layer.b` with `norm1/2` → `bn1/2` and
/// `shortcut` → `convShortcut`, the last `norm` → `bn1`, `output` → `fc`.
fn mdistiller_wrn(path: &str) -> String {
    let parts: Vec<&str> = path.split('.').collect();
    match parts.as_slice() {
        ["stem", param] => format!("conv1.{param}"),
        ["norm", param] => format!("bn1.{param}"),
        ["output", param] => format!("fc.{param}"),
        ["groups", group, block, rest @ ..] => {
            let number = group.parse::<usize>().map_or(0, |g| g + 1);
            let inner = match rest {
                ["norm1", param] => format!("bn1.{param}"),
                ["norm2", param] => format!("bn2.{param}"),
                ["shortcut", param] => format!("convShortcut.{param}"),
                other => other.join("."),
            };
            format!("block{number}.layer.{block}.{inner}")
        }
        _ => path.to_string(),
    }
}

/// `blocks.b.l.conv` → `block{b}.{3l}` and `blocks.b.l.norm` → `block{b}.{3l+1}` (each layer
/// is a `Sequential`'s conv, BN and ReLU), `output` → `classifier`.
fn mdistiller_vgg(path: &str) -> String {
    let parts: Vec<&str> = path.split('.').collect();
    match parts.as_slice() {
        ["output", param] => format!("classifier.{param}"),
        ["blocks", block, layer, module, param] => {
            let index = layer.parse::<usize>().map_or(0, |l| 3 * l);
            let index = if *module == "norm" { index + 1 } else { index };
            format!("block{block}.{index}.{param}")
        }
        _ => path.to_string(),
    }
}

/// `stem` → `conv1.0/1`, `groups.g.b.{expand,depthwise,project}` → `blocks.g.b.conv.{0,1 | 3,4 |
/// 6,7}` (conv, BN), `head` → `conv2.0/1`, `output` → `classifier.0`.
fn mdistiller_mobilenetv2(path: &str) -> String {
    let parts: Vec<&str> = path.split('.').collect();
    let sequential = |module: &str, first: usize| match module {
        "conv" => first,
        _ => first + 1,
    };
    match parts.as_slice() {
        ["stem", module, param] => format!("conv1.{}.{param}", sequential(module, 0)),
        ["head", module, param] => format!("conv2.{}.{param}", sequential(module, 0)),
        ["output", param] => format!("classifier.0.{param}"),
        ["groups", group, block, layer, module, param] => {
            let first = match *layer {
                "expand" => 0,
                "depthwise" => 3,
                _ => 6,
            };
            let index = sequential(module, first);
            format!("blocks.{group}.{block}.conv.{index}.{param}")
        }
        _ => path.to_string(),
    }
}

/// `stem`/`head` → `conv1`/`bn1` and `conv2`/`bn2`, `output` → `linear`,
/// `stages.s.down.*` → `layer{s+1}.0.{conv,bn}1..5` and `stages.s.units.u.*` →
/// `layer{s+1}.{u+1}.{conv,bn}1..3` (each unit's convs numbered in mdistiller's order).
fn mdistiller_shufflenetv2(path: &str) -> String {
    const DOWN: [&str; 5] = [
        "left_depthwise",
        "left_project",
        "right_squeeze",
        "right_depthwise",
        "right_project",
    ];
    const BASIC: [&str; 3] = ["squeeze", "depthwise", "expand"];
    let layer = |module: &str, number: usize| match module {
        "conv" => format!("conv{number}"),
        _ => format!("bn{number}"),
    };
    let numbered =
        |names: &[&str], unit: &str| names.iter().position(|n| *n == unit).map(|i| i + 1);
    let parts: Vec<&str> = path.split('.').collect();
    match parts.as_slice() {
        ["stem", module, param] => format!("{}.{param}", layer(module, 1)),
        ["head", module, param] => format!("{}.{param}", layer(module, 2)),
        ["output", param] => format!("linear.{param}"),
        ["stages", stage, "down", unit, module, param] => match numbered(&DOWN, unit) {
            Some(n) => format!("layer{}.0.{}.{param}", index(stage) + 1, layer(module, n)),
            None => path.to_string(),
        },
        ["stages", stage, "units", u, unit, module, param] => match numbered(&BASIC, unit) {
            Some(n) => format!(
                "layer{}.{}.{}.{param}",
                index(stage) + 1,
                index(u) + 1,
                layer(module, n)
            ),
            None => path.to_string(),
        },
        _ => path.to_string(),
    }
}

/// A module path's list index.
fn index(text: &str) -> usize {
    text.parse().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::{mdistiller_mobilenetv2, mdistiller_resnet, mdistiller_vgg, mdistiller_wrn};

    #[test]
    fn the_lab_mobilenetv2_paths_become_mdistiller_names() {
        for (lab, reference) in [
            ("stem.conv.weight", "conv1.0.weight"),
            ("stem.norm.running_mean", "conv1.1.running_mean"),
            ("groups.0.0.expand.conv.weight", "blocks.0.0.conv.0.weight"),
            ("groups.2.1.expand.norm.bias", "blocks.2.1.conv.1.bias"),
            (
                "groups.3.0.depthwise.conv.weight",
                "blocks.3.0.conv.3.weight",
            ),
            (
                "groups.3.0.depthwise.norm.weight",
                "blocks.3.0.conv.4.weight",
            ),
            ("groups.6.0.project.conv.weight", "blocks.6.0.conv.6.weight"),
            (
                "groups.6.0.project.norm.running_var",
                "blocks.6.0.conv.7.running_var",
            ),
            ("head.conv.weight", "conv2.0.weight"),
            ("head.norm.bias", "conv2.1.bias"),
            ("output.weight", "classifier.0.weight"),
        ] {
            assert_eq!(mdistiller_mobilenetv2(lab), reference);
        }
    }

    #[test]
    fn the_lab_vgg_paths_become_mdistiller_names() {
        for (lab, reference) in [
            ("blocks.0.0.conv.weight", "block0.0.weight"),
            ("blocks.0.0.conv.bias", "block0.0.bias"),
            ("blocks.0.0.norm.running_var", "block0.1.running_var"),
            ("blocks.3.1.conv.weight", "block3.3.weight"),
            ("blocks.3.1.norm.weight", "block3.4.weight"),
            ("output.weight", "classifier.weight"),
        ] {
            assert_eq!(mdistiller_vgg(lab), reference);
        }
    }

    #[test]
    fn the_lab_wrn_paths_become_mdistiller_names() {
        for (lab, reference) in [
            ("stem.weight", "conv1.weight"),
            (
                "groups.0.0.norm1.running_mean",
                "block1.layer.0.bn1.running_mean",
            ),
            (
                "groups.1.0.shortcut.weight",
                "block2.layer.0.convShortcut.weight",
            ),
            ("groups.2.1.conv2.weight", "block3.layer.1.conv2.weight"),
            ("norm.weight", "bn1.weight"),
            ("output.bias", "fc.bias"),
        ] {
            assert_eq!(mdistiller_wrn(lab), reference);
        }
    }

    #[test]
    fn the_lab_resnet_paths_become_mdistiller_names() {
        for (lab, reference) in [
            ("stem.weight", "conv1.weight"),
            ("stem_norm.running_var", "bn1.running_var"),
            ("stages.0.1.conv2.weight", "layer1.1.conv2.weight"),
            ("stages.2.0.norm1.bias", "layer3.0.bn1.bias"),
            (
                "stages.1.0.projection.conv.weight",
                "layer2.0.downsample.0.weight",
            ),
            (
                "stages.1.0.projection.norm.running_mean",
                "layer2.0.downsample.1.running_mean",
            ),
            ("output.weight", "fc.weight"),
        ] {
            assert_eq!(mdistiller_resnet(lab), reference);
        }
    }
}
