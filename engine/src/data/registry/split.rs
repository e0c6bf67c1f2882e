//! The decoded images as the dataset's train/test split: one shape for all, and a stratified
//! test split held out when the source has none.

use super::conform::{decide_shape, to_image_set, Decoded, Labelled, Shape};
use super::{RegisterError, Registration, DEFAULT_TEST_FRACTION};
use crate::data::holdout::stratified_split;
use crate::data::Split;
use crate::rng::purpose;

/// The decoded images as a train/test split of one shape; also says where test came from.
pub(super) fn conform_split(
    decoded: Decoded,
    request: &Registration,
) -> Result<(Split, Shape, String, Vec<String>), RegisterError> {
    let all: Vec<&Labelled> = decoded
        .train
        .iter()
        .chain(decoded.test.iter().flatten())
        .collect();
    let shape = decide_shape(&all, request.resize, request.colour)?;
    let classes = decoded.classes.len();
    let train = to_image_set(&decoded.train, shape);
    let (train, test, note) = match &decoded.test {
        Some(test) => (
            train,
            to_image_set(test, shape),
            "test split as given".to_string(),
        ),
        None => {
            let fraction = request.test_fraction.unwrap_or(DEFAULT_TEST_FRACTION);
            let count = (train.len() as f64 * fraction).round() as usize;
            let (kept, held) = stratified_split(&train, count, classes, purpose::TEST_SPLIT);
            let note = format!(
                "test split: {:.0} % of the images held out, stratified by class",
                fraction * 100.0
            );
            (kept, held, note)
        }
    };
    if let Some(class) = per_class(&train.labels, classes)
        .iter()
        .position(|&n| n == 0)
    {
        return Err(RegisterError::invalid(
            format!("train/{}", decoded.classes[class]),
            "has no training image left once the test split is held out; add images or lower test_fraction",
        ));
    }
    let split = Split {
        train,
        test,
        classes,
        checksum: None,
    };
    Ok((split, shape, note, decoded.classes))
}

/// Images per class, in label order.
pub(super) fn per_class(labels: &[u16], classes: usize) -> Vec<usize> {
    let mut counts = vec![0; classes];
    for &label in labels {
        counts[label as usize] += 1;
    }
    counts
}
