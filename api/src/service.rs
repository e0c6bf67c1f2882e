//! What the server says about itself and what it can do: health, system, datasets,
//! architectures and the distillation methods with their parameter schemas.

use serde::{Deserialize, Serialize};

use crate::{Architecture, DatasetName};

/// `GET /api/health`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    /// Always `ok` when the server answers.
    pub status: String,
    /// The server's version.
    pub version: String,
}

/// `GET /api/system`: where runs train and how busy the workers are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SystemInfo {
    /// The server's version.
    pub version: String,
    /// The backend runs train on (`cuda`, `wgpu` or `cpu`).
    pub backend: String,
    /// The device, as the backend names it.
    pub device: String,
    /// Why `auto` passed GPU backends by (`cuda: …; wgpu: …`), when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_reason: Option<String>,
    /// Worker slots.
    pub workers: usize,
    /// Slots training a run right now.
    pub busy: usize,
    /// Runs waiting for a slot (or for their teacher).
    pub queued_runs: usize,
    /// The processes training this lab's runs (this server when it has slots, and every
    /// `distill worker` sharing its PostgreSQL store) that were heard from lately.
    #[serde(default)]
    pub worker_processes: Vec<WorkerInfo>,
    /// `sqlite` (or `postgres`).
    pub database: String,
    /// Loss conventions every run follows.
    pub conventions: String,
}

/// One process training runs: where, on what, and how busy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkerInfo {
    /// Unique to the process.
    pub id: String,
    /// Its host's name.
    pub host: String,
    /// Its process id on that host.
    pub pid: u64,
    /// `cuda`, `wgpu` or `cpu`.
    pub backend: String,
    /// The device, as the backend names it.
    pub device: String,
    /// Runs it trains at the same time.
    pub slots: usize,
    /// Slots training a run at its last heartbeat.
    pub busy: usize,
    /// When it started, Unix milliseconds.
    pub started_at: i64,
    /// Its last heartbeat, Unix milliseconds.
    pub heartbeat_at: i64,
}

/// `GET /api/datasets`: one dataset and whether this server can read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DatasetInfo {
    /// Name used in specs.
    pub name: DatasetName,
    /// Image channels.
    pub channels: usize,
    /// Image height.
    pub height: usize,
    /// Image width.
    pub width: usize,
    /// Classes.
    pub classes: usize,
    /// Training images.
    pub train_size: usize,
    /// Test images.
    pub test_size: usize,
    /// Whether its files were found (the synthetic set always is).
    pub available: bool,
    /// Where it was found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// How to get it when it is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// For a registered dataset, its manifest (classes, counts, statistics, source, checksum);
    /// absent for a built-in one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<crate::DatasetManifest>,
}

/// `GET /api/architectures`: a named preset with its parameter count on a dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ArchitectureInfo {
    /// Preset name (`cnn-m`, `resnet8`, ...).
    pub name: String,
    /// What the preset stands for.
    pub architecture: Architecture,
    /// Trainable parameters for the dataset asked about.
    pub params: usize,
    /// The dataset the count is for.
    pub dataset: DatasetName,
}

/// `POST /api/architectures/params`: count the parameters of any architecture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ParamCountRequest {
    /// A preset or explicit sizes.
    pub architecture: Architecture,
    /// The dataset fixes the input shape and the classes (`fashion-mnist` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset: Option<DatasetName>,
}

/// The answer to [`ParamCountRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ParamCount {
    /// The architecture with presets resolved.
    pub architecture: Architecture,
    /// Trainable parameters.
    pub params: usize,
}

/// `GET /api/methods`: a distillation method and the parameters its form needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MethodInfo {
    /// The name used in specs (`kd`, `dkd`, ...).
    pub name: String,
    /// A human title.
    pub title: String,
    /// What it does, in one or two sentences.
    pub description: String,
    /// Where it sits in a link's JSON.
    pub placement: MethodPlacement,
    /// Whether it needs convolutional feature maps in both teacher and student.
    pub needs_feature_maps: bool,
    /// The paper or reference implementation.
    pub reference: String,
    /// The term options a term of this method accepts (`ctkd` on `kd` and `dkd`), by name.
    pub options: Vec<String>,
    /// Its parameters.
    pub params: Vec<ParamInfo>,
}

/// Where a method's parameters go in a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MethodPlacement {
    /// `link.ce_weight`: the cross-entropy every link has.
    Link,
    /// An entry of `link.terms` with `"method": name`.
    Term,
    /// `link.terms[i].ctkd` of a `kd` or `dkd` term.
    TermOption,
    /// `link.curriculum`.
    Curriculum,
    /// `link.dot`: how the stage's optimiser treats the link's gradients.
    Trainer,
}

/// One parameter of a method: its type, default and valid range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ParamInfo {
    /// Field name in the spec.
    pub name: String,
    /// What it controls.
    pub description: String,
    /// `number`, `integer`, `choice` or `boolean`.
    pub kind: ParamKind,
    /// Default as JSON text (`4`, `"linear"`); absent when the default depends on the spec.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// Lower bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum: Option<f64>,
    /// Whether the lower bound itself is excluded.
    pub exclusive_minimum: bool,
    /// Upper bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum: Option<f64>,
    /// Whether the upper bound itself is excluded.
    pub exclusive_maximum: bool,
    /// The allowed values of a `choice`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
}

/// The type of a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ParamKind {
    /// A finite real number.
    Number,
    /// A whole number.
    Integer,
    /// One of `choices`.
    Choice,
    /// `true` or `false`.
    Boolean,
}
