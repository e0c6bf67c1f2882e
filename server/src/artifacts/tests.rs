//! Artifacts on a real S3-compatible store (moto's server, see `distill_tests::S3`) between two
//! "machines" that share no directory, and without a store.

use std::path::Path;

use distill_tests::S3;
use engine::train::{Checkpoint, Progress};
use object_store::aws::AmazonS3Builder;

use super::{ArtifactError, Artifacts, Remote};

/// Artifacts cached in `root`, for the store at `location` of `s3`.
fn machine(root: &Path, s3: &S3, location: &str) -> Artifacts {
    let builder = s3
        .env()
        .into_iter()
        .fold(AmazonS3Builder::new(), |builder, (key, value)| {
            builder.with_config(key.to_ascii_lowercase().parse().unwrap(), value)
        });
    Artifacts {
        root: root.to_path_buf(),
        remote: Some(Remote::open(location, builder).unwrap()),
    }
}

/// Writes what an epoch leaves in a checkpoint directory: its files (bytes naming them) and
/// `progress.json`.
fn finish_epoch(dir: &Path, epoch: usize) {
    std::fs::create_dir_all(dir).unwrap();
    let checkpoint = Checkpoint::at(dir);
    for file in checkpoint.resume_files(epoch) {
        std::fs::write(&file, format!("{} of epoch {epoch}", file.display())).unwrap();
    }
    let progress = Progress {
        epochs_done: epoch,
        ..Progress::new("fingerprint".into())
    };
    std::fs::write(
        checkpoint.progress_path(),
        serde_json::to_vec(&progress).unwrap(),
    )
    .unwrap();
}

fn names(keys: &[String]) -> Vec<&str> {
    keys.iter().filter_map(|k| k.rsplit('/').next()).collect()
}

#[tokio::test]
async fn a_checkpoint_pushed_by_one_machine_is_pulled_by_another_with_only_its_last_epoch() {
    let Some(s3) = S3::require() else { return };
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (alpha, beta) = (
        machine(a.path(), &s3, &s3.url("runs")),
        machine(b.path(), &s3, &s3.url("runs")),
    );
    alpha.check().await.unwrap();
    let trained = a.path().join("run1-fingerprint");
    for epoch in [1, 2] {
        finish_epoch(&trained, epoch);
        alpha.push_checkpoint(&trained).await.unwrap();
    }

    assert_eq!(
        names(&s3.keys("runs/run1-fingerprint/")),
        [
            "best.bpk",
            "optimizer-epoch2.bin",
            "progress.json",
            "student-epoch2.bpk"
        ],
        "epoch 1's objects are removed once epoch 2 is stored"
    );
    let resumed = b.path().join("run1-fingerprint");
    assert_eq!(beta.pull_checkpoint(&resumed).await.unwrap(), Some(2));
    let (theirs, ours) = (Checkpoint::at(&trained), Checkpoint::at(&resumed));
    for (from, to) in theirs.resume_files(2).iter().zip(ours.resume_files(2)) {
        assert_eq!(std::fs::read(from).unwrap(), std::fs::read(to).unwrap());
    }
    assert_eq!(ours.saved_progress().unwrap().unwrap().epochs_done, 2);
    assert_eq!(
        beta.pull_checkpoint(&resumed).await.unwrap(),
        None,
        "a machine as far as the store pulls nothing"
    );
}

#[tokio::test]
async fn a_model_pushed_by_one_machine_is_found_fetched_and_served_by_another_and_removed_with_its_run(
) {
    let Some(s3) = S3::require() else { return };
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (alpha, beta) = (
        machine(a.path(), &s3, &s3.url("lab/models")),
        machine(b.path(), &s3, &s3.url("lab/models")),
    );
    let trained = a.path().join("teacher-fingerprint");
    finish_epoch(&trained, 1);
    std::fs::write(trained.join("model.bpk"), b"the teacher's weights").unwrap();
    // The row names alpha's path; on beta that path means nothing.
    let model_dir = "/elsewhere/on/alpha/teacher-fingerprint";
    assert!(!beta.has_model(model_dir).await.unwrap());
    alpha.push_model(&trained).await.unwrap();

    assert!(beta.has_model(model_dir).await.unwrap());
    assert_eq!(
        beta.model_bytes(model_dir).await.unwrap(),
        &b"the teacher's weights"[..],
        "served straight from the store"
    );
    let fetched = beta.fetch_model(model_dir).await.unwrap();
    assert_eq!(fetched, b.path().join("teacher-fingerprint"));
    assert_eq!(
        std::fs::read(fetched.join("model.bpk")).unwrap(),
        b"the teacher's weights"
    );
    alpha.push_checkpoint(&trained).await.unwrap();
    beta.remove(model_dir).await.unwrap();
    assert!(!fetched.exists(), "beta's cached copy is deleted");
    assert_eq!(s3.keys("lab/models/"), Vec::<String>::new());
    assert!(!beta.has_model(model_dir).await.unwrap());
}

#[tokio::test]
async fn without_a_store_the_checkpoint_directory_is_the_only_copy() {
    let dir = tempfile::tempdir().unwrap();
    let local = Artifacts::open(dir.path().to_path_buf(), None).unwrap();
    let run = dir.path().join("run-fingerprint");
    let model_dir = run.to_str().unwrap();
    finish_epoch(&run, 1);
    local.push_checkpoint(&run).await.unwrap();
    assert!(!local.has_model(model_dir).await.unwrap());
    let missing = local.fetch_model(model_dir).await.unwrap_err();
    assert!(
        matches!(&missing, ArtifactError::NoModel { .. })
            && missing.to_string().contains("none is configured"),
        "{missing}"
    );

    std::fs::write(run.join("model.bpk"), b"weights").unwrap();
    assert!(local.has_model(model_dir).await.unwrap());
    assert_eq!(local.fetch_model(model_dir).await.unwrap(), run);
    local.remove(model_dir).await.unwrap();
    assert!(!run.exists());
}

#[test]
fn a_location_that_is_not_s3_is_refused_saying_what_to_use_instead() {
    let root = std::path::PathBuf::from("/tmp/unused");
    let refused = |url: &str| {
        Artifacts::open(root.clone(), Some(url))
            .unwrap_err()
            .to_string()
    };
    assert!(refused("gs://bucket").contains("only s3://"));
    assert!(refused("/mnt/nfs/checkpoints").contains("use --checkpoints"));
    assert!(refused("s3://").contains("the bucket is missing"));
}
