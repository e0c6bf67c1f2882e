//! Why weights cannot come in or go out, in the file's own names.

use std::collections::BTreeMap;
use std::fmt;

use burn::store::burn_pack::Tensor as PackTensor;

use super::WeightsFormat;

/// How many names a message lists before it says how many more there are.
const LISTED: usize = 12;

/// Why a file of weights cannot be imported or a model exported.
#[derive(Debug, thiserror::Error)]
pub enum WeightsError {
    /// The file is not of the format its name says.
    #[error("not a readable {} file: {message}", format.label())]
    Unreadable {
        /// The format the file was read as.
        format: WeightsFormat,
        /// What the reader said.
        message: String,
    },
    /// The file's tensors are not the architecture's.
    #[error("{0}")]
    Mismatch(Mismatch),
    /// The tensors fit by name and shape but burn could not load them.
    #[error("the weights could not be loaded: {0}")]
    Load(String),
    /// Writing the file failed.
    #[error("the weights could not be written: {0}")]
    Export(String),
}

/// A tensor whose shape in the file is not the model's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MisshapenTensor {
    /// Its name in the file.
    pub name: String,
    /// Its shape in the file.
    pub file: Vec<usize>,
    /// The shape the model needs.
    pub model: Vec<usize>,
}

/// How a file's tensors differ from the model's, by name in the reference naming.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mismatch {
    /// The model's tensors the file lacks.
    pub missing: Vec<String>,
    /// The file's tensors the model has no place for.
    pub unused: Vec<String>,
    /// Tensors of both with different shapes.
    pub misshapen: Vec<MisshapenTensor>,
    /// The file's class count when its classifier differs from the dataset's: (file, dataset).
    pub classes: Option<(usize, usize)>,
}

impl Mismatch {
    /// Compares the file's tensors with the model's; `classes` is the dataset's class count.
    pub(super) fn between(
        expected: &BTreeMap<String, Vec<usize>>,
        found: &[PackTensor],
        classes: usize,
    ) -> Mismatch {
        let found_names: BTreeMap<&str, Vec<usize>> = found
            .iter()
            .map(|t| (t.name.as_str(), t.shape.to_vec()))
            .collect();
        let missing = expected
            .keys()
            .filter(|name| !found_names.contains_key(name.as_str()))
            .cloned()
            .collect();
        let unused = found_names
            .keys()
            .filter(|name| !expected.contains_key(**name))
            .map(|name| name.to_string())
            .collect();
        let misshapen: Vec<MisshapenTensor> = expected
            .iter()
            .filter_map(|(name, model)| {
                let file = found_names.get(name.as_str())?;
                (file != model).then(|| MisshapenTensor {
                    name: name.clone(),
                    file: file.clone(),
                    model: model.clone(),
                })
            })
            .collect();
        let mut mismatch = Mismatch {
            missing,
            unused,
            misshapen,
            classes: None,
        };
        mismatch.classes = mismatch.classifier_for_other_classes(classes);
        mismatch
    }

    /// (the file's class count, the dataset's) when the file is the architecture's but for the
    /// classifier: every name matches and only one layer's weight and bias differ, the bias
    /// being the model's class count long.
    fn classifier_for_other_classes(&self, classes: usize) -> Option<(usize, usize)> {
        if !self.missing.is_empty() || !self.unused.is_empty() {
            return None;
        }
        let bias = self
            .misshapen
            .iter()
            .find(|m| m.model == [classes] && m.name.ends_with(".bias"))?;
        let layer = bias.name.strip_suffix("bias")?;
        let only_that_layer = self.misshapen.iter().all(|m| m.name.starts_with(layer));
        only_that_layer.then(|| (bias.file[0], classes))
    }

    /// `Ok` when the file fits.
    pub(super) fn into_result(self) -> Result<(), WeightsError> {
        if self.missing.is_empty() && self.unused.is_empty() && self.misshapen.is_empty() {
            Ok(())
        } else {
            Err(WeightsError::Mismatch(self))
        }
    }
}

/// `a, b, c and 4 more`.
fn listed(names: &[String]) -> String {
    let shown = names[..names.len().min(LISTED)].join(", ");
    match names.len().saturating_sub(LISTED) {
        0 => shown,
        more => format!("{shown} and {more} more"),
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some((file, dataset)) = self.classes {
            parts.push(format!(
                "the file's classifier has {file} classes, the dataset has {dataset}"
            ));
        }
        if !self.missing.is_empty() {
            parts.push(format!(
                "{} tensors of the architecture are missing from the file: {}",
                self.missing.len(),
                listed(&self.missing)
            ));
        }
        if !self.unused.is_empty() {
            parts.push(format!(
                "{} tensors of the file have no place in the architecture: {}",
                self.unused.len(),
                listed(&self.unused)
            ));
        }
        if !self.misshapen.is_empty() {
            let shapes: Vec<String> = self
                .misshapen
                .iter()
                .map(|m| format!("{} (file {:?}, model {:?})", m.name, m.file, m.model))
                .collect();
            parts.push(format!(
                "{} tensors have another shape: {}",
                shapes.len(),
                listed(&shapes)
            ));
        }
        write!(
            f,
            "the weights do not fit the architecture: {}",
            parts.join("; ")
        )
    }
}
