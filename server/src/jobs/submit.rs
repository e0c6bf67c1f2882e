//! Submitting an experiment: validate the spec, check its dataset is here, expand it into runs
//! (each seed's chain in teaching order, then its baseline) with fresh ids, and queue them.

use std::collections::HashMap;

use api::{Architecture, ExperimentSpec, LinkSpec, LossTerm, RunKind};
use engine::spec::{validate, SpecError};
use engine::train::{baseline_link, plan_runs};

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

/// `cnn-m`, `mlp [32]`: what a stage's model is, as the user wrote it (presets by name).
fn model_label(architecture: &Architecture) -> String {
    match architecture {
        Architecture::Preset { name } => name.clone(),
        Architecture::Mlp(m) => format!("mlp {:?}", m.hidden),
        Architecture::Cnn(c) => format!("cnn {:?}", c.channels),
        Architecture::Resnet(r) => format!("resnet{}×{}", r.depth, r.width),
    }
}

fn link_label(link: &LinkSpec) -> String {
    let mut parts: Vec<String> = link
        .terms
        .iter()
        .map(|t| match t {
            LossTerm::Kd(p) if p.ctkd.is_some() => "ctkd".into(),
            LossTerm::Dkd(p) if p.ctkd.is_some() => "dkd+ctkd".into(),
            other => other.method().to_string(),
        })
        .collect();
    if link.curriculum.is_some() {
        parts.push("curriculum".into());
    }
    if parts.is_empty() {
        "ce".into()
    } else {
        parts.join("+")
    }
}

impl Jobs {
    /// Validates `spec`, stores it with its runs queued, and wakes the workers. Returns the id.
    pub async fn submit(&self, spec: ExperimentSpec) -> Result<String, SubmitError> {
        // Before validation resolves presets into sizes.
        let models: Vec<String> = spec
            .chain
            .iter()
            .map(|s| model_label(&s.architecture))
            .collect();
        // Validation builds each model once to count its parameters: keep it off the runtime.
        let validated = tokio::task::spawn_blocking(move || validate(spec))
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
        let spec = validated.spec;
        let labels: Vec<String> = spec
            .chain
            .iter()
            .zip(&models)
            .map(|(stage, model)| format!("{} ({model})", stage.name.as_deref().unwrap_or("stage")))
            .collect();
        let name = spec.name.clone().unwrap_or_else(|| {
            let link = spec
                .chain
                .last()
                .map(|s| link_label(&s.link))
                .unwrap_or_default();
            format!("{} · {link}", models.join(" → "))
        });
        let experiment = NewExperiment {
            id: new_id(),
            name,
            dataset: dataset.as_str().into(),
            warnings: validated.warnings,
            chain: labels,
            created_at: now_ms(),
            spec: spec.clone(),
        };
        let planned = plan_runs(&spec);
        let ids: HashMap<String, String> =
            planned.iter().map(|p| (p.id.clone(), new_id())).collect();
        let runs: Vec<NewRun> = planned
            .iter()
            .map(|p| {
                let stage = &spec.chain[p.stage_index];
                NewRun {
                    id: ids[&p.id].clone(),
                    kind: p.kind,
                    stage_index: p.stage_index,
                    stage_name: p.stage_name.clone(),
                    seed: p.seed,
                    teacher_run: p.teacher.as_ref().map(|t| ids[t].clone()),
                    architecture: stage.architecture.clone(),
                    link: match p.kind {
                        RunKind::Stage => stage.link.clone(),
                        RunKind::Baseline => baseline_link(),
                    },
                    params: validated.params[p.stage_index],
                    epochs_total: spec.budget.epochs,
                }
            })
            .collect();
        self.store().insert_experiment(&experiment, &runs).await?;
        self.0.wake.notify_one();
        tracing::info!(experiment = %experiment.id, name = %experiment.name, runs = runs.len(), "experiment queued");
        Ok(experiment.id)
    }
}
