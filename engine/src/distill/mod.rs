//! Distillation methods, one file per method (as in mdistiller): each holds its loss as a pure
//! function of tensors (checked against the reference PyTorch values in `tests/golden`), its
//! catalog entry with parameter bounds and defaults, and its [`Distiller`]. The link sums a
//! stage's named terms by looping over them.

mod at;
mod ce;
mod ctkd;
mod curriculum;
mod dist;
mod dkd;
mod features;
mod fitnet;
mod kd;
mod link;
mod method;
mod mgd;
mod standardize;

pub use at::{at_loss, attention_map};
pub use ce::cross_entropy;
pub use ctkd::{ctkd_lambda, reverse_gradient, LearnedTemperature, Temperature};
pub use curriculum::{curriculum_fraction, rank_by_difficulty};
pub use dist::{dist_parts, DistParts};
pub use dkd::{dkd_parts, dkd_warmup_factor, DkdParts};
pub use features::pool_to_smaller;
pub use fitnet::{fitnet_stages, FitnetRegressor};
pub use kd::kd_loss;
pub use link::{
    distiller, link_label, link_loss, reads_teacher_features, BatchInputs, LinkModules,
    LossBreakdown, TermLoss,
};
pub use method::{Distiller, MethodSpec, ParamSpec, StagePair, TermInputs};
pub use mgd::{mgd_mask, MgdGenerator};
pub use standardize::standardize;

pub(crate) use ctkd::validate as validate_ctkd;
pub(crate) use curriculum::fill_full_at_epoch;
use link::weighted;

/// Every method a link can use, in the order forms list them: the link's own cross-entropy,
/// the loss terms, and the options (CTKD on a logit term, the sample curriculum).
pub fn catalog() -> Vec<MethodSpec> {
    vec![
        ce::method(),
        kd::method(),
        dkd::method(),
        ctkd::method(),
        curriculum::method(),
        at::method(),
        mgd::method(),
        fitnet::method(),
        dist::method(),
    ]
}

/// The catalog entry named `name`.
pub fn method_named(name: &str) -> Option<MethodSpec> {
    catalog().into_iter().find(|m| m.name == name)
}
