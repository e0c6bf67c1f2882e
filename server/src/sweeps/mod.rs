//! Sweeps on the job system: a submitted sweep is checked (its base validated, its paths and
//! value ranges checked by the engine's [`SweepPlan`]), stored, and driven by a task that
//! queues trials as slots free up ([`driver`]); each trial at each rung is an ordinary
//! experiment, hidden from the experiment list, whose last stage is scored on validation. The
//! sweep's state is in the store, so a restarted server resumes every unfinished sweep.

mod driver;
mod view;

use std::sync::Arc;

use api::{SweepCreated, SweepSpec, SweepStatus, SweepSummary, SweepView};
use engine::spec::validate;
use engine::sweep::SweepPlan;

use crate::ids::new_id;
use crate::jobs::{imported_model, Jobs, SubmitError};
use crate::store::{now_ms, StoreError};

/// The sweeps of this server; cheap to clone.
#[derive(Clone)]
pub struct Sweeps(Arc<Jobs>);

impl Sweeps {
    /// Sweeps over `jobs`, resuming the store's unfinished sweeps.
    pub async fn start(jobs: Jobs) -> Result<Sweeps, StoreError> {
        let sweeps = Sweeps(Arc::new(jobs));
        for row in sweeps.jobs().store().unfinished_sweeps().await? {
            tracing::info!(sweep = %row.id, "resuming sweep");
            sweeps.drive(row.id);
        }
        Ok(sweeps)
    }

    fn jobs(&self) -> &Jobs {
        &self.0
    }

    /// Checks `spec`, stores it and starts driving it.
    pub async fn submit(&self, spec: SweepSpec) -> Result<SweepCreated, SubmitError> {
        let plan = self.plan(&spec, true).await?;
        let id = new_id();
        let name = spec.name.clone().unwrap_or_else(|| {
            let paths: Vec<&str> = spec.space.keys().map(String::as_str).collect();
            format!("sweep of {}", paths.join(", "))
        });
        self.jobs()
            .store()
            .insert_sweep(&id, &name, &spec, now_ms())
            .await?;
        tracing::info!(sweep = %id, trials = plan.trials, "sweep started");
        self.drive(id.clone());
        Ok(SweepCreated {
            id,
            trials: plan.trials,
            rungs: plan.rungs,
        })
    }

    /// The plan of `spec`: its base validated (its first stage's run looked up), its space
    /// checked, and — with `check_values` — every range end and listed value validated.
    async fn plan(&self, spec: &SweepSpec, check_values: bool) -> Result<SweepPlan, SubmitError> {
        let jobs = self.jobs();
        let imported = imported_model(jobs.store(), &jobs.runtime().artifacts, &spec.base)
            .await?
            .map(|(model, _)| model);
        let dirs = jobs.runtime().data_dirs.clone();
        let spec = spec.clone();
        tokio::task::spawn_blocking(move || {
            let base = validate(spec.base.clone(), imported.as_ref(), &dirs)
                .map_err(|e| e.inside("base"))?;
            let plan = SweepPlan::new(&spec, &base)?;
            if check_values {
                plan.check_values(imported.as_ref(), &dirs)?;
            }
            Ok(plan)
        })
        .await
        .map_err(|e| SubmitError::Internal(format!("sweep validation crashed: {e}")))?
    }

    fn drive(&self, id: String) {
        tokio::spawn(driver::drive(self.clone(), id));
    }

    /// The id of the newest sweep of exactly `spec` (to follow it again), if any.
    pub async fn same_sweep(&self, spec: &SweepSpec) -> Result<Option<String>, StoreError> {
        Ok(self
            .jobs()
            .store()
            .sweep_with_spec(spec)
            .await?
            .map(|row| row.id))
    }

    /// Every sweep, newest first.
    pub async fn list(&self) -> Result<Vec<SweepSummary>, StoreError> {
        let store = self.jobs().store();
        let mut summaries = Vec::new();
        for row in store.sweeps().await? {
            let trials = store.trial_count(&row.id).await?;
            summaries.push(SweepSummary {
                status: view::status_of(&row)?,
                id: row.id,
                name: row.name,
                created_at: row.created_at,
                trials,
            });
        }
        Ok(summaries)
    }

    /// The sweep `id` as the API shows it.
    pub async fn view(&self, id: &str) -> Result<Option<SweepView>, StoreError> {
        view::sweep_view(self.jobs().store(), id).await
    }

    /// Cancels sweep `id` and every experiment it queued; false when there is none.
    pub async fn cancel(&self, id: &str) -> Result<bool, StoreError> {
        let store = self.jobs().store();
        let Some(row) = store.sweep(id).await? else {
            return Ok(false);
        };
        store
            .end_sweep(
                id,
                SweepStatus::Cancelled,
                Some("cancelled by request"),
                now_ms(),
            )
            .await?;
        for experiment in self.experiments_of(&row).await? {
            self.jobs().cancel(&experiment).await?;
        }
        Ok(true)
    }

    /// Deletes sweep `id` with every experiment it queued; false when there is none.
    pub async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        let store = self.jobs().store();
        let Some(row) = store.sweep(id).await? else {
            return Ok(false);
        };
        store
            .end_sweep(id, SweepStatus::Cancelled, Some("deleted"), now_ms())
            .await?;
        for experiment in self.experiments_of(&row).await? {
            self.jobs().delete(&experiment).await?;
        }
        store.delete_sweep(id).await
    }

    /// The trial and confirmation experiments of a sweep.
    async fn experiments_of(
        &self,
        row: &crate::store::SweepRow,
    ) -> Result<Vec<String>, StoreError> {
        let mut experiments = self.jobs().store().trial_experiments(&row.id).await?;
        experiments.extend(row.tuned_experiment.clone());
        experiments.extend(row.default_experiment.clone());
        Ok(experiments)
    }
}
