//! Multi-level logit distillation (Jin, Wang & Lin, CVPR 2023; the authors'
//! `mdistiller/distillers/MLKD.py`): the student's softened outputs are aligned with the
//! teacher's at three levels, each summed over the temperatures T ∈ {2, 3, 4, 5, 6} (the
//! paper's prediction augmentation). With `P = softmax(z/T)`, `[batch, classes]`:
//! - instance: `T²·KL(P_t ‖ P_s)`, batch mean (KD at each temperature; with logit
//!   standardisation the logits are z-scored first, at this level only, as in the code);
//! - batch: `‖P_t·P_tᵀ − P_s·P_sᵀ‖²_F / batch`, the samples' similarity matrices;
//! - class: `‖P_tᵀ·P_t − P_sᵀ·P_s‖²_F / classes`, the classes' correlation matrices.
//!
//! The term is `weight·(instance + batch + class)`. The authors also train on a second,
//! strongly augmented view of each image with median-confidence masks; the lab's MLKD sees the
//! batch it trains on, once.

use api::{MethodPlacement, MlkdParams};
use burn::prelude::*;
use burn::tensor::activation::softmax;

use super::kd::{kd_loss, LOGIT_STANDARDIZATION};
use super::method::{Distiller, MethodSpec, ParamSpec, TermInputs, WireType};
use super::{standardize, weighted, Temperature, TermLoss};
use crate::checks::Bound;

/// The temperatures every level is summed over.
pub const TEMPERATURES: [f64; 5] = [2.0, 3.0, 4.0, 5.0, 6.0];

/// The three levels of MLKD, each summed over [`TEMPERATURES`]. // each [1]
#[derive(Debug, Clone)]
pub struct MlkdParts {
    /// KD per sample.
    pub instance: Tensor<1>,
    /// The batch's sample-by-sample similarity matrix.
    pub batch: Tensor<1>,
    /// The class-by-class correlation matrix over the batch.
    pub class: Tensor<1>,
}

/// `‖a − b‖²_F / divisor`. // [n, n] each → [1]
fn squared_distance(a: Tensor<2>, b: Tensor<2>, divisor: usize) -> Tensor<1> {
    (a - b).square().sum().div_scalar(divisor as f64)
}

/// MLKD's levels. // student, teacher: [batch, classes]
pub fn mlkd_parts(student: Tensor<2>, teacher: Tensor<2>, logit_standardization: bool) -> MlkdParts {
    let [batch, classes] = student.dims();
    let (standardized_student, standardized_teacher) =
        standardize::when(logit_standardization, student.clone(), teacher.clone());
    let mut levels: Option<MlkdParts> = None;
    for t in TEMPERATURES {
        let temperature = Temperature::Fixed(t);
        let instance = kd_loss(
            standardized_student.clone(),
            standardized_teacher.clone(),
            &temperature,
        );
        let ps = softmax(temperature.soften(student.clone()), 1); // [batch, classes]
        let pt = softmax(temperature.soften(teacher.clone()), 1);
        let by_sample = |p: &Tensor<2>| p.clone().matmul(p.clone().transpose()); // [batch, batch]
        let by_class = |p: &Tensor<2>| p.clone().transpose().matmul(p.clone()); // [classes, classes]
        let at_t = MlkdParts {
            instance,
            batch: squared_distance(by_sample(&pt), by_sample(&ps), batch),
            class: squared_distance(by_class(&pt), by_class(&ps), classes),
        };
        levels = Some(match levels {
            None => at_t,
            Some(sum) => MlkdParts {
                instance: sum.instance + at_t.instance,
                batch: sum.batch + at_t.batch,
                class: sum.class + at_t.class,
            },
        });
    }
    levels.expect("at least one temperature")
}

/// The catalog entry.
pub fn method() -> MethodSpec {
    MethodSpec {
        name: "mlkd",
        title: "Multi-level logit distillation",
        description: "Aligns the softened outputs per sample (KD), across the batch (sample similarities) and across classes (class correlations), each summed over the temperatures 2–6.",
        placement: MethodPlacement::Term,
        needs_feature_maps: false,
        reference: "Jin et al. 2023; Jin-Ying/Multi-Level-Logit-Distillation MLKD.py",
        wire: WireType::of::<MlkdParams>(),
        params: vec![
            ParamSpec::number("weight", "Weight of the whole term (every level)", Bound::at_least(0.0)),
            LOGIT_STANDARDIZATION,
        ],
        curves: &["mlkd_instance", "mlkd_batch", "mlkd_class"],
        options: &[],
    }
}

impl Distiller for MlkdParams {
    fn losses(&self, inputs: &TermInputs<'_>) -> Vec<TermLoss> {
        let parts = mlkd_parts(
            inputs.student.logits.clone(),
            inputs.teacher.logits.clone(),
            self.logit_standardization,
        );
        vec![
            weighted("mlkd_instance", parts.instance, self.weight),
            weighted("mlkd_batch", parts.batch, self.weight),
            weighted("mlkd_class", parts.class, self.weight),
        ]
    }

    fn label(&self) -> String {
        standardize::label("mlkd", self.logit_standardization)
    }
}
