//! Importing a model trained elsewhere: a weights file is checked against the architecture
//! and converted before anything is stored (a file that does not fit is refused whole), kept
//! as burnpack in the artifacts (`import-{run id}/model.bpk`, shared with workers through the
//! object store); an ONNX file is checked against the dataset (input, logits, chosen feature
//! outputs, preprocessing) and kept as it is (`import-{run id}/model.onnx`), a frozen teacher.
//! Either is queued as a one-stage experiment whose run, of kind `imported`, a worker
//! evaluates and measures like a first stage taken from an earlier run.

use std::path::{Path, PathBuf};

use api::{Architecture, DatasetName, ExperimentSpec, RunKind, RunReport};
use engine::models::{
    import_weights, resolve_zoo, OnnxChoice, OnnxError, OnnxOutput, OnnxTeacher, WeightsError,
    WeightsFormat,
};
use engine::spec::{input_shape_of, Author, SpecError};
use engine::train::Checkpoint;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::sources::ModelSource;
use super::{Jobs, SubmitError};
use crate::artifacts::Artifacts;
use crate::store::RunRow;

/// A model file to import.
#[derive(Debug, Clone)]
pub struct ModelImport {
    /// The file, on this machine.
    pub file: PathBuf,
    /// What it holds.
    pub kind: ImportKind,
    /// What it is called (the upload's or the file's name), recorded in the experiment's notes.
    pub file_name: String,
    /// The dataset it classifies, and is evaluated on.
    pub dataset: DatasetName,
    /// The experiment's and the model's name [default: the file name].
    pub name: Option<String>,
}

/// What an imported file holds.
#[derive(Debug, Clone)]
pub enum ImportKind {
    /// Weights of one of the zoo's architectures, in the reference implementation's names.
    Weights {
        /// The file's format.
        format: WeightsFormat,
        /// The architecture they are for (a preset or sizes).
        architecture: Architecture,
    },
    /// An ONNX graph, imported as a frozen teacher: which outputs it gives and how its input
    /// is prepared.
    Onnx(OnnxChoice),
}

