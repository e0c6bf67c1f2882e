//! Axis scales: a data interval mapped onto pixels, linearly or logarithmically, with tick
//! values at round numbers (1, 2, 5 × 10ⁿ).

/// How values map onto an axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// Proportional.
    Linear,
    /// Proportional to log10 (values must be positive); for latencies and sizes that span
    /// orders of magnitude.
    Log,
}

/// One axis: a data domain mapped onto a pixel range.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    scale: Scale,
    lo: f64,
    hi: f64,
    from_px: f64,
    to_px: f64,
    ticks: Vec<f64>,
}

impl Axis {
    /// An axis covering `values` (padded to round tick values) drawn from `from_px` to `to_px`
    /// (which may run downwards, as y does in SVG). An empty or degenerate domain widens to
    /// something drawable.
    pub fn fit(
        values: impl IntoIterator<Item = f64>,
        scale: Scale,
        from_px: f64,
        to_px: f64,
    ) -> Axis {
        let finite = values
            .into_iter()
            .filter(|v| v.is_finite() && (scale == Scale::Linear || *v > 0.0));
        let (mut lo, mut hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
        if lo > hi {
            (lo, hi) = match scale {
                Scale::Linear => (0.0, 1.0),
                Scale::Log => (1.0, 10.0),
            };
        }
        let (lo, hi, ticks) = match scale {
            Scale::Linear => {
                if hi - lo < 1e-12 * hi.abs().max(1.0) {
                    let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
                    (lo, hi) = (lo - pad, hi + pad);
                }
                let step = tick_step(lo, hi, 5);
                let lo = round_to((lo / step + 1e-9).floor() * step, step);
                let hi = round_to((hi / step - 1e-9).ceil() * step, step);
                (lo, hi, nice_ticks(lo, hi, 5))
            }
            Scale::Log => {
                let lo = 10f64.powf(lo.log10().floor());
                let mut hi = 10f64.powf(hi.log10().ceil());
                if hi <= lo {
                    hi = lo * 10.0;
                }
                let decades = (hi / lo).log10().round() as i32;
                let ticks = (0..=decades).map(|d| lo * 10f64.powi(d)).collect();
                (lo, hi, ticks)
            }
        };
        Axis {
            scale,
            lo,
            hi,
            from_px,
            to_px,
            ticks,
        }
    }

    /// The pixel position of `value` (clamped to the axis).
    pub fn px(&self, value: f64) -> f64 {
        let t = match self.scale {
            Scale::Linear => (value - self.lo) / (self.hi - self.lo),
            Scale::Log => {
                (value.max(self.lo).log10() - self.lo.log10()) / (self.hi.log10() - self.lo.log10())
            }
        };
        self.from_px + t.clamp(0.0, 1.0) * (self.to_px - self.from_px)
    }

    /// The value at pixel `px`: the inverse of [`Axis::px`], clamped to the axis.
    pub fn value(&self, px: f64) -> f64 {
        let t = ((px - self.from_px) / (self.to_px - self.from_px)).clamp(0.0, 1.0);
        match self.scale {
            Scale::Linear => self.lo + t * (self.hi - self.lo),
            Scale::Log => 10f64.powf(self.lo.log10() + t * (self.hi.log10() - self.lo.log10())),
        }
    }

    /// Round values to label along the axis.
    pub fn ticks(&self) -> &[f64] {
        &self.ticks
    }

    /// The ticks with their labels, written with as many decimals as the tick spacing needs
    /// (0.00095 and 0.001 stay distinct); decades on a log axis.
    pub fn labelled_ticks(&self) -> Vec<(f64, String)> {
        let step = match (self.scale, self.ticks.as_slice()) {
            (Scale::Linear, [a, b, ..]) => Some(b - a),
            _ => None,
        };
        self.ticks
            .iter()
            .map(|&t| {
                let label = match step {
                    Some(step) if t.abs() < 1e4 && step > 0.0 => {
                        let decimals = (-step.log10()).ceil().max(0.0) as usize;
                        trim(format!("{t:.decimals$}"))
                    }
                    _ => tick_label(t),
                };
                (t, label)
            })
            .collect()
    }

    /// The domain `(lo, hi)` after padding.
    pub fn domain(&self) -> (f64, f64) {
        (self.lo, self.hi)
    }
}

/// About `count` round values covering `[lo, hi]`, spaced 1, 2 or 5 × 10ⁿ apart.
pub fn nice_ticks(lo: f64, hi: f64, count: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo || count == 0 {
        return vec![lo];
    }
    let step = tick_step(lo, hi, count);
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    (first..=last)
        .map(|i| round_to(i as f64 * step, step))
        .collect()
}

/// The round spacing (1, 2 or 5 × 10ⁿ) nearest to `count` intervals over `[lo, hi]`, the way
/// d3 picks it.
fn tick_step(lo: f64, hi: f64, count: usize) -> f64 {
    let raw = (hi - lo) / count as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let error = raw / magnitude;
    let factor = if error >= 50f64.sqrt() {
        10.0
    } else if error >= 10f64.sqrt() {
        5.0
    } else if error >= 2f64.sqrt() {
        2.0
    } else {
        1.0
    };
    factor * magnitude
}

/// `value` without the floating-point noise of multiplying `step` (0.6, not 0.6000000000000001).
fn round_to(value: f64, step: f64) -> f64 {
    let scale = 10f64.powi(6 - step.log10().floor() as i32);
    (value * scale).round() / scale
}

/// A tick value written as briefly as its neighbours allow: `0.25`, `1e-4`, `2000`, `1.5M`.
pub fn tick_label(value: f64) -> String {
    let a = value.abs();
    if value == 0.0 {
        "0".into()
    } else if a >= 1e6 {
        trim(format!("{:.2}", value / 1e6)) + "M"
    } else if a >= 1e4 {
        trim(format!("{:.1}", value / 1e3)) + "k"
    } else if a < 1e-3 {
        format!("{value:.0e}")
    } else {
        trim(format!("{value:.4}"))
    }
}

fn trim(text: String) -> String {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pixel_maps_back_to_the_value_drawn_there() {
        let linear = Axis::fit([0.0, 10.0], Scale::Linear, 64.0, 544.0);
        let log = Axis::fit([0.001, 10.0], Scale::Log, 200.0, 10.0);
        for (axis, value) in [(&linear, 2.5), (&log, 0.05)] {
            assert!((axis.value(axis.px(value)) - value).abs() < 1e-9 * value.max(1.0));
        }
        assert_eq!(linear.value(0.0), 0.0, "clamped to the axis");
    }

    #[test]
    fn ticks_fall_on_round_numbers_inside_the_range() {
        assert_eq!(nice_ticks(0.0, 1.0, 5), vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        assert_eq!(nice_ticks(3.0, 97.0, 4), vec![20.0, 40.0, 60.0, 80.0]);
        assert_eq!(nice_ticks(1.0, 1.0, 5), vec![1.0]);
    }

    #[test]
    fn a_linear_axis_pads_its_domain_to_ticks_and_maps_ends_to_pixels() {
        let y = Axis::fit([0.61, 0.93], Scale::Linear, 200.0, 0.0);
        assert_eq!(y.domain(), (0.6, 0.95));
        assert_eq!(y.px(y.domain().0), 200.0);
        assert_eq!(y.px(0.95), 0.0);
        assert_eq!(y.px(5.0), 0.0, "values outside are clamped to the axis");
    }

    #[test]
    fn a_flat_or_empty_series_still_gets_a_drawable_axis() {
        let flat = Axis::fit([2.0, 2.0], Scale::Linear, 0.0, 100.0);
        let (lo, hi) = flat.domain();
        assert!(lo < 2.0 && hi > 2.0);
        assert_eq!(Axis::fit([], Scale::Linear, 0.0, 1.0).domain(), (0.0, 1.0));
    }

    #[test]
    fn a_log_axis_spans_whole_decades_and_ignores_non_positive_values() {
        let x = Axis::fit([0.3, 0.0, 42.0], Scale::Log, 0.0, 300.0);
        assert_eq!(x.domain(), (0.1, 100.0));
        assert_eq!(x.ticks().len(), 4);
        assert!((x.px(1.0) - 100.0).abs() < 1e-9);
    }

    #[test]
    fn close_ticks_keep_the_decimals_that_tell_them_apart() {
        let lr = Axis::fit([0.001, 0.001], Scale::Linear, 100.0, 0.0);
        let labels: Vec<String> = lr.labelled_ticks().into_iter().map(|(_, l)| l).collect();
        let distinct: std::collections::BTreeSet<_> = labels.iter().collect();
        assert_eq!(distinct.len(), labels.len(), "{labels:?}");
        assert!(labels.contains(&"0.001".to_string()), "{labels:?}");
        let accuracy = Axis::fit([0.31, 0.69], Scale::Linear, 100.0, 0.0);
        let labels: Vec<String> = accuracy
            .labelled_ticks()
            .into_iter()
            .map(|(_, l)| l)
            .collect();
        assert_eq!(labels, ["0.3", "0.4", "0.5", "0.6", "0.7"]);
    }

    #[test]
    fn tick_labels_are_short() {
        assert_eq!(tick_label(0.25), "0.25");
        assert_eq!(tick_label(0.00005), "5e-5");
        assert_eq!(tick_label(2000.0), "2000");
        assert_eq!(tick_label(1_500_000.0), "1.5M");
        assert_eq!(tick_label(25_000.0), "25k");
    }
}
