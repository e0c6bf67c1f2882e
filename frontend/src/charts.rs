//! Which charts a set of curves make: losses, accuracies, every weighted loss term, learning
//! rate, temperature and curriculum fraction against the epoch — one line per run, or per model
//! (the mean over its seeds, with a band for their spread). A colour per run or model, a dash
//! style per split. UI-free; the chart components draw these.

use api::{RunCurves, SpreadCurve};

use crate::plot::{Band, Point};

/// Line colours, one per run or model, distinguishable on white and for common colour
/// blindness (Okabe–Ito).
pub const PALETTE: [&str; 8] = [
    "#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#f0e442",
];

/// The colour of the `i`-th run or model.
pub fn color(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

/// How a line is stroked: by split (test solid, validation dashed, training dotted), and for
/// the loss terms raw next to weighted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dash {
    /// Test, and the first line of a kind.
    Solid,
    /// Validation.
    Dashed,
    /// Training.
    Dotted,
}

impl Dash {
    /// The SVG `stroke-dasharray`.
    pub fn pattern(self) -> &'static str {
        match self {
            Dash::Solid => "",
            Dash::Dashed => "6 3",
            Dash::Dotted => "1.5 3",
        }
    }

    /// The CSS class of its legend swatch.
    pub fn class(self) -> &'static str {
        match self {
            Dash::Solid => "solid",
            Dash::Dashed => "dashed",
            Dash::Dotted => "dotted",
        }
    }
}

/// One line of a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend text.
    pub label: String,
    /// Stroke colour.
    pub color: &'static str,
    /// Stroke style.
    pub dash: Dash,
    /// `(epoch, value)` points.
    pub points: Vec<Point>,
    /// The spread of the seeds around the line (a model's), when it has one.
    pub band: Option<Vec<Band>>,
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

/// What chart lines are drawn from: one run's curves, or one model's over its seeds.
pub trait CurveSource {
    /// Legend label (`student · seed 0`, `student`).
    fn label(&self) -> &str;
    /// Its colour.
    fn color(&self) -> &'static str;
    /// Every metric it has.
    fn available(&self) -> &[String];
    /// The line of `metric`, and the band around it; `None` without points.
    fn line(&self, metric: &str) -> Option<(Vec<Point>, Option<Vec<Band>>)>;
    /// Batch losses heard live since the curves were fetched (runs followed live only).
    fn live_loss(&self) -> &[Point] {
        &[]
    }
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

impl CurveSource for LabelledCurves<'_> {
    fn label(&self) -> &str {
        &self.label
    }

    fn color(&self) -> &'static str {
        self.color
    }

    fn available(&self) -> &[String] {
        &self.curves.available
    }

    fn line(&self, metric: &str) -> Option<(Vec<Point>, Option<Vec<Band>>)> {
        let curve = self.curves.curves.iter().find(|c| c.metric == metric)?;
        (!curve.points.is_empty()).then(|| {
            (
                curve.points.iter().map(|p| (p.epoch, p.value)).collect(),
                None,
            )
        })
    }

    fn live_loss(&self) -> &[Point] {
        self.live_loss
    }
}

/// What a model's band spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Spread {
    /// From the lowest seed to the highest.
    #[default]
    Range,
    /// One standard deviation on each side of the mean.
    Std,
}

/// A model's curves over its seeds, with its label and colour.
pub struct LabelledModel<'a> {
    /// Legend label, e.g. `student`.
    pub label: String,
    /// Its colour.
    pub color: &'static str,
    /// Its curves, one per metric.
    pub curves: &'a [SpreadCurve],
    /// What its bands span.
    pub spread: Spread,
    /// The metrics of `curves`.
    available: Vec<String>,
}

impl<'a> LabelledModel<'a> {
    /// A model drawn in `color` under `label`, its bands spanning `spread`.
    pub fn new(
        label: String,
        color: &'static str,
        curves: &'a [SpreadCurve],
        spread: Spread,
    ) -> LabelledModel<'a> {
        let available = curves.iter().map(|c| c.metric.clone()).collect();
        LabelledModel {
            label,
            color,
            curves,
            spread,
            available,
        }
    }
}

impl CurveSource for LabelledModel<'_> {
    fn label(&self) -> &str {
        &self.label
    }

    fn color(&self) -> &'static str {
        self.color
    }

    fn available(&self) -> &[String] {
        &self.available
    }

    fn line(&self, metric: &str) -> Option<(Vec<Point>, Option<Vec<Band>>)> {
        let curve = self.curves.iter().find(|c| c.metric == metric)?;
        if curve.points.is_empty() {
            return None;
        }
        let line = curve.points.iter().map(|p| (p.epoch, p.mean)).collect();
        let band = curve
            .points
            .iter()
            .map(|p| match self.spread {
                Spread::Range => (p.epoch, p.min, p.max),
                Spread::Std => (p.epoch, p.mean - p.std, p.mean + p.std),
            })
            .collect();
        Some((line, Some(band)))
    }
}