/// Why a model was not imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The architecture or dataset cannot be used (the error names the field), or the store
    /// failed.
    #[error(transparent)]
    Submit(#[from] SubmitError),
    /// The file is not the architecture's weights.
    #[error(transparent)]
    Weights(#[from] WeightsError),
    /// The ONNX file cannot teach on this dataset as asked.
    #[error(transparent)]
    Onnx(#[from] OnnxError),
}

/// Why an import's parameters make no import: the error names the parameter.
#[derive(Debug)]
pub enum ImportParamError {
    /// A value that is not well formed: a file name the lab does not read, an ONNX option that
    /// is not a list of numbers or a size.
    Malformed(SpecError),
    /// Values that do not go together or name nothing: an architecture with an ONNX file,
    /// ONNX options or no architecture with a weights file, an unknown architecture.
    Invalid(SpecError),
}

/// What a file called `file_name` imports as: an ONNX graph with `options` (no architecture:
/// the file carries it), or weights of `architecture` (a preset's name or its JSON, resolved;
/// no ONNX options). The one place these rules live, for the API and the command line.
pub fn import_kind(
    file_name: &str,
    architecture: Option<&str>,
    options: &OnnxOptions,
) -> Result<ImportKind, ImportParamError> {
    let error = |field: &str, message: String| SpecError {
        field: field.into(),
        message,
    };
    if is_onnx(file_name) {
        if architecture.is_some() {
            return Err(ImportParamError::Invalid(error(
                "architecture",
                "an ONNX file carries its own architecture: leave it out (name its outputs with `logits` and `features`)".into(),
            )));
        }
        return options
            .choice()
            .map(ImportKind::Onnx)
            .map_err(ImportParamError::Malformed);
    }
    let format = WeightsFormat::of_file_name(file_name).ok_or_else(|| {
        ImportParamError::Malformed(error(
            "filename",
            format!("`{file_name}` is not a model file the lab reads: name it .safetensors, .pt, .pth or .onnx"),
        ))
    })?;
    if let Some(option) = options.given().first() {
        return Err(ImportParamError::Invalid(error(
            option,
            format!("`{option}` is for ONNX files; `{file_name}` is a weights file"),
        )));
    }
    let text = architecture.ok_or_else(|| {
        ImportParamError::Invalid(error(
            "architecture",
            "a weights file needs `architecture`: a preset's name (resnet32x4) or an architecture's JSON".into(),
        ))
    })?;
    let architecture = if text.trim_start().starts_with('{') {
        serde_json::from_str(text).map_err(|e| {
            ImportParamError::Invalid(error("architecture", format!("not an architecture: {e}")))
        })?
    } else {
        Architecture::Preset {
            name: text.to_string(),
        }
    };
    // Any text is a well-formed value: one that names no architecture is a 422.
    let architecture = resolve_zoo(&architecture)
        .map_err(|m| ImportParamError::Invalid(error("architecture", m)))?;
    Ok(ImportKind::Weights {
        format,
        architecture,
    })
}

/// Whether a file name is an ONNX graph's.
fn is_onnx(file_name: &str) -> bool {
    file_name.to_ascii_lowercase().ends_with(".onnx")
}

/// Where an imported run's model waits to be evaluated.
pub fn import_dir(artifacts: &Artifacts, run_id: &str) -> PathBuf {
    artifacts.root().join(format!("import-{run_id}"))
}

impl Jobs {
    /// Checks and converts `import`'s file, stores it, and queues its evaluation; returns the
    /// experiment's id.
    pub async fn import_model(&self, import: ModelImport) -> Result<String, ImportError> {
        let name = import
            .name
            .clone()
            .unwrap_or_else(|| import.file_name.clone());
        // Refused as the validator refuses a spec's unknown dataset.
        let info =
            engine::data::describe(&import.dataset, &self.runtime().data_dirs).map_err(|e| {
                SubmitError::Invalid(SpecError {
                    field: "dataset.name".into(),
                    message: e.to_string(),
                })
            })?;
        let input = input_shape_of(&info);
        let checked = match import.kind.clone() {
            ImportKind::Weights {
                format,
                architecture,
            } => Checked::Weights {
                format,
                architecture,
            },
            ImportKind::Onnx(choice) => {
                Checked::Onnx(inspect_onnx(&import.file, input, &choice).await?)
            }
        };
        let origin = checked.origin(&import.file_name);
        let spec: ExperimentSpec = serde_json::from_value(json!({
            "name": name,
            "dataset": {"name": import.dataset},
            "chain": [{"name": name, "architecture": checked.architecture()}],
            "budget": {"epochs": 1},
            "seeds": [0],
        }))
        .map_err(|e| SubmitError::Internal(format!("the import's spec: {e}")))?;
        let (experiment, mut runs) = self.expand_by(spec, Author::ModelImport).await?;
        let run = &mut runs[0].run;
        run.kind = RunKind::Imported;
        let (architecture, run_id) = (run.architecture.clone(), run.id.clone());
        let dir = import_dir(&self.runtime().artifacts, &run_id);
        let (file, target) = (import.file.clone(), dir.clone());
        tokio::task::spawn_blocking(move || -> Result<(), ImportError> {
            let checkpoint = Checkpoint::at(&target);
            let saved = match checked {
                Checked::Weights { format, .. } => {
                    let net = import_weights(&file, format, &architecture, input)?;
                    checkpoint.save_model(&net)
                }
                Checked::Onnx(inspected) => checkpoint.save_onnx(&inspected.bytes),
            };
            saved.map_err(|e| SubmitError::Internal(e.to_string()))?;
            Ok(())
        })
        .await
        .map_err(|e| SubmitError::Internal(format!("the import crashed: {e}")))??;
        if let Err(e) = self.runtime().artifacts.push_model(&dir).await {
            let _ = tokio::fs::remove_dir_all(&dir).await;
            return Err(
                SubmitError::Internal(format!("the model could not be stored: {e}")).into(),
            );
        }
        self.insert(&experiment, &runs).await?;
        self.store()
            .set_notes(&experiment.id, Some(&origin), None)
            .await
            .map_err(SubmitError::from)?;
        tracing::info!(experiment = %experiment.id, file = %import.file_name, "model imported");
        Ok(experiment.id)
    }
}

/// An import's file once checked: weights still to convert into the architecture, or an ONNX
/// graph inspected against the dataset.
enum Checked {
    Weights {
        format: WeightsFormat,
        architecture: Architecture,
    },
    Onnx(InspectedOnnx),
}

impl Checked {
    /// The architecture the import's run has.
    fn architecture(&self) -> Architecture {
        match self {
            Checked::Weights { architecture, .. } => architecture.clone(),
            Checked::Onnx(inspected) => Architecture::Onnx(inspected.spec.clone()),
        }
    }

    /// The experiment's notes: where the model came from (for a graph, the outputs it has).
    fn origin(&self, file_name: &str) -> String {
        match self {
            Checked::Weights { format, .. } => {
                format!("Imported from {file_name} ({}).", format.label())
            }
            Checked::Onnx(inspected) => inspected.describe(file_name),
        }
    }
}

/// An ONNX file checked as a teacher: its bytes, the spec its run keeps, and every output of
/// its graph.
struct InspectedOnnx {
    bytes: Vec<u8>,
    spec: api::OnnxSpec,
    outputs: Vec<OnnxOutput>,
}

impl InspectedOnnx {
    /// The experiment's notes: where it came from, and the outputs it has to choose from.
    fn describe(&self, file_name: &str) -> String {
        let shape = |s: &[usize]| {
            let dims: Vec<String> = s.iter().map(usize::to_string).collect();
            format!("[batch, {}]", dims.join(", "))
        };
        let outputs: Vec<String> = self
            .outputs
            .iter()
            .map(|o| format!("`{}` {}", o.name, shape(&o.shape)))
            .collect();
        let features: Vec<&str> = self
            .spec
            .features
            .iter()
            .map(|f| f.output.as_str())
            .collect();
        let features = match features.is_empty() {
            true => "none (logit methods only)".to_string(),
            false => features.join(", "),
        };
        format!(
            "Imported from {file_name} (ONNX, a frozen teacher). Its outputs: {}. Logits: `{}`; stage features: {features}.",
            outputs.join(", "),
            self.spec.logits
        )
    }
}

/// Reads and checks an ONNX file as a teacher for images shaped by `input`, off the runtime.
async fn inspect_onnx(
    file: &Path,
    input: engine::models::InputShape,
    choice: &OnnxChoice,
) -> Result<InspectedOnnx, ImportError> {
    let (file, choice) = (file.to_path_buf(), choice.clone());
    tokio::task::spawn_blocking(move || -> Result<InspectedOnnx, ImportError> {
        let bytes = std::fs::read(&file).map_err(|e| {
            SubmitError::Internal(format!("the upload {} cannot be read: {e}", file.display()))
        })?;
        let (spec, outputs) = OnnxTeacher::inspect(&bytes, input, &choice)?;
        Ok(InspectedOnnx {
            bytes,
            spec,
            outputs,
        })
    })
    .await
    .map_err(|e| SubmitError::Internal(format!("the import crashed: {e}")))?
}

/// The model an `imported` run evaluates, fetched to `dir`: its report says only what the
/// import knew (the architecture, the parameter count); its fingerprint is the file's digest.
pub fn uploaded_model(row: &RunRow, dir: &Path) -> Result<ModelSource, String> {
    let architecture = row.architecture().map_err(|e| e.to_string())?;
    let file = match architecture {
        Architecture::Onnx(_) => Checkpoint::at(dir).onnx_path(),
        _ => Checkpoint::at(dir).model_path(),
    };
    let bytes = std::fs::read(&file)
        .map_err(|e| format!("the imported model {} cannot be read: {e}", file.display()))?;
    let report = RunReport {
        id: row.id.clone(),
        kind: RunKind::Imported,
        stage_index: 0,
        stage_name: row.stage_name.clone(),
        seed: row.seed as u64,
        architecture,
        teacher_run: None,
        backend: String::new(),
        device: String::new(),
        epochs: Vec::new(),
        measurements: api::ModelMeasurements {
            params: row.params as usize,
            ..Default::default()
        },
        resumed_after_epoch: None,
        imported_from: None,
    };
    Ok(ModelSource {
        report,
        fingerprint: format!("{:x}", Sha256::digest(&bytes)),
        model_dir: dir.to_string_lossy().into_owned(),
    })
}

/// An ONNX import's options as text, as the query string and the command line give them.
#[derive(Debug, Clone, Default)]
pub struct OnnxOptions {
    /// The logits output's name.
    pub logits: Option<String>,
    /// Feature outputs, comma-separated, input side first.
    pub features: Option<String>,
    /// `224` or `224,224` (height, width): the size the graph takes.
    pub size: Option<String>,
    /// Per-channel mean of pixels in `[0, 1]`, comma-separated.
    pub mean: Option<String>,
    /// Per-channel standard deviation, comma-separated.
    pub std: Option<String>,
    /// Grey images to RGB.
    pub grey_to_rgb: bool,
}

impl OnnxOptions {
    /// The option names given, for a weights file that takes none of them.
    pub fn given(&self) -> Vec<&'static str> {
        let texts = [
            ("logits", &self.logits),
            ("features", &self.features),
            ("size", &self.size),
            ("mean", &self.mean),
            ("std", &self.std),
        ];
        let mut given: Vec<&'static str> = texts
            .into_iter()
            .filter(|(_, value)| value.is_some())
            .map(|(name, _)| name)
            .collect();
        if self.grey_to_rgb {
            given.push("grey_to_rgb");
        }
        given
    }

    /// The choice these options make, or the option that is malformed (the error's field).
    /// Numbers are decimals (`0.485`, `-1`) and sides 1 to 4 digits, comma-separated, spaces
    /// allowed around them: the API document's patterns ([`NUMBERS_PATTERN`],
    /// [`SIZE_PATTERN`]) say the same.
    pub fn choice(&self) -> Result<OnnxChoice, SpecError> {
        let items = |text: &str| -> Vec<String> {
            text.split(',')
                .map(|item| item.trim_matches(' ').to_string())
                .collect()
        };
        let malformed = |field: &str, message: String| SpecError {
            field: field.into(),
            message,
        };
        let numbers = |field: &str, text: &Option<String>| -> Result<Option<Vec<f32>>, SpecError> {
            let Some(text) = text.as_deref() else {
                return Ok(None);
            };
            items(text)
                .iter()
                .map(|item| match is_decimal(item) {
                    true => item.parse::<f32>().ok(),
                    false => None,
                })
                .collect::<Option<Vec<f32>>>()
                .map(Some)
                .ok_or_else(|| {
                    malformed(
                        field,
                        format!("`{text}` is not a list of decimals (0.485,0.456,0.406)"),
                    )
                })
        };
        let size = match self.size.as_deref() {
            None => None,
            Some(text) => {
                let sides: Option<Vec<usize>> = items(text)
                    .iter()
                    .map(|item| {
                        let digits = (1..=4).contains(&item.len())
                            && item.bytes().all(|b| b.is_ascii_digit());
                        digits.then(|| item.parse().ok()).flatten()
                    })
                    .collect();
                match sides.as_deref() {
                    Some(&[side]) => Some([side, side]),
                    Some(&[height, width]) => Some([height, width]),
                    _ => {
                        return Err(malformed(
                            "size",
                            format!("`{text}` is not a size: give 224, or height,width (224,224)"),
                        ))
                    }
                }
            }
        };
        let features = self
            .features
            .as_deref()
            .map(|text| items(text).into_iter().filter(|f| !f.is_empty()).collect())
            .unwrap_or_default();
        Ok(OnnxChoice {
            logits: self.logits.clone().filter(|l| !l.trim().is_empty()),
            features,
            preprocess: api::OnnxPreprocess {
                size,
                mean: numbers("mean", &self.mean)?,
                std: numbers("std", &self.std)?,
                grey_to_rgb: self.grey_to_rgb,
            },
        })
    }
}

/// A list of decimals as `mean` and `std` take it.
pub const NUMBERS_PATTERN: &str = "^ *-?[0-9]+(\\.[0-9]+)? *(, *-?[0-9]+(\\.[0-9]+)? *)*$";

/// A size as `size` takes it: one side, or height and width.
pub const SIZE_PATTERN: &str = "^ *[0-9]{1,4} *(, *[0-9]{1,4} *)?$";

/// `-?[0-9]+(\.[0-9]+)?`.
fn is_decimal(text: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    match unsigned.split_once('.') {
        Some((whole, fraction)) => digits(whole) && digits(fraction),
        None => digits(unsigned),
    }
}
