//! A link of the chain: cross-entropy plus the link's distillation terms, each kept as a named
//! term (raw and weighted) so every one of them becomes a curve.

use api::{FitnetParams, LinkSpec, LossTerm};
use burn::prelude::*;

use super::{
    at_loss, cross_entropy, ctkd_lambda, dkd_parts, dkd_warmup_factor, kd_loss, FitnetRegressor,
    LearnedTemperature, MgdGenerator, Temperature,
};
use crate::models::{Features, StageShape};

/// The learnable parts a link adds to the student; they train with it.
#[derive(Module, Debug)]
pub struct LinkModules {
    /// CTKD's temperature.
    pub temperature: Option<LearnedTemperature>,
    /// MGD's generator.
    pub mgd: Option<MgdGenerator>,
    /// FitNet's regressor.
    pub fitnet: Option<FitnetRegressor>,
}

/// Which student and teacher stages a FitNet hint pairs: the student's chosen stage (its middle
/// one by default) and the teacher stage at the same relative depth.
pub fn fitnet_stages(params: &FitnetParams, student: usize, teacher: usize) -> (usize, usize) {
    let s = params
        .hint_stage
        .unwrap_or((student.saturating_sub(1)) / 2)
        .min(student - 1);
    let t = ((s as f64 + 0.5) / student as f64 * teacher as f64) as usize;
    (s, t.min(teacher - 1))
}

impl LinkModules {
    /// The modules `link` needs between models with these stage shapes.
    pub fn init(
        link: &LinkSpec,
        student: &[StageShape],
        teacher: &[StageShape],
        device: &Device,
    ) -> LinkModules {
        let mut modules = LinkModules {
            temperature: None,
            mgd: None,
            fitnet: None,
        };
        for term in &link.terms {
            match term {
                LossTerm::Kd(api::KdParams { ctkd: Some(c), .. })
                | LossTerm::Dkd(api::DkdParams { ctkd: Some(c), .. }) => {
                    modules.temperature = Some(LearnedTemperature::init(
                        c.theta_init,
                        c.t_min,
                        c.t_range,
                        device,
                    ));
                }
                LossTerm::Mgd(_) => {
                    let (s, t) = (*student.last().unwrap(), *teacher.last().unwrap());
                    modules.mgd = Some(MgdGenerator::init(s, t, device));
                }
                LossTerm::Fitnet(params) => {
                    let (s, t) = fitnet_stages(params, student.len(), teacher.len());
                    modules.fitnet = Some(FitnetRegressor::init(student[s], teacher[t], device));
                }
                _ => {}
            }
        }
        modules
    }

    /// The temperature the logit terms use this epoch, as a number (for the curves).
    pub fn temperature_value(&self, link: &LinkSpec) -> Option<f64> {
        if let Some(learned) = &self.temperature {
            return Some(learned.value());
        }
        link.terms.iter().find_map(|term| match term {
            LossTerm::Kd(p) => Some(p.temperature),
            LossTerm::Dkd(p) => Some(p.temperature),
            _ => None,
        })
    }
}

/// One named term of a batch's loss. // each [1]
#[derive(Debug, Clone)]
pub struct TermLoss {
    /// `ce`, `kd`, `dkd_tckd`, `dkd_nckd`, `at`, `mgd`, `fitnet`.
    pub name: &'static str,
    /// The term as its formula defines it.
    pub raw: Tensor<1>,
    /// The term as it enters the total.
    pub weighted: Tensor<1>,
}

/// A batch's loss and its parts.
#[derive(Debug, Clone)]
pub struct LossBreakdown {
    /// Sum of the weighted terms. // [1]
    pub total: Tensor<1>,
    /// Every term.
    pub terms: Vec<TermLoss>,
}

