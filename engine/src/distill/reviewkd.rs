//! Knowledge review (Chen et al., CVPR 2021; mdistiller `ReviewKD.py`): a student level learns
//! from the teacher's level of the same depth *and* from the deeper levels it has already
//! reviewed. The levels are the paired stages (matched from the output side) and the embedding
//! as a 1×1 map. Going from the embedding towards the input, each level's attention-based
//! fusion (ABF) maps the student's features to a common width, mixes them with the fused map
//! of the level below by two attention maps, resizes the result to the teacher's map (nearest
//! neighbour) and projects it to the teacher's width with a 3×3 conv; the hierarchical context
//! loss (HCL) compares each output with the teacher's map as a whole and through its 4×4, 2×2
//! and 1×1 average pools, each pool weighing half the one before. The term ramps up like DKD's
//! warm-up. As in mdistiller, the student's stages are read after their ReLU and the teacher's
//! before it.

use api::{MethodPlacement, ReviewkdParams};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Initializer, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::sigmoid;
use burn::tensor::module::{adaptive_avg_pool2d, interpolate};
use burn::tensor::ops::{InterpolateMode, InterpolateOptions};

use super::dkd::dkd_warmup_factor;
use super::method::{Distiller, MethodSpec, ParamSpec, StagePair, TermInputs, WireType};
use super::{weighted, LinkModules, TermLoss};
use crate::checks::Bound;
use crate::kernels::{batch_norm, conv2d as apply_conv};
use crate::models::StageShape;

/// The widest the fused maps get (mdistiller's `MAX_MID_CHANNEL`).
const MAX_FUSED_CHANNELS: usize = 512;

/// The pooled sizes HCL adds below a map's own size, coarser each time.
const PYRAMID: [usize; 3] = [4, 2, 1];

/// One level's attention-based fusion.
#[derive(Module, Debug)]
pub struct AttentionFusion {
    /// 1×1 conv (no bias) from the student's width to the fused width.
    pub conv1: Conv2d,
    /// Batch norm after it.
    pub norm1: BatchNorm,
    /// 1×1 conv (with bias) from both maps to two attention maps; absent at the deepest level,
    /// which has nothing to fuse with.
    pub attention: Option<Conv2d>,
    /// 3×3 conv (no bias, padding 1) from the fused width to the teacher's.
    pub conv2: Conv2d,
    /// Batch norm after it.
    pub norm2: BatchNorm,
}

/// A conv without bias initialised as mdistiller's ABF does (`kaiming_uniform_(a=1)`).
fn abf_conv(input: usize, output: usize, kernel: usize, device: &Device) -> Conv2d {
    let pad = kernel / 2;
    Conv2dConfig::new([input, output], [kernel, kernel])
        .with_padding(PaddingConfig2d::Explicit(pad, pad, pad, pad))
        .with_bias(false)
        .with_initializer(Initializer::KaimingUniform {
            gain: 1.0,
            fan_out_only: false,
        })
        .init(device)
}

impl AttentionFusion {
    /// A fusion from `student` channels through `fused` channels to `teacher` channels; `fuse`
    /// says whether it mixes in a deeper level.
    pub fn init(
        student: usize,
        fused: usize,
        teacher: usize,
        fuse: bool,
        device: &Device,
    ) -> AttentionFusion {
        AttentionFusion {
            conv1: abf_conv(student, fused, 1, device),
            norm1: BatchNormConfig::new(fused).init(device),
            attention: fuse.then(|| Conv2dConfig::new([2 * fused, 2], [1, 1]).init(device)),
            conv2: abf_conv(fused, teacher, 3, device),
            norm2: BatchNormConfig::new(teacher).init(device),
        }
    }

