//! What a distillation method is. Each method file declares its catalog entry — parameters with
//! their bounds, the `api` type that carries them (its schema name, serde defaults and field
//! errors read from the type itself), the curves it reports, the options it takes — and, for
//! loss terms, a [`Distiller`]: the checks it adds to a link, the modules it adds to the
//! student, its named loss terms and its label. Parsing, validation, `/api/methods` and the
//! OpenAPI document all read these entries, so a method's rules live in its own file only.

use api::{MethodInfo, MethodPlacement, ParamInfo, ParamKind};
use burn::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use super::{LinkModules, TermLoss};
use crate::checks::{first_field_error, Bound, FieldError, SpecError};
use crate::models::{Features, NormBeforeRelu, StageShape};

/// One parameter of a method.
#[derive(Debug, Clone)]
pub struct ParamSpec {
    /// Field name in the spec.
    pub name: &'static str,
    /// What it controls.
    pub description: &'static str,
    /// Its type.
    pub kind: ParamKind,
    /// The numbers it accepts (numbers and integers).
    pub bound: Option<Bound>,
    /// The values it accepts (choices).
    pub choices: &'static [&'static str],
}

impl ParamSpec {
    /// A real number inside `bound`.
    pub const fn number(name: &'static str, description: &'static str, bound: Bound) -> Self {
        ParamSpec {
            name,
            description,
            kind: ParamKind::Number,
            bound: Some(bound),
            choices: &[],
        }
    }

    /// A whole number inside `bound`.
    pub const fn integer(name: &'static str, description: &'static str, bound: Bound) -> Self {
        ParamSpec {
            kind: ParamKind::Integer,
            ..ParamSpec::number(name, description, bound)
        }
    }

    /// One of `choices`.
    pub const fn choice(
        name: &'static str,
        description: &'static str,
        choices: &'static [&'static str],
    ) -> Self {
        ParamSpec {
            name,
            description,
            kind: ParamKind::Choice,
            bound: None,
            choices,
        }
    }

    /// `true` or `false`.
    pub const fn boolean(name: &'static str, description: &'static str) -> Self {
        ParamSpec {
            name,
            description,
            kind: ParamKind::Boolean,
            bound: None,
            choices: &[],
        }
    }
}

/// A method's catalog entry.
#[derive(Debug, Clone)]
pub struct MethodSpec {
    /// The name in specs (`kd`, `dkd`, ...).
    pub name: &'static str,
    /// A human title.
    pub title: &'static str,
    /// What it does, in a sentence or two.
    pub description: &'static str,
    /// Where its parameters go in a link.
    pub placement: MethodPlacement,
    /// Whether teacher and student must both have convolutional feature maps.
    pub needs_feature_maps: bool,
    /// The paper or reference implementation.
    pub reference: &'static str,
    /// The `api` type holding its parameters.
    pub wire: WireType,
    /// Its parameters.
    pub params: Vec<ParamSpec>,
    /// The names of the loss curves a term of this method reports (`dkd_tckd`, `dkd_nckd`).
    pub curves: &'static [&'static str],
    /// The term options it accepts (`ctkd` on `kd` and `dkd`).
    pub options: &'static [&'static str],
}

/// The `api` type that carries a method's parameters, and what the catalog reads from it.
#[derive(Debug, Clone)]
pub struct WireType {
    /// Its name, which is also its schema's name in the OpenAPI document.
    pub schema: &'static str,
    /// Its parameters as serde fills them in from nothing (absent where the default depends on
    /// the rest of the spec).
    pub defaults: Value,
    /// The first bad field of a JSON object read as this type.
    first_error: fn(Map<String, Value>) -> Option<FieldError>,
}

impl WireType {
    /// The entry of `T`, an `api` type whose every field has a serde default.
    pub fn of<T: DeserializeOwned + Serialize>() -> WireType {
        let full_name = std::any::type_name::<T>();
        WireType {
            schema: full_name.rsplit("::").next().unwrap_or(full_name),
            defaults: defaults_of::<T>(),
            first_error: first_field_error::<T>,
        }
    }

    /// The first bad field of `object` read as this type, if any.
    pub fn first_error(&self, object: Map<String, Value>) -> Option<FieldError> {
        (self.first_error)(object)
    }
}

/// The parameters of `T` as serde's defaults fill them in.
fn defaults_of<T: DeserializeOwned + Serialize>() -> Value {
    let filled: T = serde_json::from_value(Value::Object(Default::default()))
        .expect("every parameter of a method has a serde default");
    serde_json::to_value(filled).expect("parameters serialize")
}

/// A default as JSON text, numbers the way people write them (`8`, `0.00007`, not `8.0`,
/// `7e-5`).
fn default_text(value: &Value) -> String {
    match value.as_f64() {
        Some(number) => number.to_string(),
        None => value.to_string(),
    }
}

