//! Curve downsampling, the reference the store's SQL version is tested against: points fall into equal-width, right-closed epoch buckets over a fixed span, and each
//! non-empty bucket keeps its last point plus the minimum and maximum inside it. The span is
//! the run's (or the compared runs') epoch budget, so runs share buckets and a growing curve
//! keeps its bucket edges; the final point is always kept, as the last of the last bucket.

use api::CurvePoint;

use crate::store::CurvePointRow;

/// `points` (in step order) in at most `buckets` buckets over epochs `[0, span]`.
pub fn downsample(points: &[CurvePointRow], span: f64, buckets: usize) -> Vec<CurvePoint> {
    let buckets = buckets.max(1);
    let span = points
        .iter()
        .map(|p| p.epoch)
        .fold(span, f64::max)
        .max(f64::MIN_POSITIVE);
    let width = span / buckets as f64;
    let mut out: Vec<(usize, CurvePoint)> = Vec::new();
    for p in points {
        // Right-closed buckets (a, b]: an epoch's end-of-epoch metrics fall in the bucket that ends
        // there, with that epoch's batches.
        let bucket = (((p.epoch / width).ceil() as i64 - 1).max(0) as usize).min(buckets - 1);
        match out.last_mut() {
            Some((b, last)) if *b == bucket => {
                last.step = p.step as u64;
                last.epoch = p.epoch;
                last.value = p.value;
                last.min = last.min.min(p.value);
                last.max = last.max.max(p.value);
                last.count += 1;
            }
            _ => out.push((
                bucket,
                CurvePoint {
                    step: p.step as u64,
                    epoch: p.epoch,
                    value: p.value,
                    min: p.value,
                    max: p.value,
                    count: 1,
                },
            )),
        }
    }
    out.into_iter().map(|(_, p)| p).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(n: usize, epochs: f64) -> Vec<CurvePointRow> {
        (1..=n)
            .map(|i| CurvePointRow {
                step: i as i64,
                epoch: epochs * i as f64 / n as f64,
                value: (i as f64 * 0.37).sin(),
            })
            .collect()
    }

    #[test]
    fn a_hundred_thousand_points_become_at_most_the_buckets_asked_for() {
        let raw = points(100_000, 10.0);
        let out = downsample(&raw, 10.0, 500);
        assert_eq!(out.len(), 500);
        assert_eq!(out.iter().map(|p| p.count).sum::<usize>(), raw.len());
    }

    #[test]
    fn the_final_point_is_always_kept() {
        let raw = points(12_345, 3.0);
        let out = downsample(&raw, 3.0, 7);
        let last = out.last().unwrap();
        assert_eq!((last.step, last.value), (12_345, raw.last().unwrap().value));
    }

    #[test]
    fn each_bucket_keeps_its_extremes() {
        let raw = points(10_000, 1.0);
        for bucket in downsample(&raw, 1.0, 10) {
            let inside: Vec<f64> = raw
                .iter()
                .filter(|p| {
                    p.step as u64 <= bucket.step
                        && p.step as u64 > bucket.step - bucket.count as u64
                })
                .map(|p| p.value)
                .collect();
            assert_eq!(
                bucket.min,
                inside.iter().cloned().fold(f64::INFINITY, f64::min)
            );
            assert_eq!(
                bucket.max,
                inside.iter().cloned().fold(f64::NEG_INFINITY, f64::max)
            );
        }
    }

    #[test]
    fn runs_of_different_lengths_share_bucket_edges() {
        let short = downsample(&points(1_000, 2.0), 4.0, 4);
        let long = downsample(&points(1_000, 4.0), 4.0, 4);
        assert_eq!(
            short.len(),
            2,
            "two epochs fill the first two of four buckets"
        );
        assert_eq!(long.len(), 4);
        assert_eq!(short[0].epoch, 1.0);
        assert_eq!(long[0].epoch, 1.0);
    }

    #[test]
    fn fewer_points_than_buckets_pass_through_unchanged() {
        let raw = points(5, 5.0);
        let out = downsample(&raw, 5.0, 500);
        assert_eq!(out.len(), 5);
        assert!(out
            .iter()
            .zip(&raw)
            .all(|(o, r)| o.value == r.value && o.count == 1));
    }
}
