//! The GPU kit's two scripts, run here as a session with a lent GPU will run them, but on the
//! CPU: `scripts/gpu-kit.sh` packs the binary cargo built (the real kit packs a CUDA build),
//! then `scripts/gpu-run.sh --dry-run` unpacks it and goes through every step with
//! `--backend cpu`, so the first real run on a device cannot fail on a typo.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn repository() -> PathBuf {
    let tests = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    PathBuf::from(tests)
        .parent()
        .expect("the workspace")
        .to_path_buf()
}

fn script(name: &str) -> Command {
    let mut command = Command::new("bash");
    command
        .arg(repository().join("scripts").join(name))
        .current_dir(repository());
    command
}

#[test]
fn the_gpu_kit_packs_the_binary_and_its_run_script_measures_every_step_on_the_cpu() {
    let dir = tempfile::tempdir().unwrap();
    let kit = dir.path().join("kit");
    let out = dir.path().join("out");
    let binary = distill_tests::distill_binary();
    let packed = script("gpu-kit.sh")
        .args(["--binary".as_ref(), binary.as_os_str()])
        .args(["--no-gl", "--no-data", "--out"])
        .arg(&kit)
        .output()
        .unwrap();
    assert!(
        packed.status.success(),
        "{}",
        distill_tests::stderr(&packed)
    );
    assert!(kit.join("distill.xz").is_file());

    let ran = script("gpu-run.sh")
        .args([
            "--dry-run",
            "--presets",
            "mlp-s,cnn-xs,not-a-preset",
            "--kit",
        ])
        .arg(&kit)
        .env("OUT", &out)
        .output()
        .unwrap();
    let log = std::fs::read_to_string(out.join("log.txt")).unwrap_or_default();
    assert!(ran.status.success(), "{log}");
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();

    let bench = summary["bench"].as_array().unwrap();
    let measured: Vec<(&str, u64)> = bench
        .iter()
        .map(|r| (r["preset"].as_str().unwrap(), r["batch"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        measured,
        [
            ("mlp-s", 128),
            ("cnn-xs", 128),
            ("mlp-s", 512),
            ("cnn-xs", 512)
        ],
        "the presets both sides know, at both batch sizes: {log}"
    );
    for row in bench {
        assert_eq!(row["backend"], "cpu");
        assert!(row["train_samples_per_s"].as_f64().unwrap() > 0.0, "{row}");
    }

    let e2e = summary["e2e"].as_array().unwrap();
    assert_eq!(e2e.len(), 1, "{log}");
    assert_eq!(e2e[0]["backend"], "cpu");
    let runs = e2e[0]["runs"].as_array().unwrap();
    let stages: Vec<&str> = runs
        .iter()
        .map(|r| r["stage_name"].as_str().unwrap())
        .collect();
    assert_eq!(stages.len(), 3, "teacher, student and baseline: {stages:?}");
    for run in runs {
        let top1 = run["top1_val_best"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&top1) && top1 > 0.1, "{run}");
    }
    let environment = std::fs::read_to_string(out.join("environment.txt")).unwrap();
    assert!(environment.contains("\"backend\":\"cpu\""), "{environment}");
}
