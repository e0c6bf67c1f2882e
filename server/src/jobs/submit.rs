//! Submitting an experiment: validate the spec, check its dataset is here, expand it into runs
//! (each seed's chain in teaching order, then its baseline) with fresh ids, and queue them.

use std::collections::HashMap;

use api::{Architecture, ExperimentSpec, StageSpec};
use engine::distill::link_label;
use engine::spec::{validate_by, Author, SpecError, ValidatedSpec};
use engine::train::{plan_runs, PlannedRun};

use super::sources::imported_model;
use super::Jobs;
use crate::ids::new_id;
use crate::store::{now_ms, NewExperiment, NewRun, StoreError};

/// Why an experiment was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The spec cannot run; the error names the field.
    #[error(transparent)]
    Invalid(#[from] SpecError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A bug.
    #[error("{0}")]
    Internal(String),
}

/// `cnn-m`, `mlp [32]`, `run 0123…`: what a stage's model is, as the user wrote it (presets
/// by name).
fn model_label(stage: &StageSpec) -> String {
    match (&stage.architecture, &stage.from_run) {
        (_, Some(run)) => format!("run {run}"),
        (Some(Architecture::Preset { name }), None) => name.clone(),
        (Some(Architecture::Mlp(m)), None) => format!("mlp {:?}", m.hidden),
        (Some(Architecture::Cnn(c)), None) => format!("cnn {:?}", c.channels),
        (Some(Architecture::Resnet(r)), None) => format!("resnet{}×{}", r.depth, r.width),
        (Some(Architecture::Wrn(r)), None) => format!("wrn-{}-{}", r.depth, r.widen),
        (Some(Architecture::Vgg(v)), None) => format!("vgg {:?}", v.blocks),
        (Some(Architecture::Mobilenetv2(m)), None) => {
            format!("mobilenetv2 t{} ×{}", m.expansion, m.width)
        }
        (Some(Architecture::Onnx(o)), None) => o.label(),
        (Some(Architecture::Shufflenetv2(s)), None) => format!("shufflenetv2 ×{}", s.size),
        (Some(Architecture::ImagenetResnet(r)), None) => {
            format!("resnet{} (torchvision) ×{}", r.depth, r.width)
        }
        (None, None) => "?".into(),
    }
}

/// What [`Jobs::submit_or_resume`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submitted {
    /// A new experiment was queued.
    New(String),
    /// The store already had this very experiment: its runs that had not succeeded are queued
    /// again (they resume from their checkpoints).
    Resumed {
        /// The experiment.
        id: String,
        /// Runs queued again.
        requeued: usize,
    },
}

impl Submitted {
    /// The experiment's id.
    pub fn id(&self) -> &str {
        match self {
            Submitted::New(id) | Submitted::Resumed { id, .. } => id,
        }
    }
}

impl Jobs {
    /// Validates `spec`, stores it with its runs queued, and wakes the workers. Returns the id.
    pub async fn submit(&self, spec: ExperimentSpec) -> Result<String, SubmitError> {
        let (experiment, runs) = self.expand(spec).await?;
        self.insert(&experiment, &runs).await?;
        Ok(experiment.id)
    }

    /// Like [`Jobs::submit`], unless the store already has an experiment of the very same
    /// resolved spec: then that one continues (`distill run` run again resumes).
    pub async fn submit_or_resume(&self, spec: ExperimentSpec) -> Result<Submitted, SubmitError> {
        let (experiment, runs) = self.expand(spec).await?;
        let store = self.store();
        if let Some(existing) = store.experiment_with_spec(&experiment.spec).await? {
            let requeued = store
                .requeue_unfinished(
                    &existing.id,
                    "queued again: the same experiment was run again",
                )
                .await?;
            self.0.wake.notify_one();
            return Ok(Submitted::Resumed {
                id: existing.id,
                requeued,
            });
        }
        self.insert(&experiment, &runs).await?;
        Ok(Submitted::New(experiment.id))
    }

