//! Progress bars for `distill run`: one for the whole experiment (epochs of all runs), one for
//! the batches of the current epoch, and a line per finished epoch.

use engine::train::{describe_teacher_cache, PlannedRun, ProgressSink, TrainEvent};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

/// A [`ProgressSink`] drawing on stderr.
pub struct ProgressBars {
    multi: MultiProgress,
    overall: ProgressBar,
    epoch: ProgressBar,
}

impl ProgressBars {
    /// Bars for these runs, each of its own budget (a model taken from an earlier run trains
    /// no epoch).
    pub fn new(runs: &[PlannedRun]) -> ProgressBars {
        let multi = MultiProgress::new();
        let epochs: usize = runs
            .iter()
            .filter(|r| r.from_run.is_none())
            .map(|r| r.budget.epochs)
            .sum();
        let overall = multi.add(ProgressBar::new(epochs as u64));
        overall.set_style(
            ProgressStyle::with_template(
                "{prefix:>10} [{bar:30}] {pos}/{len} epochs, {elapsed} elapsed, ETA {eta}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        overall.set_prefix("experiment");
        let epoch = multi.add(ProgressBar::new(1));
        epoch.set_style(
            ProgressStyle::with_template("{prefix:>10} [{bar:30}] {pos}/{len} batches {msg}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        epoch.set_prefix("epoch");
        ProgressBars {
            multi,
            overall,
            epoch,
        }
    }

    /// Removes the bars.
    pub fn finish(&self) {
        self.epoch.finish_and_clear();
        self.overall.finish_and_clear();
    }

    fn line(&self, text: String) {
        // Printed above the bars; plain lines when stderr is not a terminal.
        if self.multi.is_hidden() {
            eprintln!("{text}");
        } else {
            let _ = self.multi.println(text);
        }
    }
}

impl ProgressSink for ProgressBars {
    fn event(&mut self, event: TrainEvent<'_>) {
        match event {
            TrainEvent::RunStarted {
                run_id,
                epochs,
                resumed_after_epoch,
                device,
                ..
            } => {
                self.overall.inc(resumed_after_epoch as u64);
                let resumed = match resumed_after_epoch {
                    0 => String::new(),
                    done if done == epochs => ", already trained: reusing its checkpoint".into(),
                    done => format!(", resuming after epoch {done}"),
                };
                self.line(format!("{run_id}: {epochs} epoch(s) on {device}{resumed}"));
            }
            TrainEvent::TeacherCached {
                run_id,
                bytes,
                features,
            } => self.line(format!(
                "{run_id}: {}",
                describe_teacher_cache(bytes, features)
            )),
            TrainEvent::Batch {
                run_id,
                epoch,
                batch,
                batches,
                loss,
            } => {
                self.epoch.set_length(batches as u64);
                self.epoch.set_position(batch as u64);
                self.epoch
                    .set_message(format!("{run_id} epoch {epoch}, loss {loss:.4}"));
            }
            TrainEvent::Epoch {
                run_id,
                epochs,
                metrics,
            } => {
                self.overall.inc(1);
                let temperature = metrics
                    .temperature
                    .map(|t| format!(", T {t:.2}"))
                    .unwrap_or_default();
                let fraction = metrics
                    .curriculum_fraction
                    .map(|f| format!(", data {:.0}%", f * 100.0))
                    .unwrap_or_default();
                self.line(format!(
                    "{run_id} epoch {}/{epochs}: loss {:.4}, train acc {:.2}%, val acc {}, test acc {:.2}%{temperature}{fraction} ({:.1}s, {:.0} samples/s)",
                    metrics.epoch,
                    metrics.train_loss,
                    metrics.train_accuracy * 100.0,
                    metrics.val_accuracy.map_or("—".into(), |v| format!("{:.2}%", v * 100.0)),
                    metrics.test_accuracy * 100.0,
                    metrics.train_seconds,
                    metrics.samples as f64 / metrics.train_seconds.max(1e-9),
                ));
            }
            TrainEvent::RunFinished { report } => {
                let m = &report.measurements;
                let chosen = match (report.imported_from.as_deref(), m.val_best_epoch) {
                    (Some(run), _) => format!("the model of run {run}"),
                    (None, Some(epoch)) => format!("epoch {epoch}, best on validation"),
                    (None, None) => "the last epoch".into(),
                };
                self.line(format!(
                    "{}: top-1 {:.2}% ({chosen}; last epoch {:.2}%), {} params, latency p50 {:.3} ms",
                    report.id,
                    m.top1() * 100.0,
                    m.top1_last * 100.0,
                    m.params,
                    m.latency_p50_ms
                ));
            }
        }
    }
}
