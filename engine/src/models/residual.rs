//! The layout the residual families (CIFAR ResNet, Wide ResNet, torchvision's ResNet) share:
//! stages of blocks, the first block of every stage but the first striding by 2.

use super::{InputShape, StageShape};

/// The stages' blocks: `block(input channels, output channels, stride)` for each, stage by
/// stage, from `input` channels; stage `i` has `channels[i]` channels and `blocks[i]` blocks.
pub(super) fn residual_stages<B>(
    input: usize,
    channels: &[usize],
    blocks: &[usize],
    mut block: impl FnMut(usize, usize, usize) -> B,
) -> Vec<Vec<B>> {
    let mut current = input;
    channels
        .iter()
        .zip(blocks)
        .enumerate()
        .map(|(i, (&out, &blocks))| {
            (0..blocks)
                .map(|b| {
                    let stride = if i > 0 && b == 0 { 2 } else { 1 };
                    let made = block(current, out, stride);
                    current = out;
                    made
                })
                .collect()
        })
        .collect()
}

/// The shapes of the stages' outputs on `input`.
pub(super) fn residual_stage_shapes(channels: &[usize], input: InputShape) -> Vec<StageShape> {
    let (mut h, mut w) = (input.height, input.width);
    channels
        .iter()
        .enumerate()
        .map(|(i, &channels)| {
            if i > 0 {
                // A 3×3 conv with padding 1 and stride 2 rounds up.
                (h, w) = (h.div_ceil(2), w.div_ceil(2));
            }
            StageShape {
                channels,
                height: h,
                width: w,
            }
        })
        .collect()
}