    pub(super) async fn insert(
        &self,
        experiment: &NewExperiment,
        runs: &[NewRun],
    ) -> Result<(), SubmitError> {
        self.store().insert_experiment(experiment, runs).await?;
        self.0.wake.notify_one();
        tracing::info!(experiment = %experiment.id, name = %experiment.name, runs = runs.len(), "experiment queued");
        Ok(())
    }

    /// Validates a user's `spec` (its first stage's run looked up), checks its dataset is
    /// here, and expands it into the experiment and its runs, with fresh ids.
    pub(super) async fn expand(
        &self,
        spec: ExperimentSpec,
    ) -> Result<(NewExperiment, Vec<NewRun>), SubmitError> {
        self.expand_by(spec, Author::User).await
    }

    /// [`Jobs::expand`] for a spec written by `author`.
    pub(super) async fn expand_by(
        &self,
        spec: ExperimentSpec,
        author: Author,
    ) -> Result<(NewExperiment, Vec<NewRun>), SubmitError> {
        // Before validation resolves presets into sizes.
        let models: Vec<String> = spec.chain.iter().map(model_label).collect();
        let imported = imported_model(self.store(), &self.runtime().artifacts, &spec)
            .await?
            .map(|(model, _)| model);
        // Validation builds each model once to count its parameters: keep it off the runtime.
        let dirs = self.runtime().data_dirs.clone();
        let validated = tokio::task::spawn_blocking(move || {
            validate_by(spec, imported.as_ref(), &dirs, author)
        })
        .await
        .map_err(|e| SubmitError::Internal(format!("validation crashed: {e}")))??;
        let dataset = &validated.spec.dataset.name;
        if *dataset != api::BuiltinDataset::Synthetic
            && engine::data::locate(dataset, &self.runtime().data_dirs).is_none()
        {
            return Err(SpecError {
                field: "dataset.name".into(),
                message: format!(
                    "{dataset} is not installed on this server; install it with `distill data fetch {dataset}` (or Debian's dataset-{dataset} package), or pick another dataset"
                ),
            }
            .into());
        }
        let runtime = self.runtime();
        crate::dataset_sharing::share(&runtime.artifacts, &runtime.data_dirs, dataset)
            .await
            .map_err(|e| {
                SubmitError::Internal(format!("cannot share {dataset} with the workers: {e}"))
            })?;
        Ok((experiment_of(&validated, &models), runs_of(&validated)))
    }
}

/// The experiment row of a validated spec; `models` are its stages' models as written.
fn experiment_of(validated: &ValidatedSpec, models: &[String]) -> NewExperiment {
    let spec = &validated.spec;
    let labels: Vec<String> = spec
        .chain
        .iter()
        .zip(models)
        .map(|(stage, model)| format!("{} ({model})", stage.name.as_deref().unwrap_or("stage")))
        .collect();
    let name = spec.name.clone().unwrap_or_else(|| {
        let link = validated
            .stages
            .last()
            .map(|s| link_label(&s.link))
            .unwrap_or_default();
        format!("{} · {link}", models.join(" → "))
    });
    NewExperiment {
        id: new_id(),
        name,
        dataset: spec.dataset.name.as_str().into(),
        warnings: validated.warnings.clone(),
        chain: labels,
        created_at: now_ms(),
        spec: spec.clone(),
    }
}

/// The runs of a validated spec, with fresh ids, in training order.
fn runs_of(validated: &ValidatedSpec) -> Vec<NewRun> {
    let planned = plan_runs(validated);
    let ids: HashMap<String, String> = planned.iter().map(|p| (p.id.clone(), new_id())).collect();
    planned
        .into_iter()
        .map(|p| NewRun {
            params: validated.stages[p.stage_index].params,
            run: PlannedRun {
                id: ids[&p.id].clone(),
                teacher: p.teacher.as_ref().map(|t| ids[t].clone()),
                ..p
            },
        })
        .collect()
}
