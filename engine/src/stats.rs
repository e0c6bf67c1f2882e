//! Statistics of results over seeds: means with their spread (of a number, or of curves
//! point by point), and paired gains with a 95 % confidence interval from Student's t
//! distribution (statrs).

use std::collections::BTreeMap;

use api::{Curve, Estimate, PairedGain, RunCurves, SpreadCurve, SpreadPoint};
use statrs::distribution::{ContinuousCDF, StudentsT};

/// Mean and sample standard deviation (n − 1) of `values`; `None` when there are none.
pub fn estimate(values: &[f64]) -> Option<Estimate> {
    if values.is_empty() {
        return None;
    }
    let n = values.len();
    let mean = values.iter().sum::<f64>() / n as f64;
    let std = if n < 2 {
        0.0
    } else {
        (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
    };
    Some(Estimate { n, mean, std })
}

/// The seeds' curves of one metric as one line with its spread: at every epoch position any
/// seed's curve has a bucket at, the mean, minimum, maximum and sample standard deviation of
/// the seeds that have it. The seeds of a model share their budget, so their buckets fall at
/// the same positions.
pub fn spread_over_seeds(curves: &[&Curve]) -> Vec<SpreadPoint> {
    // Epochs are non-negative, so their bit patterns sort as the numbers do.
    let mut at: BTreeMap<u64, Vec<f64>> = BTreeMap::new();
    for curve in curves {
        for point in &curve.points {
            at.entry(point.epoch.to_bits())
                .or_default()
                .push(point.value);
        }
    }
    at.into_iter()
        .filter_map(|(epoch, values)| {
            let estimate = estimate(&values)?;
            let (min, max) = values
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                    (lo.min(v), hi.max(v))
                });
            Some(SpreadPoint {
                epoch: f64::from_bits(epoch),
                mean: estimate.mean,
                min,
                max,
                std: estimate.std,
                seeds: estimate.n,
            })
        })
        .collect()
}

/// The seeds' curves of each of `metrics` folded into one line with its spread
/// ([`spread_over_seeds`]); a metric none of `runs` has is left out.
pub fn spread_curves(runs: &[&RunCurves], metrics: &[String]) -> Vec<SpreadCurve> {
    metrics
        .iter()
        .filter_map(|metric| {
            let seeds: Vec<&Curve> = runs
                .iter()
                .flat_map(|run| run.curves.iter().filter(|c| &c.metric == metric))
                .collect();
            (!seeds.is_empty()).then(|| SpreadCurve {
                metric: metric.clone(),
                points: spread_over_seeds(&seeds),
            })
        })
        .collect()
}

/// The two-sided 95 % quantile of Student's t with `df` degrees of freedom (12.71 for 1,
/// 4.30 for 2, → 1.96).
pub fn t_975(df: usize) -> f64 {
    StudentsT::new(0.0, 1.0, df as f64)
        .expect("a positive number of degrees of freedom")
        .inverse_cdf(0.975)
}

/// The gain of `a` over `b`, each given as `(seed, value)`, paired by seed: the one rule every
/// gain the lab shows follows (an experiment's student over its baseline, the models of a
/// comparison). `None` without a common seed.
pub fn gain_by_seed(a: &[(u64, f64)], b: &[(u64, f64)]) -> Option<PairedGain> {
    paired_gain(&pair_by_seed(a, b))
}

/// The paired gain of `a` over `b` from their values `(a, b)` for each seed both have:
/// mean and std of the differences and, from two seeds on, the 95 % confidence interval of the
/// mean (`mean ± t₀.₉₇₅(n−1)·std/√n`). `None` without a common seed.
fn paired_gain(pairs: &[(f64, f64)]) -> Option<PairedGain> {
    let differences: Vec<f64> = pairs.iter().map(|(a, b)| a - b).collect();
    let spread = estimate(&differences)?;
    let half = (spread.n >= 2).then(|| t_975(spread.n - 1) * spread.std / (spread.n as f64).sqrt());
    Some(PairedGain {
        n: spread.n,
        mean: spread.mean,
        std: spread.std,
        ci_low: half.map(|h| spread.mean - h),
        ci_high: half.map(|h| spread.mean + h),
        differences,
    })
}

