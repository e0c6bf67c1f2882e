//! Submitting an experiment: validate the spec, check its dataset is here, expand it into runs
//! (each seed's chain in teaching order, then its baseline) with fresh ids, and queue them.

use std::collections::HashMap;

use api::{Architecture, ExperimentSpec, StageSpec};
use engine::distill::link_label;
use engine::spec::{validate, SpecError};
use engine::train::plan_runs;

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
        (None, None) => "?".into(),
    }
}

impl Jobs {
    /// Validates `spec`, stores it with its runs queued, and wakes the workers. Returns the id.
    pub async fn submit(&self, spec: ExperimentSpec) -> Result<String, SubmitError> {
        // Before validation resolves presets into sizes.
        let models: Vec<String> = spec.chain.iter().map(model_label).collect();
        let imported = imported_model(self.store(), &spec)
            .await?
            .map(|(model, _)| model);
        // Validation builds each model once to count its parameters: keep it off the runtime.
        let validated = tokio::task::spawn_blocking(move || validate(spec, imported.as_ref()))
            .await
            .map_err(|e| SubmitError::Internal(format!("validation crashed: {e}")))??;
        let dataset = validated.spec.dataset.name;
        if dataset != api::DatasetName::Synthetic
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
        let spec = validated.spec.clone();
        let labels: Vec<String> = spec
            .chain
            .iter()
            .zip(&models)
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
        let experiment = NewExperiment {
            id: new_id(),
            name,
            dataset: dataset.as_str().into(),
            warnings: validated.warnings.clone(),
            chain: labels,
            created_at: now_ms(),
            spec: spec.clone(),
        };
        let planned = plan_runs(&validated);
        let ids: HashMap<String, String> =
            planned.iter().map(|p| (p.id.clone(), new_id())).collect();
        let runs: Vec<NewRun> = planned
            .into_iter()
            .map(|p| NewRun {
                id: ids[&p.id].clone(),
                kind: p.kind,
                stage_index: p.stage_index,
                stage_name: p.stage_name,
                seed: p.seed,
                teacher_run: p.teacher.as_ref().map(|t| ids[t].clone()),
                params: validated.stages[p.stage_index].params,
                // A model taken from an earlier run is evaluated, not trained.
                epochs_total: if p.from_run.is_some() {
                    0
                } else {
                    p.budget.epochs
                },
                architecture: p.architecture,
                link: p.link,
                budget: p.budget,
                from_run: p.from_run,
            })
            .collect();
        self.store().insert_experiment(&experiment, &runs).await?;
        self.0.wake.notify_one();
        tracing::info!(experiment = %experiment.id, name = %experiment.name, runs = runs.len(), "experiment queued");
        Ok(experiment.id)
    }
}
