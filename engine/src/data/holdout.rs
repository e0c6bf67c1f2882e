//! The validation split: training samples held out, stratified by class and drawn the same way
//! for every run of an experiment (independent of the seed, so a student and its baseline, and
//! every seed, select their models on the same samples). Never drawn from the test split.

use super::ImageSet;
use crate::rng::{purpose, Rng};

/// Splits `set` into (training, validation) with `count` validation samples, each class held
/// out in proportion to its share of `set` (largest remainders get the leftover samples).
/// Training keeps the original order of what is left.
pub fn hold_out(set: &ImageSet, count: usize, classes: usize) -> (ImageSet, ImageSet) {
    stratified_split(set, count, classes, purpose::VALIDATION)
}

/// Splits `set` into (kept, held out) like [`hold_out`], drawing with the random stream of
/// `stream` (one of [`purpose`]'s), so that different splits draw independently.
pub(crate) fn stratified_split(
    set: &ImageSet,
    count: usize,
    classes: usize,
    stream: u64,
) -> (ImageSet, ImageSet) {
    let count = count.min(set.len());
    let classes = classes.max(1);
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); classes];
    for (i, &label) in set.labels.iter().enumerate() {
        by_class[label as usize % classes].push(i);
    }
    let total = set.len().max(1) as f64;
    let exact: Vec<f64> = by_class
        .iter()
        .map(|members| count as f64 * members.len() as f64 / total)
        .collect();
    let mut quota: Vec<usize> = exact.iter().map(|q| q.floor() as usize).collect();
    let mut order: Vec<usize> = (0..quota.len()).collect();
    order.sort_by(|&a, &b| {
        (exact[b] - exact[b].floor())
            .total_cmp(&(exact[a] - exact[a].floor()))
            .then(a.cmp(&b))
    });
    let mut missing = count - quota.iter().sum::<usize>();
    for &class in order.iter().cycle().take(order.len() * 2) {
        if missing == 0 {
            break;
        }
        if quota[class] < by_class[class].len() {
            quota[class] += 1;
            missing -= 1;
        }
    }
    let mut held = vec![false; set.len()];
    for (class, members) in by_class.iter_mut().enumerate() {
        Rng::derive(0, &[stream, class as u64]).shuffle(members);
        for &i in &members[..quota[class]] {
            held[i] = true;
        }
    }
    let (validation, training): (Vec<usize>, Vec<usize>) = (0..set.len()).partition(|&i| held[i]);
    (set.select(&training), set.select(&validation))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labelled(labels: &[u16]) -> ImageSet {
        ImageSet {
            pixels: (0..labels.len()).map(|i| i as u8).collect(),
            labels: labels.to_vec(),
            channels: 1,
            height: 1,
            width: 1,
        }
    }

    #[test]
    fn each_class_is_held_out_in_proportion_and_nothing_is_in_both_parts() {
        let labels: Vec<u16> = (0..100).map(|i| if i < 80 { 0 } else { 1 }).collect();
        let set = labelled(&labels);
        let (train, validation) = hold_out(&set, 10, 2);
        assert_eq!(validation.len(), 10);
        assert_eq!(train.len(), 90);
        assert_eq!(validation.labels.iter().filter(|&&l| l == 0).count(), 8);
        assert_eq!(validation.labels.iter().filter(|&&l| l == 1).count(), 2);
        for pixel in &validation.pixels {
            assert!(
                !train.pixels.contains(pixel),
                "sample {pixel} is in both parts"
            );
        }
    }

    #[test]
    fn the_split_is_the_same_every_time() {
        let labels: Vec<u16> = (0..50).map(|i| (i % 3) as u16).collect();
        let set = labelled(&labels);
        assert_eq!(hold_out(&set, 7, 3).1.pixels, hold_out(&set, 7, 3).1.pixels);
        assert_eq!(hold_out(&set, 7, 3).1.len(), 7);
    }
}