/// The charts for `sources`, in reading order; charts without any data are left out.
pub fn charts<S: CurveSource>(sources: &[S]) -> Vec<ChartSpec> {
    let per_source = |metric: &str, dash: Dash, suffix: &str| -> Vec<Series> {
        sources
            .iter()
            .filter_map(|s| {
                let (points, band) = s.line(metric)?;
                Some(Series {
                    label: format!("{}{suffix}", s.label()),
                    color: s.color(),
                    dash,
                    points,
                    band,
                })
            })
            .collect()
    };
    let mut accuracy = per_source("test_accuracy", Dash::Solid, " · test");
    accuracy.extend(per_source("val_accuracy", Dash::Dashed, " · val"));
    accuracy.extend(per_source("train_accuracy", Dash::Dotted, " · train"));
    let mut loss: Vec<Series> = sources
        .iter()
        .filter_map(|s| {
            let (mut line, band) = s.line("batch_loss").unwrap_or_default();
            let stored_to = line.last().map_or(f64::NEG_INFINITY, |p| p.0);
            line.extend(s.live_loss().iter().filter(|p| p.0 > stored_to));
            (!line.is_empty()).then(|| Series {
                label: format!("{} · batch", s.label()),
                color: s.color(),
                dash: Dash::Dotted,
                points: line,
                band,
            })
        })
        .collect();
    loss.extend(per_source("test_loss", Dash::Solid, " · test"));
    loss.extend(per_source("val_loss", Dash::Dashed, " · val"));
    let terms: Vec<Series> = sources
        .iter()
        .flat_map(|s| {
            let metrics = s
                .available()
                .iter()
                .filter(|m| m.starts_with("loss.") && m.ends_with(".weighted"));
            metrics.enumerate().filter_map(move |(k, metric)| {
                let term = metric
                    .trim_start_matches("loss.")
                    .trim_end_matches(".weighted");
                let (points, band) = s.line(metric)?;
                Some(Series {
                    label: format!("{} · {term}", s.label()),
                    color: s.color(),
                    dash: if k % 2 == 1 {
                        Dash::Dashed
                    } else {
                        Dash::Solid
                    },
                    points,
                    band,
                })
            })
        })
        .collect();
    let lr = per_source("lr", Dash::Solid, "");
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
            per_source("temperature", Dash::Solid, ""),
        ),
        chart(
            "Curriculum",
            "fraction of training data",
            false,
            per_source("curriculum_fraction", Dash::Solid, ""),
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
            .map(|s| (s.label.as_str(), s.dash))
            .collect();
        assert_eq!(
            accuracy,
            [
                ("teacher · test", Dash::Solid),
                ("student · test", Dash::Solid),
                ("student · train", Dash::Dotted)
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

    fn model(label: &str, metric: &str, points: &[(f64, f64, f64, f64, f64)]) -> api::ModelCurves {
        api::ModelCurves {
            label: label.into(),
            kind: api::RunKind::Stage,
            stage_index: 1,
            runs: vec!["a".into(), "b".into(), "c".into()],
            available: vec![metric.into()],
            curves: vec![api::SpreadCurve {
                metric: metric.into(),
                points: points
                    .iter()
                    .map(|&(epoch, mean, min, max, std)| api::SpreadPoint {
                        epoch,
                        mean,
                        min,
                        max,
                        std,
                        seeds: 3,
                    })
                    .collect(),
            }],
        }
    }

    #[test]
    fn a_model_over_its_seeds_is_one_line_with_a_band_of_their_range_or_std() {
        let student = model("student", "val_accuracy", &[(1.0, 0.6, 0.5, 0.8, 0.1)]);
        let drawn = |spread| {
            let models = [LabelledModel::new(
                "student".into(),
                color(1),
                &student.curves,
                spread,
            )];
            charts(&models).remove(0).series.remove(0)
        };
        let range = drawn(Spread::Range);
        assert_eq!(
            (range.label.as_str(), range.dash),
            ("student · val", Dash::Dashed)
        );
        assert_eq!(range.points, vec![(1.0, 0.6)], "the line is the mean");
        assert_eq!(range.band, Some(vec![(1.0, 0.5, 0.8)]));
        let std = drawn(Spread::Std).band.unwrap();
        assert!((std[0].1 - 0.5).abs() < 1e-12 && (std[0].2 - 0.7).abs() < 1e-12);
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
