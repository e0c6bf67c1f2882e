//! A link of the chain: cross-entropy plus the link's distillation terms, each kept as a named
//! term (raw and weighted) so every one of them becomes a curve. Everything here is a loop over
//! the terms' [`Distiller`]s; no method is named.

use api::LinkSpec;
use burn::prelude::*;

use super::crd::CrdHead;
use super::fitnet::FitnetRegressor;
use super::method::{StagePair, TermInputs};
use super::mgd::MgdGenerator;
use super::ofd::OfdConnector;
use super::reviewkd::ReviewFusion;
use super::vid::VidRegressor;
use super::{cross_entropy, distiller, LearnedTemperature};
use crate::models::{Features, PreActivation};

/// The learnable parts a link adds to the student; they train with it.
#[derive(Module, Debug)]
pub struct LinkModules {
    /// CTKD's temperature.
    pub temperature: Option<LearnedTemperature>,
    /// MGD's generator.
    pub mgd: Option<MgdGenerator>,
    /// FitNet's regressor.
    pub fitnet: Option<FitnetRegressor>,
    /// VID's regressors, one per paired stage.
    pub vid: Vec<VidRegressor>,
    /// ReviewKD's attention-based fusions.
    pub review: Option<ReviewFusion>,
    /// OFD's connectors, one per paired stage.
    pub ofd: Vec<OfdConnector>,
    /// CRD's embedding maps and memory bank.
    pub crd: Option<CrdHead>,
}

impl LinkModules {
    /// The modules `link` needs between models with these stage shapes.
    pub fn init(link: &LinkSpec, pair: &StagePair<'_>, device: &Device) -> LinkModules {
        let mut modules = LinkModules {
            temperature: None,
            mgd: None,
            fitnet: None,
            vid: Vec::new(),
            review: None,
            ofd: Vec::new(),
            crd: None,
        };
        for term in &link.terms {
            let distiller = distiller(term);
            if let Some(c) = distiller.ctkd() {
                modules.temperature = Some(LearnedTemperature::init(
                    c.theta_init,
                    c.t_min,
                    c.t_range,
                    device,
                ));
            }
            distiller.add_modules(pair, device, &mut modules);
        }
        modules
    }

    /// The link's training state that is not a parameter (CRD's memory bank), as bytes, when
    /// it has any yet; checkpointed beside the modules.
    pub fn state_bytes(&self) -> Option<Vec<u8>> {
        self.crd.as_ref().and_then(|head| head.bank_bytes())
    }

    /// Puts back the state saved by [`Self::state_bytes`].
    pub fn restore_state(&self, bytes: &[u8]) -> Result<(), String> {
        match &self.crd {
            Some(head) => head.restore_bank(bytes),
            None => Err("the link keeps no state besides its modules".into()),
        }
    }

    /// The temperature the logit terms use this epoch, as a number (for the curves).
    pub fn temperature_value(&self, link: &LinkSpec) -> Option<f64> {
        if let Some(learned) = &self.temperature {
            return Some(learned.value());
        }
        link.terms.iter().find_map(|t| distiller(t).temperature())
    }
}

/// Whether any term of `link` reads the teacher's stage features (not only its logits).
pub fn reads_teacher_features(link: &LinkSpec) -> bool {
    link.terms
        .iter()
        .any(|t| distiller(t).reads_teacher_features())
}

/// Whether the link's forward passes keep the stages before their last ReLU (OFD reads them).
pub fn pre_activation(link: &LinkSpec) -> PreActivation {
    if link
        .terms
        .iter()
        .any(|t| distiller(t).reads_pre_activation())
    {
        PreActivation::Keep
    } else {
        PreActivation::Skip
    }
}

/// `kd`, `dkd+ctkd+curriculum`, `kd+dot`, `ce` for none: what a link does, for names and labels.
pub fn link_label(link: &LinkSpec) -> String {
    let mut parts: Vec<String> = link.terms.iter().map(|t| distiller(t).label()).collect();
    if link.curriculum.is_some() {
        parts.push("curriculum".into());
    }
    if link.dot.is_some() {
        parts.push("dot".into());
    }
    if parts.is_empty() {
        "ce".into()
    } else {
        parts.join("+")
    }
}

/// One named term of a batch's loss. // each [1]
#[derive(Debug, Clone)]
pub struct TermLoss {
    /// `ce`, or one of the names its method's catalog entry lists in `curves`.
    pub name: &'static str,
    /// The term as its formula defines it.
    pub raw: Tensor<1>,
    /// The term as it enters the total.
    pub weighted: Tensor<1>,
}

/// A term whose weighted value is `raw · weight`.
pub(super) fn weighted(name: &'static str, raw: Tensor<1>, weight: f64) -> TermLoss {
    TermLoss {
        name,
        weighted: raw.clone().mul_scalar(weight),
        raw,
    }
}

/// A batch's loss and its parts.
#[derive(Debug, Clone)]
pub struct LossBreakdown {
    /// Sum of the weighted terms. // [1]
    pub total: Tensor<1>,
    /// Every term, the cross-entropy first.
    pub terms: Vec<TermLoss>,
}

impl LossBreakdown {
    /// The sum of the weighted distillation terms (all but the cross-entropy), when the link
    /// has any. // [1]
    pub fn distillation(&self) -> Option<Tensor<1>> {
        self.terms
            .iter()
            .skip(1)
            .map(|t| t.weighted.clone())
            .reduce(|a, b| a + b)
    }
}

/// The link's weighted cross-entropy, the term every link has. // logits: [batch, classes] → [1]
pub fn task_loss(link: &LinkSpec, logits: Tensor<2>, targets: Tensor<1, Int>) -> TermLoss {
    let ce_weight = link.ce_weight.unwrap_or(api::defaults::CE_WEIGHT);
    weighted("ce", cross_entropy(logits, targets), ce_weight)
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
    /// The teacher's outputs, without gradients; absent for the first stage and baselines.
    pub teacher: Option<&'a Features>,
    /// Seeds the terms' random draws: `(seed, epoch, batch)`.
    pub draw: (u64, u64, u64),
    /// The batch's samples, as indices into the training samples.
    pub samples: &'a [usize],
    /// The label of every training sample the run draws from.
    pub training_labels: &'a [u16],
}

/// Computes the loss of one batch for a validated link.
///
/// # Panics
/// When the link has distillation terms but no teacher, or a learnable part is missing: both are
/// ruled out when the spec is validated and the modules are built from it.
pub fn link_loss(link: &LinkSpec, modules: &LinkModules, inputs: BatchInputs<'_>) -> LossBreakdown {
    let mut terms = vec![task_loss(
        link,
        inputs.student.logits.clone(),
        inputs.targets.clone(),
    )];
    if !link.terms.is_empty() {
        let term_inputs = TermInputs {
            epoch: inputs.epoch,
            targets: inputs.targets,
            student: inputs.student,
            teacher: inputs.teacher.expect("a distillation term needs a teacher"),
            modules,
            draw: inputs.draw,
            samples: inputs.samples,
            training_labels: inputs.training_labels,
        };
        for term in &link.terms {
            terms.extend(distiller(term).losses(&term_inputs));
        }
    }
    let total = terms
        .iter()
        .map(|t| t.weighted.clone())
        .reduce(|a, b| a + b)
        .expect("cross-entropy is always a term");
    LossBreakdown { total, terms }
}
