//! Curve points: each finished epoch's points (its batch losses and its metrics) and the run's
//! summary are written in one transaction, so a crash never keeps half an epoch.

use api::EpochMetrics;
use sqlx::AnyConnection;

use super::from_row::from_row;
use super::sql::{Float, Placeholders};

use super::{Store, StoreError};

/// One stored point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CurvePointRow {
    pub step: i64,
    pub epoch: f64,
    pub value: f64,
}
from_row!(CurvePointRow { step, epoch, value });

/// A finished epoch to commit.
#[derive(Debug, Clone)]
pub struct EpochCommit<'a> {
    pub run_id: &'a str,
    /// The worker whose claim it is: nothing is written when another worker holds the run now
    /// (this one lost its lease). None for a run no worker holds.
    pub worker: Option<&'a str>,
    pub metrics: &'a EpochMetrics,
    /// Global step at the end of the epoch.
    pub step: i64,
    /// `(step, epoch position, loss)` of the epoch's batches.
    pub batch_losses: &'a [(i64, f64, f64)],
}

/// The per-epoch metrics of `m` under their curve names.
pub fn epoch_metric_values(m: &EpochMetrics) -> Vec<(String, f64)> {
    let mut values = vec![
        ("train_loss".to_string(), m.train_loss),
        ("train_accuracy".to_string(), m.train_accuracy),
        ("test_accuracy".to_string(), m.test_accuracy),
        ("test_loss".to_string(), m.test_loss),
        ("lr".to_string(), m.lr),
    ];
    values.extend(m.test_top5.map(|v| ("test_top5".to_string(), v)));
    values.extend(m.val_accuracy.map(|v| ("val_accuracy".to_string(), v)));
    values.extend(m.val_loss.map(|v| ("val_loss".to_string(), v)));
    values.extend(m.temperature.map(|v| ("temperature".to_string(), v)));
    values.extend(
        m.curriculum_fraction
            .map(|v| ("curriculum_fraction".to_string(), v)),
    );
    for term in &m.terms {
        values.push((format!("loss.{}", term.name), term.raw));
        values.push((format!("loss.{}.weighted", term.name), term.weighted));
    }
    values
}

