//! The rules of a model's sizes: layer counts and widths inside their bounds, ResNet depths of
//! the form 6n + 2, and a parameter count this lab can train (bounded before building).

use api::Architecture;

use super::bounds::{self, MAX_LAYERS};
use super::SpecError;
use crate::models::InputShape;

/// Layer widths or channel counts: at most [`MAX_LAYERS`] of them, each a [`bounds::WIDTH`].
fn check_sizes(sizes: &[usize], at: &str) -> Result<(), SpecError> {
    if sizes.len() > MAX_LAYERS {
        return Err(SpecError::new(
            at,
            format!("at most {MAX_LAYERS} layers, got {}", sizes.len()),
        ));
    }
    for (j, &size) in sizes.iter().enumerate() {
        bounds::WIDTH.check(size as f64, format!("{at}[{j}]"))?;
    }
    Ok(())
}

/// Most parameters a model may have.
const MAX_PARAMS: f64 = 200e6;

/// An upper bound of a resolved architecture's parameters, computed without building it (a
/// CNN is bounded as if it never pooled; a ResNet as if every block had its widest width).
fn param_upper_bound(arch: &Architecture, input: InputShape) -> f64 {
    let pixels = (input.height * input.width) as f64;
    match arch {
        Architecture::Mlp(m) => {
            let mut widths = vec![input.channels as f64 * pixels];
            widths.extend(m.hidden.iter().map(|&h| h as f64));
            widths.push(input.classes as f64);
            widths.windows(2).map(|w| (w[0] + 1.0) * w[1]).sum()
        }
        Architecture::Cnn(c) => {
            let mut channels = vec![input.channels as f64];
            channels.extend(c.channels.iter().map(|&h| h as f64));
            let convs: f64 = channels
                .windows(2)
                .map(|w| 9.0 * w[0] * w[1] + 2.0 * w[1])
                .sum();
            let last = channels.last().copied().unwrap_or(1.0);
            convs + (last * pixels + 1.0) * c.fc as f64 + (c.fc as f64 + 1.0) * input.classes as f64
        }
        Architecture::Resnet(r) => {
            let widest = 64.0 * r.width;
            let stem = r.stem.map_or(16.0 * r.width, |s| s as f64);
            r.depth as f64 * (9.0 * widest * widest + 2.0 * widest)
                + 9.0 * stem * (input.channels as f64 + widest)
                + widest * input.classes as f64
        }
        Architecture::Wrn(r) => {
            let widest = 64.0 * r.widen as f64;
            r.depth as f64 * (9.0 * widest * widest + 2.0 * widest)
                + 9.0 * 16.0 * input.channels as f64
                + widest * input.classes as f64
        }
        Architecture::Mobilenetv2(m) => {
            // 17 blocks, each at most expand + depthwise + project at the widest group's width.
            let widest = 320.0 * m.width.max(1.0);
            let hidden = widest * m.expansion as f64;
            let head = 1280.0 * m.width.max(1.0);
            17.0 * (2.0 * widest * hidden + 9.0 * hidden + 6.0 * hidden)
                + 27.0 * 32.0 * m.width.max(1.0) * input.channels as f64
                + (widest + 2.0) * head
                + (head + 1.0) * input.classes as f64
        }
        Architecture::Shufflenetv2(_) => {
            // Size 2, the largest: 13 units of at most two 1×1 convs of the widest stage, the
            // 2048-wide head.
            13.0 * 2.0 * 976.0 * 976.0 + 976.0 * 2048.0 + 2048.0 * input.classes as f64
        }
        Architecture::ImagenetResnet(r) => {
            let widest = 512.0 * r.width;
            r.depth as f64 * (9.0 * widest * widest + 2.0 * widest)
                + 49.0 * 64.0 * r.width * input.channels as f64
                + widest * input.classes as f64
        }
        Architecture::Vgg(v) => {
            let mut channels = vec![input.channels as f64];
            channels.extend(v.blocks.iter().flatten().map(|&c| c as f64));
            let convs: f64 = channels.windows(2).map(|w| (9.0 * w[0] + 3.0) * w[1]).sum();
            convs + (channels.last().copied().unwrap_or(1.0) + 1.0) * input.classes as f64
        }
        // Frozen: never trained here, whatever its size.
        Architecture::Preset { .. } | Architecture::Onnx(_) => 0.0,
    }
}

