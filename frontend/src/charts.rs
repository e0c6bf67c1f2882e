//! Which charts a set of runs' curves make: losses, accuracies, every weighted loss term,
//! learning rate, temperature and curriculum fraction — one line per run (and per term),
//! against the epoch. UI-free; the chart components draw these.

use api::RunCurves;

use crate::plot::Point;

/// Line colours, one per run, distinguishable on white and for common colour blindness
/// (Okabe–Ito).
pub const PALETTE: [&str; 8] = [
    "#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#f0e442",
];

/// The colour of the `i`-th run.
pub fn color(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

/// One line of a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend text.
    pub label: String,
    /// Stroke colour.
    pub color: &'static str,
    /// Drawn dashed (train curves next to test curves, raw next to weighted).
    pub dashed: bool,
    /// `(epoch, value)` points.
    pub points: Vec<Point>,
}

/// One chart: a title, its y axis, its lines.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartSpec {
    /// Heading (also its test id).
    pub title: String,
    /// What the y axis measures.
    pub y_label: String,
    /// Whether y is better read on a log scale (learning rates).
    pub log_y: bool,
    /// The lines.
    pub series: Vec<Series>,
}

/// A run's curves with the label and colour it has everywhere on the page.
pub struct LabelledCurves<'a> {
    /// Legend label, e.g. `student · seed 0`.
    pub label: String,
    /// Its colour.
    pub color: &'static str,
    /// The curves.
    pub curves: &'a RunCurves,
    /// Batch losses heard live since its curves were fetched (see `live_loss`): drawn after
    /// the stored training loss where they go past it.
    pub live_loss: &'a [Point],
}

fn points(curves: &RunCurves, metric: &str) -> Option<Vec<Point>> {
    let curve = curves.curves.iter().find(|c| c.metric == metric)?;
    (!curve.points.is_empty()).then(|| curve.points.iter().map(|p| (p.epoch, p.value)).collect())
}

/// The charts for `runs`, in reading order; charts without any data are left out.
pub fn charts(runs: &[LabelledCurves]) -> Vec<ChartSpec> {
    let per_run = |metric: &str, dashed: bool, suffix: &str| -> Vec<Series> {
        runs.iter()
            .filter_map(|r| {
                Some(Series {
                    label: format!("{}{suffix}", r.label),
                    color: r.color,
                    dashed,
                    points: points(r.curves, metric)?,
                })
            })
            .collect()
    };
    let mut accuracy = per_run("test_accuracy", false, " · test");
    accuracy.extend(per_run("val_accuracy", true, " · val"));
    accuracy.extend(per_run("train_accuracy", true, " · train"));
    let mut loss: Vec<Series> = runs
        .iter()
        .filter_map(|r| {
            let mut line = points(r.curves, "batch_loss").unwrap_or_default();
            let stored_to = line.last().map_or(f64::NEG_INFINITY, |p| p.0);
            line.extend(r.live_loss.iter().filter(|p| p.0 > stored_to));
            (!line.is_empty()).then(|| Series {
                label: format!("{} · batch", r.label),
                color: r.color,
                dashed: false,
                points: line,
            })
        })
        .collect();
    loss.extend(per_run("test_loss", true, " · test"));
    loss.extend(per_run("val_loss", true, " · val"));
    let terms: Vec<Series> = runs
        .iter()
        .flat_map(|r| {
            let metrics = r
                .curves
                .available
                .iter()
                .filter(|m| m.starts_with("loss.") && m.ends_with(".weighted"));
            metrics.enumerate().filter_map(move |(k, metric)| {
                let term = metric
                    .trim_start_matches("loss.")
                    .trim_end_matches(".weighted");
                Some(Series {
                    label: format!("{} · {term}", r.label),
                    color: r.color,
                    dashed: k % 2 == 1,
                    points: points(r.curves, metric)?,
                })
            })
        })
        .collect();
    let lr = per_run("lr", false, "");
    let chart = |title: &str, y_label: &str, log_y: bool, series: Vec<Series>| ChartSpec {
        title: title.into(),
        y_label: y_label.into(),
        log_y,
        series,
    };
    [
        chart("Training loss", "loss", false, loss),
        chart("Accuracy", "top-1 accuracy", false, accuracy),
        chart(
            "Loss terms (weighted)",
            "term in the total loss",
            false,
            terms,
        ),
        chart("Learning rate", "learning rate", spans_decades(&lr), lr),
        chart(
            "Temperature",
            "distillation temperature",
            false,
            per_run("temperature", false, ""),
        ),
        chart(
            "Curriculum",
            "fraction of training data",
            false,
            per_run("curriculum_fraction", false, ""),
        ),
    ]
    .into_iter()
    .filter(|c| !c.series.is_empty())
    .collect()
}

