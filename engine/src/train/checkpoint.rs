//! Per-run checkpoints: after every epoch the student (with its link modules), the optimisers'
//! state and the curves so far. Files carry the epoch in their name and `progress.json` is
//! replaced atomically last, so a crash at any moment leaves the previous complete checkpoint.

use std::path::{Path, PathBuf};

use api::EpochMetrics;
use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::store::RecordError;
use serde::{Deserialize, Serialize};

use super::{Optimizers, Student};
use crate::models::{Model, Net, OnnxTeacher};

/// A finished run's model: a zoo net's weights.
pub const MODEL_FILE: &str = "model.bpk";

/// A finished run's model: an imported ONNX teacher's graph.
pub const ONNX_FILE: &str = "model.onnx";

/// Why a checkpoint could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// File system error.
    #[error("checkpoint {}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// burn could not write or read a record.
    #[error("checkpoint {}: {message}", .path.display())]
    Record {
        /// The file.
        path: PathBuf,
        /// burn's message.
        message: String,
    },
    /// `progress.json` is not valid.
    #[error("checkpoint {}: {message}", .path.display())]
    Progress {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// The epoch with the best validation accuracy so far, whose model is kept.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BestEpoch {
    /// 1-based epoch.
    pub epoch: usize,
    /// Its validation accuracy.
    pub val_accuracy: f64,
    /// Its test accuracy (reported, never used to choose).
    pub test_accuracy: f64,
    /// Its top-5 test accuracy, for datasets with at least 20 classes.
    pub test_top5: Option<f64>,
}

/// What a run had done when it was checkpointed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Progress {
    /// Fingerprint of the run's configuration; a checkpoint of another configuration is ignored.
    pub fingerprint: String,
    /// Finished epochs.
    pub epochs_done: usize,
    /// Their metrics.
    pub epochs: Vec<EpochMetrics>,
    /// Training seconds so far.
    pub train_seconds: f64,
    /// Training samples so far.
    pub samples: usize,
    /// The best validation epoch so far.
    #[serde(default)]
    pub best: Option<BestEpoch>,
}

impl Progress {
    /// Parses `progress.json` read from `origin` (named in the error).
    pub fn from_json(json: &[u8], origin: &Path) -> Result<Progress, CheckpointError> {
        serde_json::from_slice(json).map_err(|e| CheckpointError::Progress {
            path: origin.to_path_buf(),
            message: e.to_string(),
        })
    }

    /// Nothing done yet.
    pub fn new(fingerprint: String) -> Progress {
        Progress {
            fingerprint,
            epochs_done: 0,
            epochs: Vec::new(),
            train_seconds: 0.0,
            samples: 0,
            best: None,
        }
    }

    /// Adds a finished epoch; true when it is the new best validation epoch
    /// ([`api::is_new_val_best`]).
    pub fn record(&mut self, metrics: EpochMetrics) -> bool {
        self.epochs_done = metrics.epoch;
        self.train_seconds += metrics.train_seconds;
        self.samples += metrics.samples;
        let best_so_far = self.best.map(|b| b.val_accuracy);
        let improved = api::is_new_val_best(best_so_far, metrics.val_accuracy);
        if let (true, Some(val_accuracy)) = (improved, metrics.val_accuracy) {
            self.best = Some(BestEpoch {
                epoch: metrics.epoch,
                val_accuracy,
                test_accuracy: metrics.test_accuracy,
                test_top5: metrics.test_top5,
            });
        }
        self.epochs.push(metrics);
        improved
    }
}

