//! Experiments: submit (with all their runs, in one transaction), list, read, delete.

use api::RunStatus;
use engine::train::PlannedRun;
use sqlx::any::AnyArguments;
use sqlx::Arguments;

use super::sql::Placeholders;

use super::{to_json, ExperimentRow, RunRow, Store, StoreError};

/// An experiment about to be stored.
#[derive(Debug, Clone)]
pub struct NewExperiment {
    pub id: String,
    pub name: String,
    pub dataset: String,
    pub spec: api::ExperimentSpec,
    pub warnings: Vec<String>,
    pub chain: Vec<String>,
    pub created_at: i64,
}

/// A run about to be queued: the planned run (with its store id, and its teacher's) and its
/// model's parameter count.
#[derive(Debug, Clone)]
pub struct NewRun {
    pub run: PlannedRun,
    pub params: usize,
}

/// Which experiments a list shows.
#[derive(Debug, Clone, Default)]
pub struct ExperimentFilter {
    /// Only experiments in this status (as [`super::rows::experiment_status`] derives it).
    pub status: Option<RunStatus>,
    /// Case-insensitive substring of the name, the dataset, a stage label, the description or
    /// a tag.
    pub search: Option<String>,
    /// Page size (one more row is read, to tell whether a next page exists).
    pub limit: usize,
    /// Only experiments created before this (created_at, id), exclusive.
    pub before: Option<(i64, String)>,
    /// Only experiments whose first stage is this run's model: the run itself, a reuse of it,
    /// or taken from it (`from_run`).
    pub teacher: Option<String>,
    /// Only experiments with this tag.
    pub tag: Option<String>,
}

impl Store {
    /// Stores an experiment and queues its runs, atomically.
    pub async fn insert_experiment(
        &self,
        experiment: &NewExperiment,
        runs: &[NewRun],
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO experiments (id, name, dataset, spec, warnings, chain, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&experiment.id)
        .bind(&experiment.name)
        .bind(&experiment.dataset)
        .bind(to_json(&experiment.spec))
        .bind(to_json(&experiment.warnings))
        .bind(to_json(&experiment.chain))
        .bind(experiment.created_at)
        .execute(&mut *tx)
        .await?;
        for (ordinal, NewRun { run, params }) in runs.iter().enumerate() {
            sqlx::query(
                "INSERT INTO runs (id, experiment_id, ordinal, kind, stage_index, stage_name, seed,
                    teacher_run, status, architecture, link, budget, from_run, params, epochs_total,
                    queued_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued', $9, $10, $11, $12, $13, $14, $15)",
            )
            .bind(&run.id)
            .bind(&experiment.id)
            .bind(ordinal as i64)
            .bind(run.kind.as_str())
            .bind(run.stage_index as i64)
            .bind(&run.stage_name)
            .bind(run.seed as i64)
            .bind(&run.teacher)
            .bind(to_json(&run.architecture))
            .bind(to_json(&run.link))
            .bind(to_json(&run.budget))
            .bind(&run.from_run)
            .bind(*params as i64)
            .bind(run.epochs_to_train() as i64)
            .bind(experiment.created_at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// One page of experiments, newest first, and how many match over all pages.
    pub async fn list_experiments(
        &self,
        filter: &ExperimentFilter,
    ) -> Result<(Vec<ExperimentRow>, usize), StoreError> {
        let (sql, arguments) = filtered("SELECT * FROM experiments e", filter, true);
        let page = sqlx::query_as_with::<_, ExperimentRow, _>(&sql, arguments)
            .fetch_all(&self.pool)
            .await?;
        let (sql, arguments) = filtered("SELECT COUNT(*) FROM experiments e", filter, false);
        let total: i64 = sqlx::query_scalar_with(&sql, arguments)
            .fetch_one(&self.pool)
            .await?;
        Ok((page, total as usize))
    }

    /// Replaces the notes of experiment `id` that are given; `false` when there is no such
    /// experiment.
    pub async fn set_notes(
        &self,
        id: &str,
        description: Option<&str>,
        tags: Option<&[String]>,
    ) -> Result<bool, StoreError> {
        let tags = tags.map(|t| serde_json::to_string(t).expect("tags serialize"));
        let done = sqlx::query(
            "UPDATE experiments SET description = COALESCE($1, description), \
             tags = COALESCE($2, tags) WHERE id = $3",
        )
        .bind(description)
        .bind(tags)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The experiment `id`.
    pub async fn experiment(&self, id: &str) -> Result<Option<ExperimentRow>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM experiments WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The newest experiment whose resolved spec is `spec`, if any.
    pub async fn experiment_with_spec(
        &self,
        spec: &api::ExperimentSpec,
    ) -> Result<Option<ExperimentRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM experiments WHERE spec = $1 ORDER BY created_at DESC, id DESC LIMIT 1",
        )
        .bind(to_json(spec))
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Queues again the runs of experiment `id` that ended without succeeding (cancelled,
    /// failed, interrupted), saying `message`; returns how many.
    pub async fn requeue_unfinished(&self, id: &str, message: &str) -> Result<usize, StoreError> {
        let done = sqlx::query(
            "UPDATE runs SET status = 'queued', message = $1, finished_at = NULL
             WHERE experiment_id = $2 AND status IN ('cancelled', 'failed', 'interrupted')",
        )
        .bind(message)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() as usize)
    }

    /// The runs of the experiments `ids`, each experiment's in training order.
    pub async fn runs_of(&self, ids: &[String]) -> Result<Vec<RunRow>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT * FROM runs WHERE experiment_id IN {} ORDER BY experiment_id, ordinal",
            Placeholders::default().tuple(ids.len())
        );
        let mut query = sqlx::query_as(&sql);
        for id in ids {
            query = query.bind(id);
        }
        Ok(query.fetch_all(&self.pool).await?)
    }

    /// Deletes an experiment with its runs, curves and shares; returns the checkpoint
    /// directories that no remaining run uses.
    pub async fn delete_experiment(&self, id: &str) -> Result<Vec<String>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let dirs: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT model_dir FROM runs WHERE experiment_id = $1 AND model_dir IS NOT NULL
               AND reused_from IS NULL",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM experiments WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let mut unused = Vec::new();
        for dir in dirs {
            let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM runs WHERE model_dir = $1")
                .bind(&dir)
                .fetch_one(&mut *tx)
                .await?;
            if users == 0 {
                unused.push(dir);
            }
        }
        tx.commit().await?;
        Ok(unused)
    }
}