impl MethodSpec {
    /// The entry as `/api/methods` serves it.
    pub fn info(&self) -> MethodInfo {
        MethodInfo {
            name: self.name.into(),
            title: self.title.into(),
            description: self.description.into(),
            placement: self.placement,
            needs_feature_maps: self.needs_feature_maps,
            reference: self.reference.into(),
            options: self.options.iter().map(|o| o.to_string()).collect(),
            params: self
                .params
                .iter()
                .map(|p| ParamInfo {
                    name: p.name.into(),
                    description: p.description.into(),
                    kind: p.kind,
                    default: self
                        .wire
                        .defaults
                        .get(p.name)
                        .filter(|v| !v.is_null())
                        .map(default_text),
                    minimum: p.bound.and_then(|b| b.min),
                    exclusive_minimum: p.bound.is_some_and(|b| b.exclusive_min),
                    maximum: p.bound.and_then(|b| b.max),
                    exclusive_maximum: p.bound.is_some_and(|b| b.exclusive_max),
                    choices: p.choices.iter().map(|c| c.to_string()).collect(),
                })
                .collect(),
        }
    }

    /// Checks every bounded parameter present in `params` (the parameters as JSON); `at` is
    /// their field path.
    pub fn check(&self, params: &Value, at: &str) -> Result<(), SpecError> {
        for param in &self.params {
            let (Some(bound), Some(value)) = (param.bound, params.get(param.name)) else {
                continue;
            };
            if let Some(number) = value.as_f64() {
                bound.check(number, format!("{at}.{}", param.name))?;
            }
        }
        Ok(())
    }
}

/// The stage shapes of a link's student and teacher.
#[derive(Debug, Clone, Copy)]
pub struct StagePair<'a> {
    /// The student's stages, input side first.
    pub student: &'a [StageShape],
    /// The teacher's stages.
    pub teacher: &'a [StageShape],
    /// The width of the student's embedding (the vector its classifier reads).
    pub student_embedding: usize,
    /// The width of the teacher's embedding.
    pub teacher_embedding: usize,
    /// The teacher's batch norm before each stage's last ReLU, input side first (OFD's margins);
    /// empty while a spec is only validated.
    pub teacher_norms: &'a [NormBeforeRelu],
}

/// What a term's loss is computed from, for one batch.
#[derive(Debug)]
pub struct TermInputs<'a> {
    /// 1-based epoch (DKD warm-up, CTKD schedule).
    pub epoch: usize,
    /// True labels. // [batch]
    pub targets: Tensor<1, Int>,
    /// The student's forward pass.
    pub student: &'a Features,
    /// The teacher's outputs, as constants of the student's graph (only the logits when no term
    /// of the link reads features).
    pub teacher: &'a Features,
    /// The student's learnable link parts.
    pub modules: &'a LinkModules,
    /// Seeds the term's own random draws (MGD's masks): `(seed, epoch, batch)`.
    pub draw: (u64, u64, u64),
    /// The batch's samples, as indices into the training samples (CRD's memory rows).
    pub samples: &'a [usize],
    /// The label of every training sample the run draws from (CRD's negatives).
    pub training_labels: &'a [u16],
}

/// A distillation term of a link.
pub trait Distiller {
    /// Rules beyond the parameters' bounds (relations between parameters, stages of the pair);
    /// `at` is the term's field path.
    fn validate(&self, _pair: &StagePair<'_>, _at: &str) -> Result<(), SpecError> {
        Ok(())
    }

    /// Adds the learnable parts the term needs to the student's link modules.
    fn add_modules(&self, _pair: &StagePair<'_>, _device: &Device, _modules: &mut LinkModules) {}

    /// The term's named losses on a batch.
    fn losses(&self, inputs: &TermInputs<'_>) -> Vec<TermLoss>;

    /// How the term appears in names and labels (`kd`, `dkd+ctkd`, `kd+ls`).
    fn label(&self) -> String;

    /// The fixed temperature it softens logits with, for the curves.
    fn temperature(&self) -> Option<f64> {
        None
    }

    /// Its learned temperature's settings (CTKD), when it learns one.
    fn ctkd(&self) -> Option<&api::CtkdParams> {
        None
    }

    /// The CE weight of a link whose first logit term this is, when the link does not set one
    /// (mdistiller's KD pairs CE 0.1 with KD 0.9); `None` for terms with no say.
    fn ce_weight_beside(&self) -> Option<f64> {
        None
    }

    /// Whether it reads the teacher's stage features (not only its logits).
    fn reads_teacher_features(&self) -> bool {
        false
    }

    /// Whether it reads the stages before their last ReLU ([`Features::pre_activation`]).
    fn reads_pre_activation(&self) -> bool {
        false
    }

    /// Whether it reads the teacher's batch norms before each stage's last ReLU
    /// ([`StagePair::teacher_norms`]).
    fn reads_teacher_norms(&self) -> bool {
        false
    }
}