    /// The level's output at the teacher's `size`, and the fused map handed to the next
    /// (shallower) level. // student: [batch, cs, h, w], deeper: [batch, fused, h', w']
    /// // → ([batch, ct, size], [batch, fused, size])
    pub fn forward(
        &self,
        student: Tensor<4>,
        deeper: Option<Tensor<4>>,
        size: [usize; 2],
    ) -> (Tensor<4>, Tensor<4>) {
        let x = batch_norm(&self.norm1, apply_conv(&self.conv1, student));
        let [batch, _, h, w] = x.dims();
        let fused = match (&self.attention, deeper) {
            (Some(attention), Some(deeper)) => {
                let deeper = resize(deeper, [h, w]);
                let both = Tensor::cat(vec![x.clone(), deeper.clone()], 1);
                let weights = sigmoid(apply_conv(attention, both)); // [batch, 2, h, w]
                let own = weights.clone().slice([0..batch, 0..1, 0..h, 0..w]);
                let below = weights.slice([0..batch, 1..2, 0..h, 0..w]);
                x * own + deeper * below
            }
            _ => x,
        };
        let fused = resize(fused, size);
        let output = batch_norm(&self.norm2, apply_conv(&self.conv2, fused.clone()));
        (output, fused)
    }
}

/// `x` resized to `size` by nearest neighbour (PyTorch's `mode="nearest"`), or `x` itself.
fn resize(x: Tensor<4>, size: [usize; 2]) -> Tensor<4> {
    let [_, _, h, w] = x.dims();
    if [h, w] == size {
        return x;
    }
    let options = InterpolateOptions::new(InterpolateMode::Nearest).with_output_size(size);
    interpolate(x, options)
}

/// The fusions of every level, deepest first.
#[derive(Module, Debug)]
pub struct ReviewFusion {
    /// One fusion per level, the embedding's first.
    pub levels: Vec<AttentionFusion>,
}

impl ReviewFusion {
    /// The fusions between models with these level shapes (input side first, the embedding
    /// last as a 1×1 map); the fused width is the student embedding's, at most 512.
    pub fn init(student: &[StageShape], teacher: &[StageShape], device: &Device) -> ReviewFusion {
        let embedding = student.last().expect("the embedding is a level").channels;
        let fused = embedding.min(MAX_FUSED_CHANNELS);
        let levels = student
            .iter()
            .zip(teacher)
            .rev()
            .enumerate()
            .map(|(depth, (s, t))| {
                AttentionFusion::init(s.channels, fused, t.channels, depth > 0, device)
            })
            .collect();
        ReviewFusion { levels }
    }

    /// The sum of the levels' HCL, unweighted. Levels input side first, as in [`Self::init`].
    /// // each student level [batch, cs, hs, ws], each teacher level [batch, ct, ht, wt] → [1]
    pub fn loss(&self, student: Vec<Tensor<4>>, teacher: Vec<Tensor<4>>) -> Tensor<1> {
        let mut deeper = None;
        let mut total: Option<Tensor<1>> = None;
        let pairs = student.into_iter().rev().zip(teacher.into_iter().rev());
        for (fusion, (s, t)) in self.levels.iter().zip(pairs) {
            let [_, _, h, w] = t.dims();
            let (output, fused) = fusion.forward(s, deeper.take(), [h, w]);
            deeper = Some(fused);
            let level = hierarchical_context_loss(output, t);
            total = Some(match total {
                Some(sum) => sum + level,
                None => level,
            });
        }
        total.expect("ReviewKD has at least the embedding's level")
    }
}

/// HCL of one level: the MSE of the maps plus, for each pyramid size below the map's height,
/// the MSE of their average pools at half the previous weight, over the sum of the weights.
/// // student, teacher: [batch, c, h, w] → [1]
pub fn hierarchical_context_loss(student: Tensor<4>, teacher: Tensor<4>) -> Tensor<1> {
    let [_, _, height, _] = student.dims();
    let mut loss = (student.clone() - teacher.clone()).square().mean();
    let (mut weight, mut weights) = (1.0, 1.0);
    for size in PYRAMID.into_iter().filter(|&size| size < height) {
        weight /= 2.0;
        weights += weight;
        let pooled = adaptive_avg_pool2d(student.clone(), [size, size])
            - adaptive_avg_pool2d(teacher.clone(), [size, size]);
        loss = loss + pooled.square().mean().mul_scalar(weight);
    }
    loss.div_scalar(weights)
}

