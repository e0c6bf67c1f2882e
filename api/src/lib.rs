//! Distill Lab's wire contract: the serde types that the engine, the `distill` binary and its
//! REST API, the dashboard and the end-to-end tests exchange. Plain data (and the one way sizes
//! are written, [`bytes_text`]); validation lives in `engine` and `server`. With the `openapi` feature every type also derives its OpenAPI
//! schema.

mod access;
mod architecture;
mod curves;
mod dataset;
mod errors;
mod events;
mod experiment;
mod jobs;
mod link;
mod report;
mod service;
mod share;
mod sweep;
mod units;

pub use access::{
    ApiTokenInfo, CreatedApiToken, LoginRequest, NewApiToken, SessionInfo, TokenScope,
};
pub use architecture::{
    Architecture, ArchitectureKind, CnnSpec, ImagenetResnetSpec, MlpSpec, MobilenetV2Spec,
    OnnxFeature, OnnxPreprocess, OnnxSpec, ResnetSpec, ShufflenetV2Spec, VggSpec, WrnSpec,
};
pub use curves::{
    ComparedModel, ComparedRun, Comparison, Curve, CurvePoint, ExperimentCurves, ExperimentExport,
    ModelCurves, ModelGain, RawCurve, RunCurves, SpreadCurve, SpreadPoint,
};
pub use dataset::{BuiltinDataset, DatasetManifest, DatasetName, DatasetSpec};
pub use errors::{ErrorBody, ErrorDetail};
pub use events::ExperimentEvent;
pub use experiment::{Backend, Budget, ExperimentSpec, LrSchedule, OptimizerSpec, StageSpec};
pub use jobs::{
    ExperimentDetail, ExperimentNotes, ExperimentPage, ExperimentSummary, RunListing, RunProgress,
    RunStatus, RunSummary, Tag,
};
pub use units::bytes_text;
// Every type of a link's wire format, so that a method's variant and parameters live in
// `link.rs` alone.
pub use link::*;
pub use report::{
    is_new_val_best, EpochMetrics, Estimate, ExperimentReport, ModelMeasurements, ModelSummary,
    PairedGain, RunKind, RunReport, TermValue,
};
pub use service::{
    ArchitectureInfo, DatasetInfo, Health, MethodInfo, MethodPlacement, ParamCount,
    ParamCountRequest, ParamInfo, ParamKind, SystemInfo, WorkerInfo,
};
pub use share::{ShareLink, ShareRequest, ShareTarget, SharedView};
pub use sweep::{
    Confirm, Confirmation, Dimension, EarlyStopping, Strategy, SweepCreated, SweepSpec,
    SweepStatus, SweepSummary, SweepView, TrialView,
};
