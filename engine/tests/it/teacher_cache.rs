//! The teacher's outputs computed once per run give the same losses as running the teacher on
//! every batch, and a run says when it uses them.

use api::ExperimentReport;
use burn::prelude::*;
use engine::data::{load, Batcher, DataDirs};
use engine::device::cpu;
use engine::distill::kd::kd_loss;
use engine::distill::Temperature;
use engine::models::Model;
use engine::spec::{parse_spec, validate};
use engine::train::{CancelToken, Checkpoint, ExperimentData, TeacherCache, TrainEvent};

use crate::support::{run_experiment, ExperimentContext};

fn pair(link: &str, augment: bool) -> String {
    format!(
        r#"{{"dataset": {{"name": "synthetic", "train_subset": 600, "test_subset": 100, "augment": {augment}}},
            "budget": {{"epochs": 1, "batch_size": 64}},
            "chain": [{{"architecture": {{"kind": "preset", "name": "cnn-s"}}}},
                      {{"architecture": {{"kind": "preset", "name": "cnn-xs"}}, "link": {link}}}]}}"#
    )
}

/// Runs `json` with checkpoints under `dir`; returns the report and the cache events seen.
fn run(json: &str, dir: &std::path::Path) -> (ExperimentReport, Vec<(String, bool)>) {
    let validated = validate(parse_spec(json).unwrap(), None, &DataDirs::default()).unwrap();
    let data = load(&validated.spec.dataset.name, &DataDirs::default()).unwrap();
    let device = cpu();
    let cancel = CancelToken::new();
    let ctx = ExperimentContext {
        data: &data,
        device: &device,
        checkpoints: Some(dir),
        cancel: &cancel,
    };
    let mut cached = Vec::new();
    let mut sink = |event: TrainEvent<'_>| {
        if let TrainEvent::TeacherCached {
            run_id, features, ..
        } = event
        {
            cached.push((run_id.to_string(), features));
        }
    };
    let report = run_experiment(&validated, &ctx, None, &mut sink).unwrap();
    (report, cached)
}

fn close(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| (x - y).abs() <= 1e-6 * (1.0 + x.abs()))
}

#[test]
fn cached_teacher_outputs_are_the_teachers_outputs_and_give_the_same_kd_loss() {
    // Arrange: a trained teacher and its cache over the training set.
    let dir = tempfile::tempdir().unwrap();
    let json = pair(r#"{"terms": [{"method": "at"}]}"#, false);
    let (report, _) = run(&json, dir.path());
    let validated = validate(parse_spec(&json).unwrap(), None, &DataDirs::default()).unwrap();
    let full = load(&validated.spec.dataset.name, &DataDirs::default()).unwrap();
    let data = ExperimentData::prepare(&validated.spec, &full);
    let teacher_dir = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(&report.runs[0].id)
        })
        .unwrap();
    let device = Device::flex();
    let teacher = Checkpoint::at(&teacher_dir)
        .load_model(&report.runs[0].architecture, data.input, &device)
        .unwrap();
    let batcher: &Batcher = &data.batcher;
    let train = &data.data.train;
    let cache = TeacherCache::compute(
        &Model::Net(teacher.clone()),
        train,
        train.len(),
        batcher,
        true,
        &device,
    );

    // Act: one shuffled batch, from the cache and from the teacher.
    let indices = [17, 3, 250, 99, 0, 538, 41];
    let cached = cache.features(&indices, &device);
    let batch = batcher.batch(&data.data.train, &indices, &device, None);
    let direct = teacher.forward_features(batch.images);

    // Assert
    let host = |t: Tensor<2>| t.into_data().try_to_vec::<f32>().unwrap();
    assert!(close(
        &host(cached.logits.clone()),
        &host(direct.logits.clone())
    ));
    assert_eq!(cached.stages.len(), direct.stages.len());
    for (c, d) in cached.stages.iter().zip(&direct.stages) {
        let (c, d): (Vec<f32>, Vec<f32>) = (
            c.clone().into_data().try_to_vec().unwrap(),
            d.clone().into_data().try_to_vec().unwrap(),
        );
        assert!(close(&c, &d));
    }
    let student = Tensor::<2>::from_data(
        TensorData::new(
            (0..70).map(|i| (i as f32 * 0.37).sin()).collect::<Vec<_>>(),
            [7, 10],
        ),
        &device,
    );
    let t = Temperature::Fixed(4.0);
    let from_cache = kd_loss(student.clone(), cached.logits, &t).into_scalar::<f32>();
    let from_teacher = kd_loss(student, direct.logits, &t).into_scalar::<f32>();
    assert!(
        close(&[from_cache], &[from_teacher]),
        "{from_cache} vs {from_teacher}"
    );
}

#[test]
fn a_run_says_when_it_uses_the_cache_and_augmentation_turns_it_off() {
    let dir = tempfile::tempdir().unwrap();
    let (_, kd) = run(&pair(r#"{"terms": [{"method": "kd"}]}"#, false), dir.path());
    assert_eq!(kd.len(), 1, "{kd:?}");
    assert!(kd[0].0.starts_with("s1") && !kd[0].1, "logits only: {kd:?}");
    let (_, at) = run(&pair(r#"{"terms": [{"method": "at"}]}"#, false), dir.path());
    assert_eq!(at.len(), 1);
    assert!(at[0].1, "AT's features fit the default budget");
    let (_, augmented) = run(&pair(r#"{"terms": [{"method": "kd"}]}"#, true), dir.path());
    assert!(augmented.is_empty(), "augmented images change every epoch");
}