/// `select` with the filter's conditions (and ordering and paging when `page`), and the
/// values its placeholders stand for.
fn filtered(
    select: &str,
    filter: &ExperimentFilter,
    page: bool,
) -> (String, AnyArguments<'static>) {
    // A sweep's trials are its own; only the sweep shows them (with validation figures only).
    let mut sql = format!(
        "{select} WHERE NOT EXISTS (SELECT 1 FROM sweep_trials t WHERE t.experiment_id = e.id)"
    );
    let mut values = Values::default();
    if let Some(status) = filter.status {
        sql.push_str(" AND ");
        sql.push_str(status_condition(status));
    }
    if let Some(search) = &filter.search {
        let pattern = format!("%{}%", search.to_lowercase());
        let [a, b, c, d, t] = [(); 5].map(|_| values.text(pattern.clone()));
        sql.push_str(&format!(
            " AND (lower(e.name) LIKE {a} OR lower(e.dataset) LIKE {b} OR lower(e.chain) LIKE {c} \
             OR lower(e.description) LIKE {d} OR e.tags LIKE {t})"
        ));
    }
    if let Some(tag) = &filter.tag {
        // Tags are stored as a JSON array of strings without quotes or backslashes in them.
        let quoted = values.text(format!("%\"{tag}\"%"));
        sql.push_str(&format!(" AND e.tags LIKE {quoted}"));
    }
    if let Some(teacher) = &filter.teacher {
        let [a, b, c] = [(); 3].map(|_| values.text(teacher.clone()));
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM runs r WHERE r.experiment_id = e.id AND r.kind = 'stage' \
             AND r.stage_index = 0 AND (r.id = {a} OR r.reused_from = {b} OR r.from_run = {c}))"
        ));
    }
    if page {
        if let Some((created_at, id)) = &filter.before {
            let (a, b, c) = (
                values.integer(*created_at),
                values.integer(*created_at),
                values.text(id.clone()),
            );
            sql.push_str(&format!(
                " AND (e.created_at < {a} OR (e.created_at = {b} AND e.id < {c}))"
            ));
        }
        let limit = values.integer(filter.limit as i64 + 1);
        sql.push_str(&format!(
            " ORDER BY e.created_at DESC, e.id DESC LIMIT {limit}"
        ));
    }
    (sql, values.arguments)
}

/// Values bound to a statement built at run time, each with its placeholder.
#[derive(Default)]
struct Values {
    placeholders: Placeholders,
    arguments: AnyArguments<'static>,
}

impl Values {
    /// Binds a string; returns its placeholder.
    fn text(&mut self, value: String) -> String {
        // Adding a string or an integer to `Any` arguments cannot fail.
        self.arguments.add(value).expect("a string binds");
        self.placeholders.next()
    }

    /// Binds an integer; returns its placeholder.
    fn integer(&mut self, value: i64) -> String {
        self.arguments.add(value).expect("an integer binds");
        self.placeholders.next()
    }
}

/// SQL that holds for an experiment `e` exactly when `experiment_status` of its runs is `status`.
fn status_condition(status: RunStatus) -> &'static str {
    match status {
        RunStatus::Running => {
            "(EXISTS (SELECT 1 FROM runs r WHERE r.experiment_id = e.id AND r.status = 'running')
              OR (EXISTS (SELECT 1 FROM runs r WHERE r.experiment_id = e.id AND r.status = 'queued')
                  AND EXISTS (SELECT 1 FROM runs r WHERE r.experiment_id = e.id AND r.status <> 'queued')))"
        }
        RunStatus::Queued => {
            "NOT EXISTS (SELECT 1 FROM runs r WHERE r.experiment_id = e.id AND r.status <> 'queued')"
        }
        RunStatus::Succeeded => {
            "NOT EXISTS (SELECT 1 FROM runs r WHERE r.experiment_id = e.id AND r.status <> 'succeeded')"
        }
        RunStatus::Failed => {
            "(NOT EXISTS (SELECT 1 FROM runs r WHERE r.experiment_id = e.id AND r.status IN ('queued', 'running'))
              AND EXISTS (SELECT 1 FROM runs r WHERE r.experiment_id = e.id AND r.status = 'failed'))"
        }
        RunStatus::Interrupted => {
            "(NOT EXISTS (SELECT 1 FROM runs r WHERE r.experiment_id = e.id AND r.status IN ('queued', 'running', 'failed'))
              AND EXISTS (SELECT 1 FROM runs r WHERE r.experiment_id = e.id AND r.status = 'interrupted'))"
        }
        RunStatus::Cancelled => {
            "(NOT EXISTS (SELECT 1 FROM runs r WHERE r.experiment_id = e.id AND r.status IN ('queued', 'running', 'failed', 'interrupted'))
              AND EXISTS (SELECT 1 FROM runs r WHERE r.experiment_id = e.id AND r.status = 'cancelled'))"
        }
    }
}
