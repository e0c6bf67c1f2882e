//! The blocking side of a job: load the data and the teacher, fingerprint the run, and train
//! it with the engine, reporting through a channel to the async side. Runs on blocking threads,
//! never on the runtime.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use api::{EpochMetrics, ExperimentSpec, LinkSpec, RunKind, RunReport};
use engine::data::{load, DataDirs, Split};
use engine::device::ComputeDevice;
use engine::train::{
    baseline_link, fingerprint, train_run, CancelToken, Checkpoint, ExperimentData, PlannedRun,
    RunPlan, TrainError, TrainEvent, TrainedModel,
};
use tokio::sync::mpsc::UnboundedSender;

/// What the engine needs from the server: the device, the data and where checkpoints go.
#[derive(Debug)]
pub struct EngineRuntime {
    /// Where every run trains.
    pub device: ComputeDevice,
    /// Where datasets are looked for.
    pub data_dirs: DataDirs,
    /// Root of the runs' checkpoint directories.
    pub checkpoints: PathBuf,
    datasets: Mutex<HashMap<api::DatasetName, Arc<Split>>>,
}

impl EngineRuntime {
    /// A runtime training on `device`.
    pub fn new(device: ComputeDevice, data_dirs: DataDirs, checkpoints: PathBuf) -> EngineRuntime {
        EngineRuntime {
            device,
            data_dirs,
            checkpoints,
            datasets: Mutex::default(),
        }
    }

    /// The whole dataset, read from disk once and then kept in memory.
    fn dataset(&self, name: api::DatasetName) -> Result<Arc<Split>, String> {
        let mut cache = self.datasets.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(split) = cache.get(&name) {
            return Ok(split.clone());
        }
        let split = Arc::new(load(name, &self.data_dirs).map_err(|e| e.to_string())?);
        cache.insert(name, split.clone());
        Ok(split)
    }
}

/// A finished run that teaches the one about to train.
#[derive(Debug, Clone)]
pub struct TeacherSource {
    /// Its report (architecture, id).
    pub report: RunReport,
    /// Its configuration's fingerprint.
    pub fingerprint: String,
    /// Its checkpoint directory, holding `model.bpk`.
    pub model_dir: String,
}

/// A run ready to train: everything loaded, the fingerprint known.
pub struct Prepared {
    spec: ExperimentSpec,
    data: ExperimentData,
    planned: PlannedRun,
    architecture: api::Architecture,
    link: LinkSpec,
    teacher: Option<TrainedModel>,
    /// The configuration's fingerprint (equal fingerprints train equal models).
    pub fingerprint: String,
    /// The run's checkpoint directory.
    pub checkpoint_dir: PathBuf,
}

/// Loads what run `planned` of `spec` needs.
pub fn prepare(
    runtime: &EngineRuntime,
    spec: ExperimentSpec,
    planned: PlannedRun,
    teacher: Option<TeacherSource>,
) -> Result<Prepared, String> {
    let full = runtime.dataset(spec.dataset.name)?;
    let data = ExperimentData::prepare(&spec, &full);
    let stage = spec
        .chain
        .get(planned.stage_index)
        .ok_or_else(|| format!("the spec has no stage {}", planned.stage_index))?;
    let teacher = match teacher {
        None => None,
        Some(source) => {
            let net = Checkpoint::at(&source.model_dir)
                .load_model(
                    &source.report.architecture,
                    data.input,
                    &runtime.device.device,
                )
                .map_err(|e| format!("cannot load the teacher's model: {e}"))?;
            Some(TrainedModel {
                net,
                report: source.report,
                fingerprint: source.fingerprint,
            })
        }
    };
    let mut prepared = Prepared {
        architecture: stage.architecture.clone(),
        link: match planned.kind {
            RunKind::Stage => stage.link.clone(),
            RunKind::Baseline => baseline_link(),
        },
        spec,
        data,
        planned,
        teacher,
        fingerprint: String::new(),
        checkpoint_dir: PathBuf::new(),
    };
    let cancel = CancelToken::new();
    prepared.fingerprint = fingerprint(&prepared.plan(), &prepared.context(runtime, &cancel));
    prepared.checkpoint_dir = Checkpoint::new(
        &runtime.checkpoints,
        &prepared.planned.id,
        &prepared.fingerprint,
    )
    .dir()
    .to_path_buf();
    Ok(prepared)
}

impl Prepared {
    fn plan(&self) -> RunPlan<'_> {
        RunPlan {
            run: self.planned.clone(),
            architecture: self.architecture.clone(),
            link: self.link.clone(),
            budget: &self.spec.budget,
            augment: self.data.augment,
            teacher: self.teacher.as_ref(),
        }
    }

    fn context<'a>(
        &'a self,
        runtime: &'a EngineRuntime,
        cancel: &'a CancelToken,
    ) -> engine::train::RunContext<'a> {
        self.data
            .context(&runtime.device, Some(&runtime.checkpoints), cancel)
    }
}

/// What the training thread tells the async side, in order.
#[derive(Debug)]
pub enum WorkerMessage {
    /// Training starts (or resumes after `completed.len()` epochs).
    Started {
        /// Epochs in the budget.
        epochs: usize,
        /// Metrics of the epochs the checkpoint already has.
        completed: Vec<EpochMetrics>,
    },
    /// A batch finished.
    Batch {
        epoch: usize,
        epochs: usize,
        batch: usize,
        batches: usize,
        loss: f64,
    },
    /// An epoch finished and was checkpointed.
    Epoch(EpochMetrics),
}

/// Trains the prepared run to the end (resuming from its checkpoint), sending progress to `tx`.
pub fn train(
    prepared: &Prepared,
    runtime: &EngineRuntime,
    cancel: &CancelToken,
    tx: UnboundedSender<WorkerMessage>,
) -> Result<TrainedModel, TrainError> {
    let epochs = prepared.spec.budget.epochs;
    let mut sink = |event: TrainEvent<'_>| {
        let message = match event {
            TrainEvent::RunStarted { completed, .. } => WorkerMessage::Started {
                epochs,
                completed: completed.to_vec(),
            },
            TrainEvent::Batch {
                epoch,
                batch,
                batches,
                loss,
                ..
            } => WorkerMessage::Batch {
                epoch,
                epochs,
                batch,
                batches,
                loss,
            },
            TrainEvent::Epoch { metrics, .. } => WorkerMessage::Epoch(metrics.clone()),
            TrainEvent::RunFinished { .. } => return,
        };
        // The receiver lives until this thread ends; a closed channel only loses live updates.
        let _ = tx.send(message);
    };
    train_run(
        &prepared.plan(),
        &prepared.context(runtime, cancel),
        &mut sink,
    )
}
