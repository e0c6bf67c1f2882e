//! Masked generative distillation (Yang et al. 2022, yzd-v/MGD): mask the student's last-stage
//! features at random, let a small generator rebuild the teacher's features from what is left,
//! and penalise `α·Σ(G(align(f_s) ⊙ M) − f_t)² / N`.

use api::{MethodPlacement, MgdMask, MgdParams};
use burn::nn::conv::Conv2d;
use burn::prelude::*;
use burn::tensor::activation::relu;
use burn::tensor::module::adaptive_avg_pool2d;

use super::method::{Distiller, MethodSpec, ParamSpec, StagePair, TermInputs, WireType};
use super::{weighted, LinkModules, TermLoss};
use crate::checks::Bound;
use crate::kernels::conv2d as apply_conv;
use crate::models::{conv2d, StageShape};
use crate::rng::{purpose, Rng};

/// The generator, with a 1×1 alignment conv when channel counts differ.
#[derive(Module, Debug)]
pub struct MgdGenerator {
    /// 1×1 conv from the student's channels to the teacher's, when they differ.
    pub align: Option<Conv2d>,
    /// First 3×3 conv of the generator, followed by a ReLU.
    pub conv1: Conv2d,
    /// Second 3×3 conv, whose output is compared with the teacher's features.
    pub conv2: Conv2d,
}

impl MgdGenerator {
    /// A generator from student features of `student` shape to the teacher's.
    pub fn init(student: StageShape, teacher: StageShape, device: &Device) -> MgdGenerator {
        let align = (student.channels != teacher.channels)
            .then(|| conv2d(student.channels, teacher.channels, 1, 1, true, device));
        MgdGenerator {
            align,
            conv1: conv2d(teacher.channels, teacher.channels, 3, 1, true, device),
            conv2: conv2d(teacher.channels, teacher.channels, 3, 1, true, device),
        }
    }

    /// The MGD term, unweighted: `Σ(G(align(f_s) ⊙ M) − f_t)² / N`.
    /// // student: [batch, cs, hs, ws], teacher: [batch, ct, h, w], mask broadcastable to the
    /// // teacher's shape → [1]
    pub fn loss(&self, student: Tensor<4>, teacher: Tensor<4>, mask: Tensor<4>) -> Tensor<1> {
        let [batch, _, h, w] = teacher.dims();
        let [_, _, sh, sw] = student.dims();
        let student = if (sh, sw) != (h, w) {
            adaptive_avg_pool2d(student, [h, w])
        } else {
            student
        };
        let aligned = match &self.align {
            Some(conv) => apply_conv(conv, student),
            None => student,
        }; // [batch, ct, h, w]
        let generated = apply_conv(&self.conv2, relu(apply_conv(&self.conv1, aligned * mask)));
        (generated - teacher)
            .square()
            .sum()
            .div_scalar(batch as f64)
    }
}

/// A random mask: 0 with probability `ratio`, else 1; per channel `[batch, channels, 1, 1]` or
/// per position `[batch, 1, h, w]`.
pub fn mgd_mask(
    kind: MgdMask,
    ratio: f64,
    batch: usize,
    teacher: StageShape,
    rng: &mut Rng,
    device: &Device,
) -> Tensor<4> {
    let shape = match kind {
        MgdMask::Channel => [batch, teacher.channels, 1, 1],
        MgdMask::Spatial => [batch, 1, teacher.height, teacher.width],
    };
    let values: Vec<f32> = (0..shape.iter().product::<usize>())
        .map(|_| {
            if (rng.next_f32() as f64) < ratio {
                0.0
            } else {
                1.0
            }
        })
        .collect();
    Tensor::<4>::from_data(TensorData::new(values, shape), device)
}

/// The catalog entry.
pub fn method() -> MethodSpec {
    MethodSpec {
        name: "mgd",
        title: "Masked generative distillation",
        description: "Masks the student's last feature map and trains a generator to produce the teacher's from it.",
        placement: MethodPlacement::Term,
        needs_feature_maps: true,
        reference: "Yang et al. 2022; yzd-v/MGD",
        wire: WireType::of::<MgdParams>(),
        params: vec![
            ParamSpec::number("alpha", "Weight α of the term", Bound::at_least(0.0)),
            ParamSpec::number("lambda", "Masking ratio λ", Bound::at_least(0.0).below(1.0)),
            ParamSpec::choice("mask", "Mask whole channels or spatial positions", &["channel", "spatial"]),
        ],
        curves: &["mgd"],
        options: &[],
    }
}

impl Distiller for MgdParams {
    fn add_modules(&self, pair: &StagePair<'_>, device: &Device, modules: &mut LinkModules) {
        let (student, teacher) = (last(pair.student), last(pair.teacher));
        modules.mgd = Some(MgdGenerator::init(student, teacher, device));
    }

    fn losses(&self, inputs: &TermInputs<'_>) -> Vec<TermLoss> {
        let generator = inputs.modules.mgd.as_ref().expect("MGD's generator module");
        let teacher = inputs
            .teacher
            .stages
            .last()
            .expect("a conv teacher")
            .clone();
        let student = inputs
            .student
            .stages
            .last()
            .expect("a conv student")
            .clone();
        let [batch, channels, height, width] = teacher.dims();
        let (seed, epoch, batch_index) = inputs.draw;
        let mut rng = Rng::derive(seed, &[purpose::MASK, epoch, batch_index]);
        let shape = StageShape {
            channels,
            height,
            width,
        };
        let mask = mgd_mask(
            self.mask,
            self.lambda,
            batch,
            shape,
            &mut rng,
            &teacher.device(),
        );
        let raw = generator.loss(student, teacher, mask);
        vec![weighted("mgd", raw, self.alpha)]
    }

    fn label(&self) -> String {
        "mgd".into()
    }

    fn reads_teacher_features(&self) -> bool {
        true
    }
}

fn last(shapes: &[StageShape]) -> StageShape {
    *shapes
        .last()
        .expect("MGD is validated to pair convolutional models")
}
