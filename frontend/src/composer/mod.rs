//! The chain composer's model, free of any UI: a draft experiment held as the text the user
//! typed, built from a spec (a template or a cloned experiment) and turned back into the JSON
//! the server validates. Every input knows the field path the server names in its errors.

mod draft;
mod templates;
mod values;

pub use draft::{ArchDraft, Draft, ParamValue, StageDraft, TermDraft};
pub use templates::{templates, Template};
pub use values::{check_param, default_values};