/// What a link's loss is computed from.
#[derive(Debug)]
pub struct BatchInputs<'a> {
    /// 1-based epoch (DKD warm-up, CTKD schedule).
    pub epoch: usize,
    /// True labels. // [batch]
    pub targets: Tensor<1, Int>,
    /// The student's forward pass.
    pub student: &'a Features,
    /// The teacher's forward pass, without gradients; absent for the first stage and baselines.
    pub teacher: Option<&'a Features>,
    /// MGD's mask for this batch.
    pub mgd_mask: Option<Tensor<4>>,
}

/// Computes the loss of one batch for a validated link.
///
/// # Panics
/// When the link has distillation terms but no teacher, or a learnable part is missing: both are
/// ruled out when the spec is validated and the modules are built from it.
pub fn link_loss(link: &LinkSpec, modules: &LinkModules, inputs: BatchInputs<'_>) -> LossBreakdown {
    let ce_weight = link.ce_weight.unwrap_or(api::defaults::CE_WEIGHT);
    let ce = cross_entropy(inputs.student.logits.clone(), inputs.targets.clone());
    let mut terms = vec![TermLoss {
        name: "ce",
        weighted: ce.clone().mul_scalar(ce_weight),
        raw: ce,
    }];
    let teacher = || inputs.teacher.expect("a distillation term needs a teacher");
    let temperature = |fixed: f64, ctkd: &Option<api::CtkdParams>| match ctkd {
        Some(c) => {
            let lambda = ctkd_lambda(inputs.epoch, c.schedule_epochs, c.lambda_min, c.lambda_max);
            let learned = modules
                .temperature
                .as_ref()
                .expect("CTKD temperature module");
            Temperature::Learned(learned.temperature(-lambda))
        }
        None => Temperature::Fixed(fixed),
    };
    let s = inputs.student;
    for term in &link.terms {
        match term {
            LossTerm::Kd(p) => {
                let t = temperature(p.temperature, &p.ctkd);
                let raw = kd_loss(s.logits.clone(), teacher().logits.clone(), &t);
                terms.push(weighted("kd", raw, p.weight));
            }
            LossTerm::Dkd(p) => {
                let t = temperature(p.temperature, &p.ctkd);
                let parts = dkd_parts(
                    s.logits.clone(),
                    teacher().logits.clone(),
                    inputs.targets.clone(),
                    &t,
                );
                let warm = dkd_warmup_factor(inputs.epoch, p.warmup_epochs);
                terms.push(weighted("dkd_tckd", parts.tckd, warm * p.alpha));
                terms.push(weighted("dkd_nckd", parts.nckd, warm * p.beta));
            }
            LossTerm::At(p) => {
                let raw = at_loss(&s.stages, &teacher().stages, p.p);
                terms.push(weighted("at", raw, p.weight));
            }
            LossTerm::Mgd(p) => {
                let generator = modules.mgd.as_ref().expect("MGD generator module");
                let mask = inputs.mgd_mask.clone().expect("MGD mask");
                let student_last = s.stages.last().expect("student stages").clone();
                let teacher_last = teacher().stages.last().expect("teacher stages").clone();
                let raw = generator.loss(student_last, teacher_last, mask);
                terms.push(weighted("mgd", raw, p.alpha));
            }
            LossTerm::Fitnet(p) => {
                let regressor = modules.fitnet.as_ref().expect("FitNet regressor module");
                let t_stages = &teacher().stages;
                let (si, ti) = fitnet_stages(p, s.stages.len(), t_stages.len());
                let raw = regressor.loss(s.stages[si].clone(), t_stages[ti].clone());
                terms.push(weighted("fitnet", raw, p.weight));
            }
        }
    }
    let total = terms
        .iter()
        .map(|t| t.weighted.clone())
        .reduce(|a, b| a + b)
        .expect("cross-entropy is always a term");
    LossBreakdown { total, terms }
}

fn weighted(name: &'static str, raw: Tensor<1>, weight: f64) -> TermLoss {
    TermLoss {
        name,
        weighted: raw.clone().mul_scalar(weight),
        raw,
    }
}
