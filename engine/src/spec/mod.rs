//! Parsing and validating experiment specs at the edge: errors name the offending field, presets
//! and defaults are resolved so the stored spec says exactly what runs.

mod architecture_rules;
mod bounds;
mod link_rules;
mod methods;
mod parse;
mod validate;

pub use architecture_rules::check_architecture;
pub use bounds::{schema_rules, Bound, Rule, SchemaRule};
pub use methods::methods;
pub use parse::{parse_spec, parse_spec_value};
pub use validate::{
    default_validation_samples, input_shape, input_shape_of, validate, ImportedModel, Stage,
    ValidatedSpec,
};

/// A spec that cannot run, with the field to blame (`chain[1].link.terms[0].temperature`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct SpecError {
    /// Path of the field, in JSON terms.
    pub field: String,
    /// What is wrong and, where possible, what would be right.
    pub message: String,
}

impl SpecError {
    pub(crate) fn new(field: impl Into<String>, message: impl Into<String>) -> SpecError {
        SpecError {
            field: field.into(),
            message: message.into(),
        }
    }
}
