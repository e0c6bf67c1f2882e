//! Distill Lab's wire contract: the serde types that the engine, the `distill` binary, the
//! dashboard and the end-to-end tests exchange. Plain data only; validation lives in `engine`.

mod architecture;
mod dataset;
mod experiment;
mod link;
mod report;

pub use architecture::{Architecture, ArchitectureKind, CnnSpec, MlpSpec, ResnetSpec};
pub use dataset::{DatasetName, DatasetSpec};
pub use experiment::{Backend, Budget, ExperimentSpec, LrSchedule, OptimizerSpec, StageSpec};
pub use link::{
    defaults, AtParams, CtkdParams, CurriculumParams, Difficulty, DkdParams, FitnetParams,
    KdParams, LinkSpec, LossTerm, MgdMask, MgdParams, Pacing,
};
pub use report::{
    EpochMetrics, ExperimentReport, ModelMeasurements, ModelSummary, RunKind, RunReport, TermValue,
};