/// The values of `a` and `b` for the seeds both have, in `a`'s order.
fn pair_by_seed(a: &[(u64, f64)], b: &[(u64, f64)]) -> Vec<(f64, f64)> {
    a.iter()
        .filter_map(|(seed, x)| b.iter().find(|(s, _)| s == seed).map(|(_, y)| (*x, *y)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curve(points: &[(f64, f64)]) -> Curve {
        Curve {
            metric: "val_accuracy".into(),
            raw_points: points.len(),
            points: points
                .iter()
                .enumerate()
                .map(|(i, &(epoch, value))| api::CurvePoint {
                    step: i as u64,
                    epoch,
                    value,
                    min: value,
                    max: value,
                    count: 1,
                })
                .collect(),
        }
    }

    #[test]
    fn seeds_curves_become_one_mean_line_with_their_range_and_std_at_each_epoch() {
        let a = curve(&[(1.0, 0.5), (2.0, 0.7)]);
        let b = curve(&[(1.0, 0.7), (2.0, 0.9)]);
        let still_training = curve(&[(1.0, 0.6)]);
        let spread = spread_over_seeds(&[&a, &b, &still_training]);
        assert_eq!(spread.len(), 2);
        let first = &spread[0];
        assert_eq!((first.epoch, first.seeds), (1.0, 3));
        assert!((first.mean - 0.6).abs() < 1e-12);
        assert_eq!((first.min, first.max), (0.5, 0.7));
        assert!((first.std - 0.1).abs() < 1e-12, "{}", first.std);
        let second = &spread[1];
        assert_eq!(
            (second.epoch, second.seeds),
            (2.0, 2),
            "the third seed has not reached it"
        );
        assert!((second.mean - 0.8).abs() < 1e-12);
        assert!(spread_over_seeds(&[]).is_empty());
    }

    #[test]
    fn the_t_quantiles_are_the_textbook_ones() {
        assert!((t_975(1) - 12.706).abs() < 1e-3);
        assert!((t_975(2) - 4.303).abs() < 1e-3);
        assert!((t_975(4) - 2.776).abs() < 1e-3);
        assert!((t_975(1000) - 1.962).abs() < 1e-3);
    }

    #[test]
    fn a_paired_gain_has_the_mean_and_interval_of_its_differences() {
        // Differences 1, 2, 3: mean 2, std 1, half-width 4.303 / √3.
        let gain = paired_gain(&[(11.0, 10.0), (12.0, 10.0), (13.0, 10.0)]).unwrap();
        assert_eq!((gain.n, gain.mean, gain.std), (3, 2.0, 1.0));
        let half = 4.302_652_7 / 3f64.sqrt();
        assert!((gain.ci_low.unwrap() - (2.0 - half)).abs() < 1e-6);
        assert!((gain.ci_high.unwrap() - (2.0 + half)).abs() < 1e-6);
        assert!(!gain.excludes_zero(), "2 ± 2.48 includes 0");
        let tight = paired_gain(&[(2.0, 1.0), (2.1, 1.0), (1.9, 1.0)]).unwrap();
        assert!(tight.excludes_zero(), "1 ± 0.25 does not");
    }

    #[test]
    fn one_seed_has_a_gain_but_no_interval() {
        let gain = paired_gain(&[(0.9, 0.8)]).unwrap();
        assert_eq!((gain.n, gain.ci_low, gain.ci_high), (1, None, None));
        assert!(!gain.excludes_zero());
        assert!(paired_gain(&[]).is_none());
    }

    #[test]
    fn pairing_by_seed_drops_seeds_only_one_side_has() {
        let pairs = pair_by_seed(&[(0, 0.9), (1, 0.8), (2, 0.7)], &[(2, 0.5), (0, 0.6)]);
        assert_eq!(pairs, vec![(0.9, 0.6), (0.7, 0.5)]);
    }
}
