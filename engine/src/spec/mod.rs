//! Parsing and validating experiment specs at the edge: errors name the offending field, presets
//! and defaults are resolved so the stored spec says exactly what runs.

mod architecture_rules;
pub(crate) mod bounds;
mod link_rules;
mod methods;
mod parse;
mod validate;

pub(crate) use validate::validate_seeds;

pub use crate::checks::{Bound, SpecError};
pub use architecture_rules::check_architecture;
pub use bounds::{schema_rules, Rule, SchemaRule};
pub use methods::methods;
pub use parse::{parse_spec, parse_spec_value};
pub use validate::{
    dataset_of, default_validation_samples, input_shape_of, validate, validate_by, Author,
    ImportedModel, Stage, ValidatedSpec,
};