/// Checks a resolved architecture's sizes for `input`; `at` is its field path.
pub fn check_architecture(
    arch: &Architecture,
    input: InputShape,
    at: &str,
) -> Result<(), SpecError> {
    validate_architecture(arch, at)?;
    let bound = param_upper_bound(arch, input);
    if bound > MAX_PARAMS {
        return Err(SpecError::new(
            at,
            format!(
                "too large: up to {:.0} million parameters; this lab trains models of at most {:.0} million",
                bound / 1e6,
                MAX_PARAMS / 1e6
            ),
        ));
    }
    Ok(())
}

fn validate_architecture(arch: &Architecture, at: &str) -> Result<(), SpecError> {
    match arch {
        Architecture::Mlp(m) => check_sizes(&m.hidden, &format!("{at}.hidden"))?,
        Architecture::Cnn(c) => {
            if c.channels.is_empty() {
                return Err(SpecError::new(
                    format!("{at}.channels"),
                    "needs at least one conv layer",
                ));
            }
            check_sizes(&c.channels, &format!("{at}.channels"))?;
            bounds::WIDTH.check(c.fc as f64, format!("{at}.fc"))?;
        }
        Architecture::Resnet(r) => {
            if !bounds::resnet_depths().contains(&r.depth) {
                return Err(SpecError::new(
                    format!("{at}.depth"),
                    format!(
                        "must be 6n + 2 with n ≥ 1, at most 110 (8, 14, 20, 32, 56, ...), got {}",
                        r.depth
                    ),
                ));
            }
            bounds::RESNET_WIDTH.check(r.width, format!("{at}.width"))?;
            if let Some(stem) = r.stem {
                bounds::WIDTH.check(stem as f64, format!("{at}.stem"))?;
            }
        }
        Architecture::Wrn(r) => {
            if !bounds::wrn_depths().contains(&r.depth) {
                return Err(SpecError::new(
                    format!("{at}.depth"),
                    format!(
                        "must be 6n + 4 with n ≥ 1, at most 100 (10, 16, 22, 28, 40, ...), got {}",
                        r.depth
                    ),
                ));
            }
            bounds::WRN_WIDEN.check(r.widen as f64, format!("{at}.widen"))?;
        }
        // Checked against the dataset when it was imported.
        Architecture::Onnx(_) => {}
        Architecture::Mobilenetv2(m) => {
            bounds::MOBILENET_EXPANSION.check(m.expansion as f64, format!("{at}.expansion"))?;
            bounds::RESNET_WIDTH.check(m.width, format!("{at}.width"))?;
        }
        Architecture::Shufflenetv2(s) => {
            if !bounds::shufflenet_sizes().contains(&s.size) {
                return Err(SpecError::new(
                    format!("{at}.size"),
                    format!(
                        "must be one of mdistiller's sizes 0.2, 0.3, 0.5, 1, 1.5 or 2, got {}",
                        s.size
                    ),
                ));
            }
        }
        Architecture::ImagenetResnet(r) => {
            if !bounds::imagenet_resnet_depths().contains(&r.depth) {
                return Err(SpecError::new(
                    format!("{at}.depth"),
                    format!("must be 10, 18 or 34, got {}", r.depth),
                ));
            }
            bounds::RESNET_WIDTH.check(r.width, format!("{at}.width"))?;
        }
        Architecture::Vgg(v) => {
            if v.blocks.len() != 5 {
                return Err(SpecError::new(
                    format!("{at}.blocks"),
                    format!("needs five blocks, got {}", v.blocks.len()),
                ));
            }
            for (i, block) in v.blocks.iter().enumerate() {
                if block.is_empty() {
                    return Err(SpecError::new(
                        format!("{at}.blocks[{i}]"),
                        "needs at least one conv layer",
                    ));
                }
                check_sizes(block, &format!("{at}.blocks[{i}]"))?;
            }
        }
        Architecture::Preset { .. } => unreachable!("presets are resolved before validation"),
    }
    Ok(())
}