/// The checkpoint directory of one run.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    dir: PathBuf,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CheckpointError + '_ {
    move |source| CheckpointError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn record(path: &Path) -> impl FnOnce(RecordError) -> CheckpointError + '_ {
    move |e| CheckpointError::Record {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

impl Checkpoint {
    /// The checkpoint of run `run_id` with configuration `fingerprint` under `root`. The
    /// fingerprint is part of the directory's name, so experiments sharing a root never
    /// overwrite each other's runs, and a run of the very same configuration finds its own.
    pub fn new(root: &Path, run_id: &str, fingerprint: &str) -> Checkpoint {
        Checkpoint {
            dir: root.join(format!("{run_id}-{fingerprint}")),
        }
    }

    /// The checkpoint kept in `dir` (a directory [`Checkpoint::new`] named earlier).
    pub fn at(dir: impl Into<PathBuf>) -> Checkpoint {
        Checkpoint { dir: dir.into() }
    }

    /// The run's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn student_path(&self, epoch: usize) -> PathBuf {
        self.dir.join(format!("student-epoch{epoch}.bpk"))
    }

    fn optimizer_path(&self, epoch: usize) -> PathBuf {
        self.dir.join(format!("optimizer-epoch{epoch}.bin"))
    }

    /// DOT's second optimiser (the distillation gradient's momentum).
    fn distillation_optimizer_path(&self, epoch: usize) -> PathBuf {
        self.dir
            .join(format!("optimizer-distillation-epoch{epoch}.bin"))
    }

    /// The link's state besides its modules (CRD's memory bank).
    fn link_state_path(&self, epoch: usize) -> PathBuf {
        self.dir.join(format!("link-state-epoch{epoch}.bin"))
    }

    /// `progress.json`: what the run had done, replaced last after every epoch.
    pub fn progress_path(&self) -> PathBuf {
        self.dir.join("progress.json")
    }

    /// The files a resume after `epochs_done` epochs reads besides `progress.json`: that
    /// epoch's student and optimiser, and the best validation epoch's model.
    pub fn resume_files(&self, epochs_done: usize) -> [PathBuf; 3] {
        [
            self.student_path(epochs_done),
            self.optimizer_path(epochs_done),
            self.best_path(),
        ]
    }

    /// The files a resume reads when the run has them: DOT's second optimiser and the link's
    /// state (CRD's memory bank).
    pub fn optional_resume_files(&self, epochs_done: usize) -> [PathBuf; 2] {
        [
            self.distillation_optimizer_path(epochs_done),
            self.link_state_path(epochs_done),
        ]
    }

    /// Where the reported model's weights are written (the best validation epoch's).
    pub fn model_path(&self) -> PathBuf {
        self.dir.join(MODEL_FILE)
    }

    /// Where an imported ONNX teacher's file is kept (in place of `model.bpk`).
    pub fn onnx_path(&self) -> PathBuf {
        self.dir.join(ONNX_FILE)
    }

    fn best_path(&self) -> PathBuf {
        self.dir.join("best.bpk")
    }

    /// Keeps `net` as the best validation epoch's model (replaced atomically).
    pub fn save_best(&self, net: &Net) -> Result<(), CheckpointError> {
        std::fs::create_dir_all(&self.dir).map_err(io(&self.dir))?;
        let temporary = self.dir.join("best.tmp.bpk");
        net.clone()
            .save_file(&temporary)
            .map_err(record(&temporary))?;
        let path = self.best_path();
        std::fs::rename(&temporary, &path).map_err(io(&path))
    }

    /// The best validation epoch's model, kept by [`Checkpoint::save_best`].
    pub fn load_best(
        &self,
        architecture: &api::Architecture,
        input: crate::models::InputShape,
        device: &burn::prelude::Device,
    ) -> Result<Net, CheckpointError> {
        let path = self.best_path();
        Net::init(architecture, input, device)
            .try_load_file(&path)
            .map_err(record(&path))
    }

    /// The saved progress, if there is a checkpoint of this configuration.
    pub fn progress(&self, fingerprint: &str) -> Result<Option<Progress>, CheckpointError> {
        Ok(self
            .saved_progress()?
            .filter(|progress| progress.fingerprint == fingerprint))
    }

    /// The saved progress of whatever configuration, if there is any.
    pub fn saved_progress(&self) -> Result<Option<Progress>, CheckpointError> {
        let path = self.progress_path();
        match std::fs::read(&path) {
            Ok(json) => Progress::from_json(&json, &path).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(&path)(e)),
        }
    }

    /// Loads the student and optimisers saved with `progress`.
    pub fn restore(
        &self,
        progress: &Progress,
        student: Student,
        optimizers: Optimizers,
    ) -> Result<(Student, Optimizers), CheckpointError> {
        let epoch = progress.epochs_done;
        let student_path = self.student_path(epoch);
        let student = student
            .try_load_file(&student_path)
            .map_err(record(&student_path))?;
        let load = |optimizer: ModuleOptimizer, path: PathBuf| {
            optimizer.load(&path).map_err(record(&path))
        };
        let state_path = self.link_state_path(epoch);
        match std::fs::read(&state_path) {
            Ok(bytes) => {
                student
                    .link
                    .restore_state(&bytes)
                    .map_err(|message| CheckpointError::Record {
                        path: state_path.clone(),
                        message,
                    })?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(&state_path)(e)),
        }
        let optimizers = Optimizers {
            task: load(optimizers.task, self.optimizer_path(epoch))?,
            distillation: match optimizers.distillation {
                Some(o) => Some(load(o, self.distillation_optimizer_path(epoch))?),
                None => None,
            },
        };
        Ok((student, optimizers))
    }

    /// Saves the state after an epoch, then removes the previous epoch's files.
    pub fn save(
        &self,
        student: &Student,
        optimizers: &Optimizers,
        progress: &Progress,
    ) -> Result<(), CheckpointError> {
        std::fs::create_dir_all(&self.dir).map_err(io(&self.dir))?;
        let epoch = progress.epochs_done;
        let student_path = self.student_path(epoch);
        student
            .clone()
            .save_file(&student_path)
            .map_err(record(&student_path))?;
        let saved = [
            (Some(&optimizers.task), self.optimizer_path(epoch)),
            (
                optimizers.distillation.as_ref(),
                self.distillation_optimizer_path(epoch),
            ),
        ];
        for (optimizer, path) in saved {
            if let Some(optimizer) = optimizer {
                optimizer.save(&path).map_err(record(&path))?;
            }
        }
        if let Some(state) = student.link.state_bytes() {
            let path = self.link_state_path(epoch);
            std::fs::write(&path, state).map_err(io(&path))?;
        }
        let path = self.progress_path();
        let temporary = self.dir.join("progress.json.tmp");
        let json = serde_json::to_vec_pretty(progress).expect("progress serializes");
        std::fs::write(&temporary, json).map_err(io(&temporary))?;
        std::fs::rename(&temporary, &path).map_err(io(&path))?;
        for old in 0..epoch {
            let _ = std::fs::remove_file(self.student_path(old));
            let _ = std::fs::remove_file(self.optimizer_path(old));
            let _ = std::fs::remove_file(self.distillation_optimizer_path(old));
            let _ = std::fs::remove_file(self.link_state_path(old));
        }
        Ok(())
    }

    /// Loads the final model of a finished run: `architecture` (resolved) on `device`, in eval
    /// mode.
    pub fn load_model(
        &self,
        architecture: &api::Architecture,
        input: crate::models::InputShape,
        device: &burn::prelude::Device,
    ) -> Result<Net, CheckpointError> {
        let path = self.model_path();
        if !path.exists() {
            return Err(io(&path)(std::io::ErrorKind::NotFound.into()));
        }
        Net::init(architecture, input, device)
            .try_load_file(&path)
            .map_err(record(&path))
    }

    /// Loads the model of a finished run or import: the ONNX teacher's file for an ONNX
    /// architecture, else [`Checkpoint::load_model`]'s weights.
    pub fn load_trained(
        &self,
        architecture: &api::Architecture,
        input: crate::models::InputShape,
        device: &burn::prelude::Device,
    ) -> Result<Model, CheckpointError> {
        let api::Architecture::Onnx(spec) = architecture else {
            return self.load_model(architecture, input, device).map(Model::Net);
        };
        let path = self.onnx_path();
        let bytes = std::fs::read(&path).map_err(io(&path))?;
        let teacher =
            OnnxTeacher::load(&bytes, spec, input).map_err(|e| CheckpointError::Record {
                path: path.clone(),
                message: e.to_string(),
            })?;
        Ok(Model::Onnx(std::sync::Arc::new(teacher)))
    }

    /// Keeps a finished run's model: a net's weights (burnpack), or an ONNX teacher's file.
    pub fn save_trained(&self, model: &Model) -> Result<PathBuf, CheckpointError> {
        match model {
            Model::Net(net) => self.save_model(net),
            Model::Onnx(onnx) => self.save_onnx(onnx.file()),
        }
    }

    /// Writes an imported ONNX teacher's file and returns it.
    pub fn save_onnx(&self, bytes: &[u8]) -> Result<PathBuf, CheckpointError> {
        std::fs::create_dir_all(&self.dir).map_err(io(&self.dir))?;
        let path = self.onnx_path();
        std::fs::write(&path, bytes).map_err(io(&path))?;
        Ok(path)
    }

    /// Writes the final model's weights (burnpack) and returns the file.
    pub fn save_model(&self, net: &Net) -> Result<PathBuf, CheckpointError> {
        std::fs::create_dir_all(&self.dir).map_err(io(&self.dir))?;
        let path = self.model_path();
        net.clone().save_file(&path).map_err(record(&path))?;
        Ok(path)
    }
}
