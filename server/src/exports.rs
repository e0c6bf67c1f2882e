//! An experiment's curves as they leave the lab: every stored point as [`RawCurve`]s (the JSON
//! export), or as CSV, one row per point. `GET /api/experiments/{id}/export?format=csv` and
//! `distill run`'s `curves.csv` are this one file; `distill run`'s `metrics.csv` quotes its
//! fields with the same [`field`].

use api::{RawCurve, RunSummary};

use crate::store::{Store, StoreError};

/// The columns of the curves CSV.
pub const CURVES_HEADER: &str = "experiment_id,run_id,stage,kind,seed,metric,step,epoch,value";

/// `text` as a CSV field, quoted when it needs to be (RFC 4180).
pub fn field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// Every stored point of every metric of `runs`, as `(step, epoch, value)`.
pub async fn stored_curves(
    store: &Store,
    runs: &[RunSummary],
) -> Result<Vec<RawCurve>, StoreError> {
    let mut curves = Vec::new();
    for run in runs {
        for metric in store.metrics_of(&run.id).await? {
            let points = store.curve(&run.id, &metric).await?;
            curves.push(RawCurve {
                run_id: run.id.clone(),
                metric,
                points: points
                    .iter()
                    .map(|p| (p.step as u64, p.epoch, p.value))
                    .collect(),
            });
        }
    }
    Ok(curves)
}

/// The curves of experiment `experiment_id` (whose runs are `runs`) as CSV under
/// [`CURVES_HEADER`].
pub fn curves_csv(experiment_id: &str, runs: &[RunSummary], curves: &[RawCurve]) -> String {
    let mut csv = format!("{CURVES_HEADER}\n");
    for curve in curves {
        let run = runs.iter().find(|r| r.id == curve.run_id);
        let (stage, kind, seed) = run.map_or(("", "", 0), |r| {
            (r.stage_name.as_str(), r.kind.as_str(), r.seed)
        });
        for (step, epoch, value) in &curve.points {
            csv.push_str(&format!(
                "{},{},{},{kind},{seed},{},{step},{epoch},{value}\n",
                field(experiment_id),
                field(&curve.run_id),
                field(stage),
                field(&curve.metric)
            ));
        }
    }
    csv
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_with_a_comma_or_quote_is_quoted_and_its_quotes_doubled() {
        assert_eq!(field("student"), "student");
        assert_eq!(field("a, b"), "\"a, b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
