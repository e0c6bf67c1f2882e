//! The blocking side of a job: load the data and the teacher, fingerprint the run, and train
//! it with the engine, reporting through a channel to the async side. Runs on blocking threads,
//! never on the runtime.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use api::{EpochMetrics, ExperimentSpec};
use engine::data::{load, DataDirs, Split};
use engine::device::ComputeDevice;
use engine::train::{
    describe_teacher_cache, fingerprint, train_run, CancelToken, Checkpoint, ExperimentData,
    PlannedRun, RunPlan, TrainError, TrainEvent, TrainedModel,
};
use tokio::sync::mpsc::UnboundedSender;

use super::sources::ModelSource;
use crate::artifacts::Artifacts;

/// What the engine needs from the server: the device, the data and where checkpoints go.
#[derive(Debug)]
pub struct EngineRuntime {
    /// Where every run trains.
    pub device: ComputeDevice,
    /// Where datasets are looked for.
    pub data_dirs: DataDirs,
    /// The runs' checkpoint directories, and the object store they cache, if any.
    pub artifacts: Artifacts,
    datasets: Mutex<HashMap<api::DatasetName, Arc<Split>>>,
}

impl EngineRuntime {
    /// A runtime training on `device`.
    pub fn new(device: ComputeDevice, data_dirs: DataDirs, artifacts: Artifacts) -> EngineRuntime {
        EngineRuntime {
            device,
            data_dirs,
            artifacts,
            datasets: Mutex::default(),
        }
    }

    /// The whole dataset, read from disk once and then kept in memory. A registered dataset
    /// may be removed and registered again under its name: its copy is used only while its
    /// checksum is still the registered one.
    fn dataset(&self, name: &api::DatasetName) -> Result<Arc<Split>, String> {
        let current = match name.builtin() {
            Some(_) => None,
            None => Some(self.registered_checksum(name)?),
        };
        let mut cache = self.datasets.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(split) = cache.get(name).filter(|s| s.checksum == current) {
            return Ok(split.clone());
        }
        let split = Arc::new(load(name, &self.data_dirs).map_err(|e| e.to_string())?);
        cache.insert(name.clone(), split.clone());
        Ok(split)
    }

    fn registered_checksum(&self, name: &api::DatasetName) -> Result<String, String> {
        let registry = self.data_dirs.registry();
        let manifest = registry.as_ref().map(|r| r.manifest(name)).transpose();
        match manifest.map_err(|e| e.to_string())?.flatten() {
            Some(manifest) => Ok(manifest.checksum),
            None => Err(format!(
                "dataset `{name}` is not registered on this machine (looked in {}) nor in an object store; register it here too, share the data directory, or give every machine the same --artifacts store",
                registry.map_or("no data directory".into(), |r| r.root().display().to_string())
            )),
        }
    }
}

/// A run ready to train: everything loaded, the fingerprint known.
pub struct Prepared {
    data: ExperimentData,
    planned: PlannedRun,
    teacher: Option<TrainedModel>,
    imported: Option<TrainedModel>,
    /// The configuration's fingerprint (equal fingerprints train equal models).
    pub fingerprint: String,
    /// The run's checkpoint directory.
    pub checkpoint_dir: PathBuf,
}

/// Loads what run `planned` of `spec` needs: the data, its teacher, and the model it is taken
/// from when it is one.
pub fn prepare(
    runtime: &EngineRuntime,
    spec: ExperimentSpec,
    planned: PlannedRun,
    teacher: Option<ModelSource>,
    imported: Option<ModelSource>,
) -> Result<Prepared, String> {
    let full = runtime.dataset(&spec.dataset.name)?;
    let data = ExperimentData::prepare(&spec, &full);
    let device = &runtime.device;
    let load = |source: Option<ModelSource>, what: &str| {
        source.map(|s| s.load(data.input, device, what)).transpose()
    };
    let teacher = load(teacher, "the teacher's model")?;
    let imported = load(imported, "the model of the run this stage is taken from")?;
    let mut prepared = Prepared {
        data,
        planned,
        teacher,
        imported,
        fingerprint: String::new(),
        checkpoint_dir: PathBuf::new(),
    };
    let cancel = CancelToken::new();
    prepared.fingerprint = fingerprint(&prepared.plan(), &prepared.context(runtime, &cancel));
    prepared.checkpoint_dir = Checkpoint::new(
        runtime.artifacts.root(),
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
            augment: self.data.augment,
            teacher: self.teacher.as_ref(),
            imported: self.imported.as_ref(),
        }
    }

    fn context<'a>(
        &'a self,
        runtime: &'a EngineRuntime,
        cancel: &'a CancelToken,
    ) -> engine::train::RunContext<'a> {
        self.data
            .context(&runtime.device, Some(runtime.artifacts.root()), cancel)
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
    /// Something worth saying about how the run trains (the teacher's outputs are cached).
    Note(String),
}

/// Trains the prepared run to the end (resuming from its checkpoint), sending progress to `tx`.
pub fn train(
    prepared: &Prepared,
    runtime: &EngineRuntime,
    cancel: &CancelToken,
    tx: UnboundedSender<WorkerMessage>,
) -> Result<TrainedModel, TrainError> {
    let epochs = prepared.planned.budget.epochs;
    // Taken here, on the runtime's blocking thread: the engine may call the sink from threads
    // of its own pool, which know no runtime.
    let runtime_handle = tokio::runtime::Handle::current();
    let mut push_failed = false;
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
            TrainEvent::Epoch { metrics, .. } => {
                let pushed = runtime_handle
                    .block_on(runtime.artifacts.push_checkpoint(&prepared.checkpoint_dir));
                if let Err(e) = pushed {
                    tracing::warn!(run = %prepared.planned.id, error = %e, "checkpoint not stored");
                    if !std::mem::replace(&mut push_failed, true) {
                        let _ = tx.send(WorkerMessage::Note(format!(
                            "its checkpoint after epoch {} could not be stored ({e}): it trains on, and a worker taking it over would resume from an earlier epoch",
                            metrics.epoch
                        )));
                    }
                }
                WorkerMessage::Epoch(metrics.clone())
            }
            TrainEvent::TeacherCached {
                bytes, features, ..
            } => WorkerMessage::Note(describe_teacher_cache(bytes, features)),
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