/// Whether the values of `series` span more than a factor of ten (then a log axis reads better).
fn spans_decades(series: &[Series]) -> bool {
    let values = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .filter(|v| *v > 0.0);
    let (lo, hi) = values.fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    hi / lo > 10.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use api::{Curve, CurvePoint};

    fn curve(metric: &str, values: &[f64]) -> Curve {
        Curve {
            metric: metric.into(),
            raw_points: values.len(),
            points: values
                .iter()
                .enumerate()
                .map(|(i, &v)| CurvePoint {
                    step: i as u64,
                    epoch: i as f64 + 1.0,
                    value: v,
                    min: v,
                    max: v,
                    count: 1,
                })
                .collect(),
        }
    }

    fn run(metrics: &[(&str, &[f64])]) -> RunCurves {
        RunCurves {
            run_id: "r".into(),
            available: metrics.iter().map(|(m, _)| m.to_string()).collect(),
            curves: metrics.iter().map(|(m, v)| curve(m, v)).collect(),
        }
    }

    #[test]
    fn a_distilled_student_and_its_teacher_make_loss_accuracy_terms_and_lr_charts() {
        let teacher = run(&[
            ("batch_loss", &[2.0, 1.0]),
            ("test_accuracy", &[0.5, 0.8]),
            ("lr", &[0.001, 0.001]),
        ]);
        let student = run(&[
            ("batch_loss", &[2.5, 1.5]),
            ("test_accuracy", &[0.4, 0.7]),
            ("train_accuracy", &[0.45, 0.75]),
            ("loss.ce.weighted", &[0.2, 0.1]),
            ("loss.kd.weighted", &[1.0, 0.6]),
            ("loss.kd", &[1.1, 0.7]),
            ("lr", &[0.001, 0.001]),
        ]);
        let runs = [
            LabelledCurves {
                label: "teacher".into(),
                color: color(0),
                curves: &teacher,
                live_loss: &[],
            },
            LabelledCurves {
                label: "student".into(),
                color: color(1),
                curves: &student,
                live_loss: &[],
            },
        ];
        let charts = charts(&runs);
        let titles: Vec<_> = charts.iter().map(|c| c.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "Training loss",
                "Accuracy",
                "Loss terms (weighted)",
                "Learning rate"
            ]
        );
        let accuracy: Vec<_> = charts[1]
            .series
            .iter()
            .map(|s| (s.label.as_str(), s.dashed))
            .collect();
        assert_eq!(
            accuracy,
            [
                ("teacher · test", false),
                ("student · test", false),
                ("student · train", true)
            ]
        );
        let terms: Vec<_> = charts[2].series.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(terms, ["student · ce", "student · kd"]);
        assert_eq!(charts[1].series[1].points, vec![(1.0, 0.4), (2.0, 0.7)]);
        assert!(
            !charts[3].log_y,
            "a constant learning rate is drawn on a linear axis"
        );
    }

    #[test]
    fn runs_without_points_yet_make_no_charts() {
        let queued = run(&[]);
        let runs = [LabelledCurves {
            label: "student".into(),
            color: color(0),
            curves: &queued,
            live_loss: &[],
        }];
        assert!(charts(&runs).is_empty());
    }

    #[test]
    fn live_batch_losses_extend_the_training_loss_past_the_stored_curve() {
        let stored = run(&[("batch_loss", &[2.0, 1.0])]);
        let live = [(1.5, 9.0), (2.0, 9.0), (2.5, 0.8)];
        let runs = [LabelledCurves {
            label: "student".into(),
            color: color(0),
            curves: &stored,
            live_loss: &live,
        }];
        let drawn = charts(&runs);
        assert_eq!(
            drawn[0].series[0].points,
            vec![(1.0, 2.0), (2.0, 1.0), (2.5, 0.8)],
            "what the stored curve covers is drawn from it"
        );

        let first_epoch = run(&[]);
        let runs = [LabelledCurves {
            label: "student".into(),
            color: color(0),
            curves: &first_epoch,
            live_loss: &live[..1],
        }];
        let charts = charts(&runs);
        assert_eq!(
            charts.len(),
            1,
            "the training loss shows before an epoch ends"
        );
        assert_eq!(charts[0].series[0].points, vec![(1.5, 9.0)]);
    }
}