/// How many levels a pair has: its paired stages and the embedding.
fn level_count(student_stages: usize, teacher_stages: usize) -> usize {
    student_stages.min(teacher_stages) + 1
}

/// The shapes of a model's last `count` levels, input side first.
fn level_shapes(stages: &[StageShape], embedding: usize, count: usize) -> Vec<StageShape> {
    let mut levels = stages[stages.len() + 1 - count..].to_vec();
    levels.push(StageShape {
        channels: embedding,
        height: 1,
        width: 1,
    });
    levels
}

/// A model's last `count` levels: the last `count − 1` of `stages` and its embedding as a 1×1
/// map.
fn levels(stages: &[Tensor<4>], embedding: &Tensor<2>, count: usize) -> Vec<Tensor<4>> {
    let mut levels = stages[stages.len() + 1 - count..].to_vec();
    let [batch, width] = embedding.dims();
    levels.push(embedding.clone().reshape([batch, width, 1, 1]));
    levels
}

/// The catalog entry.
pub fn method() -> MethodSpec {
    MethodSpec {
        name: "reviewkd",
        title: "Knowledge review",
        description: "Student levels fused deepest first by attention, each matched to the teacher's level of the same depth through a pyramid of pooled MSEs.",
        placement: MethodPlacement::Term,
        needs_feature_maps: true,
        reference: "Chen et al. 2021; mdistiller ReviewKD.py",
        wire: WireType::of::<ReviewkdParams>(),
        params: vec![
            ParamSpec::number("weight", "Weight of the term", Bound::at_least(0.0)),
            ParamSpec::integer(
                "warmup_epochs",
                "Epochs over which the term ramps up linearly (mdistiller: 20)",
                Bound::whole_at_least(0),
            ),
        ],
        curves: &["reviewkd"],
        options: &[],
    }
}

impl Distiller for ReviewkdParams {
    fn add_modules(&self, pair: &StagePair<'_>, device: &Device, modules: &mut LinkModules) {
        let count = level_count(pair.student.len(), pair.teacher.len());
        modules.review = Some(ReviewFusion::init(
            &level_shapes(pair.student, pair.student_embedding, count),
            &level_shapes(pair.teacher, pair.teacher_embedding, count),
            device,
        ));
    }

    fn losses(&self, inputs: &TermInputs<'_>) -> Vec<TermLoss> {
        let fusion = inputs
            .modules
            .review
            .as_ref()
            .expect("ReviewKD's fusions (built from the validated spec)");
        let count = fusion.levels.len();
        let (student, teacher) = (inputs.student, inputs.teacher);
        let raw = fusion.loss(
            levels(&student.stages, &student.embedding, count),
            levels(&teacher.pre_activation, &teacher.embedding, count),
        );
        let warm = dkd_warmup_factor(inputs.epoch, self.warmup_epochs);
        vec![weighted("reviewkd", raw, warm * self.weight)]
    }

    fn label(&self) -> String {
        "reviewkd".into()
    }

    fn reads_teacher_features(&self) -> bool {
        true
    }

    fn reads_pre_activation(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(channels: usize, side: usize) -> StageShape {
        StageShape {
            channels,
            height: side,
            width: side,
        }
    }

    #[test]
    fn the_levels_are_the_paired_stages_from_the_output_side_and_the_embedding() {
        let stages = [shape(8, 14), shape(16, 7), shape(32, 4)];
        let count = level_count(3, 2);
        assert_eq!(count, 3);
        let levels = level_shapes(&stages, 64, count);
        assert_eq!(levels, [shape(16, 7), shape(32, 4), shape(64, 1)]);
    }

    #[test]
    fn the_deepest_fusion_has_no_attention_and_every_other_one_has() {
        let device = Device::flex();
        let fusion = ReviewFusion::init(
            &[shape(4, 8), shape(6, 4), shape(10, 1)],
            &[shape(5, 8), shape(7, 4), shape(12, 1)],
            &device,
        );
        let attention: Vec<bool> = fusion.levels.iter().map(|l| l.attention.is_some()).collect();
        assert_eq!(attention, [false, true, true]);
    }
}
