//! Distillation methods, one file per method (as in mdistiller): each holds its loss as a pure
//! function of tensors (checked against the reference PyTorch values in `tests/golden`), its
//! catalog entry with parameter bounds and defaults, and its [`Distiller`]. The link sums a
//! stage's named terms by looping over them.
//!
//! A loss-term method is its file here and its wire variant (`api::LossTerm`); the table at
//! the end of this file is the one line that ties the two.

mod ce;
mod ctkd;
mod curriculum;
mod dot;
mod features;
mod link;
mod method;
mod standardize;

pub use ce::cross_entropy;
pub use ctkd::{ctkd_lambda, reverse_gradient, LearnedTemperature, Temperature};
pub use curriculum::{curriculum_fraction, rank_by_difficulty};
pub use dot::momenta as dot_momenta;
pub use features::{l2_normalize, pool_to_smaller};
pub use link::{
    link_label, link_loss, pre_activation, reads_teacher_features, task_loss, BatchInputs,
    LinkModules, LossBreakdown, TermLoss,
};
pub use method::{Distiller, MethodSpec, ParamSpec, StagePair, TermInputs, WireType};
pub use standardize::standardize;

pub(crate) use ctkd::validate as validate_ctkd;
pub(crate) use curriculum::fill_full_at_epoch;
pub(crate) use dot::validate as validate_dot;
use link::weighted;

use api::LossTerm;

/// Every method a link can use, in the order forms list them: the link's own cross-entropy,
/// the loss terms, and the options (CTKD on a logit term, the sample curriculum, the
/// distillation-oriented trainer).
pub fn catalog() -> Vec<MethodSpec> {
    let mut methods = vec![ce::method()];
    methods.extend(term_catalog());
    methods.extend([ctkd::method(), curriculum::method(), dot::method()]);
    methods
}

/// The catalog entry named `name`.
pub fn method_named(name: &str) -> Option<MethodSpec> {
    catalog().into_iter().find(|m| m.name == name)
}

/// Declares the loss-term methods from `module => LossTerm variant` pairs: each module (public,
/// so its loss functions can be tested against the golden cases), its catalog entry in
/// [`catalog`], and its arm of [`distiller`].
macro_rules! term_methods {
    ($($module:ident => $variant:ident),* $(,)?) => {
        $(pub mod $module;)*

        /// The catalog entries of the loss terms, in the order of the table.
        fn term_catalog() -> Vec<MethodSpec> {
            vec![$($module::method()),*]
        }

        /// The distiller of a loss term: its parameters.
        pub fn distiller(term: &LossTerm) -> &dyn Distiller {
            match term {
                $(LossTerm::$variant(params) => params,)*
            }
        }
    };
}

term_methods! {
    kd => Kd,
    dkd => Dkd,
    at => At,
    mgd => Mgd,
    fitnet => Fitnet,
    dist => Dist,
    rkd => Rkd,
    pkt => Pkt,
    sp => Sp,
    nst => Nst,
    vid => Vid,
    mlkd => Mlkd,
    reviewkd => Reviewkd,
    ofd => Ofd,
    crd => Crd,
}
