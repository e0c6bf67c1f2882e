//! Training: one run of one model to completion on one device (with checkpoints, resume and
//! cancellation), the measurements of the trained model, and whole experiments (TAKD chains,
//! seeds and the CE-only baseline) planned as runs.

mod cancel;
mod checkpoint;
mod evaluate;
mod experiment;
mod finish;
mod measure;
mod optim;
mod plan;
mod run;
mod sink;
mod stats;
mod step;
mod teacher_cache;

pub use cancel::CancelToken;
pub use checkpoint::{Checkpoint, CheckpointError, Progress, MODEL_FILE, ONNX_FILE};
pub use evaluate::{evaluate, softmax_outputs, Evaluation};
pub use experiment::{baseline_link, plan_runs, ExperimentData, PlannedRun};
pub use measure::{measure_inference, InferenceTiming};
pub use optim::{learning_rate, Optimizer, Optimizers};
pub use plan::{fingerprint, RunContext, RunPlan, Student, TrainError, TrainedModel};
pub use run::train_run;
pub use sink::{NullSink, ProgressSink, TrainEvent};
pub use teacher_cache::{
    describe as describe_teacher_cache, feature_budget, TeacherCache, DEFAULT_FEATURE_BUDGET,
};