/// Inserts points (`metric`, step, epoch, value), ignoring ones already stored.
async fn insert_points(
    conn: &mut AnyConnection,
    run_id: &str,
    points: &[(&str, i64, f64, f64)],
) -> Result<(), StoreError> {
    // 5 parameters a point, 1,000 points a statement: under SQLite's 32,766 and PostgreSQL's
    // 65,535 parameters.
    for chunk in points.chunks(1000) {
        let mut placeholders = Placeholders::default();
        let rows: Vec<String> = chunk.iter().map(|_| placeholders.tuple(5)).collect();
        let sql = format!(
            "INSERT INTO curve_points (run_id, metric, step, epoch, value) VALUES {}
             ON CONFLICT DO NOTHING",
            rows.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for (metric, step, epoch, value) in chunk {
            query = query
                .bind(run_id)
                .bind(*metric)
                .bind(*step)
                .bind(*epoch)
                .bind(*value);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

impl Store {
    /// Commits a finished epoch: batch losses, epoch metrics, and the run's summary; false (and
    /// nothing written) when the run is not the committing worker's.
    pub async fn record_epoch(&self, commit: &EpochCommit<'_>) -> Result<bool, StoreError> {
        let m = commit.metrics;
        let named = epoch_metric_values(m);
        let epoch = m.epoch as f64;
        let mut points: Vec<(&str, i64, f64, f64)> = commit
            .batch_losses
            .iter()
            .map(|&(step, at, loss)| ("batch_loss", step, at, loss))
            .collect();
        points.extend(
            named
                .iter()
                .map(|(name, v)| (name.as_str(), commit.step, epoch, *v)),
        );
        let mut tx = self.pool.begin().await?;
        // Only the committing worker writes a run's epochs, one after another, so the best so
        // far read here is still the best when the update below writes.
        let best_so_far: Option<(Option<f64>,)> = sqlx::query_as(
            "SELECT best_val_accuracy FROM runs WHERE id = $1 AND worker_id IS NOT DISTINCT FROM $2",
        )
        .bind(commit.run_id)
        .bind(commit.worker)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((best_so_far,)) = best_so_far else {
            tx.rollback().await?;
            return Ok(false);
        };
        // The reported epoch is the one the trainer keeps: the same rule.
        let (best_val, val_best_test) = if api::is_new_val_best(best_so_far, m.val_accuracy) {
            (m.val_accuracy, Some(m.test_accuracy))
        } else {
            (best_so_far, None)
        };
        let updated = sqlx::query(
            "UPDATE runs SET epochs_done = CASE WHEN epochs_done > $1 THEN epochs_done ELSE $1 END,
                 best_val_accuracy = $2,
                 val_best_test_accuracy = COALESCE($3, val_best_test_accuracy),
                 last_test_accuracy = $4, last_train_loss = $5
             WHERE id = $6 AND worker_id IS NOT DISTINCT FROM $7",
        )
        .bind(m.epoch as i64)
        .bind(Float(best_val))
        .bind(Float(val_best_test))
        .bind(m.test_accuracy)
        .bind(m.train_loss)
        .bind(commit.run_id)
        .bind(commit.worker)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        insert_points(&mut tx, commit.run_id, &points).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The largest step stored for a run (0 when none).
    pub async fn last_step(&self, run_id: &str) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT coalesce(max(step), 0) FROM curve_points WHERE run_id = $1 AND metric = 'batch_loss'",
        )
        .bind(run_id)
        .fetch_one(&self.pool)
        .await?)
    }

    /// The epochs already committed for a run.
    pub async fn committed_epochs(&self, run_id: &str) -> Result<Vec<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT CAST(epoch AS INTEGER) FROM curve_points WHERE run_id = $1 AND metric = 'test_accuracy'
             ORDER BY step",
        )
        .bind(run_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The metrics a run has curves for, sorted.
    pub async fn metrics_of(&self, run_id: &str) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            // A skip scan: one index seek per metric instead of reading every point.
            "WITH RECURSIVE m(metric) AS (
                 SELECT min(metric) FROM curve_points WHERE run_id = $1
                 UNION ALL
                 SELECT (SELECT min(metric) FROM curve_points WHERE run_id = $1 AND metric > m.metric)
                 FROM m WHERE m.metric IS NOT NULL)
             SELECT metric FROM m WHERE metric IS NOT NULL",
        )
        .bind(run_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// One metric of a run downsampled as [`crate::downsample::downsample`] does, but inside
    /// the database: a run's 100,000 points never cross into Rust. Returns the buckets and the raw
    /// point count.
    pub async fn curve_buckets(
        &self,
        run_id: &str,
        metric: &str,
        span: f64,
        buckets: usize,
    ) -> Result<(Vec<api::CurvePoint>, usize), StoreError> {
        let last_epoch: Option<f64> = sqlx::query_scalar(
            "SELECT epoch FROM curve_points WHERE run_id = $1 AND metric = $2 ORDER BY step DESC LIMIT 1",
        )
        .bind(run_id)
        .bind(metric)
        .fetch_optional(&self.pool)
        .await?;
        let Some(last_epoch) = last_epoch else {
            return Ok((Vec::new(), 0));
        };
        let buckets = buckets.max(1) as i64;
        let width = span.max(last_epoch).max(f64::MIN_POSITIVE) / buckets as f64;
        // Right-closed buckets (a, b]: x = epoch / width; bucket = ceil(x) - 1, clamped.
        let bucket = self
            .dialect
            .clamp(&self.dialect.ceil_minus_one("epoch / $3"), "0", "$4 - 1");
        // One pass with window functions: each bucket's last point carries the bucket's range and
        // count. (A GROUP BY joined back to its last points made PostgreSQL choose a nested loop
        // over a freshly written, unanalysed table: 90 s for 20,000 points.)
        let sql = format!(
            "WITH points AS (
                 SELECT step, epoch, value, {bucket} AS bucket
                 FROM curve_points WHERE run_id = $1 AND metric = $2),
             ranked AS (
                 SELECT step, epoch, value,
                        min(value) OVER (PARTITION BY bucket) AS low,
                        max(value) OVER (PARTITION BY bucket) AS high,
                        count(*) OVER (PARTITION BY bucket) AS n,
                        row_number() OVER (PARTITION BY bucket ORDER BY step DESC) AS latest
                 FROM points)
             SELECT step, epoch, value, low, high, n FROM ranked WHERE latest = 1 ORDER BY step"
        );
        let rows: Vec<(i64, f64, f64, f64, f64, i64)> = sqlx::query_as(&sql)
            .bind(run_id)
            .bind(metric)
            .bind(width)
            .bind(buckets)
            .fetch_all(&self.pool)
            .await?;
        let raw = rows.iter().map(|r| r.5 as usize).sum();
        let points = rows
            .into_iter()
            .map(|(step, epoch, value, min, max, count)| api::CurvePoint {
                step: step as u64,
                epoch,
                value,
                min,
                max,
                count: count as usize,
            })
            .collect();
        Ok((points, raw))
    }

    /// Every point of one metric of a run, in step order.
    pub async fn curve(
        &self,
        run_id: &str,
        metric: &str,
    ) -> Result<Vec<CurvePointRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT step, epoch, value FROM curve_points WHERE run_id = $1 AND metric = $2 ORDER BY step",
        )
        .bind(run_id)
        .bind(metric)
        .fetch_all(&self.pool)
        .await?)
    }
}
