//! A user's own data through the real binary: an image folder registered with `distill data
//! add`, a zip and an `.npz` uploaded over HTTP; each previewed and distilled (teacher →
//! student with a baseline); bad uploads refused with the file named and the catalogue
//! unchanged; removal refused while runs use a dataset.

use std::path::Path;

use api::{DatasetInfo, DatasetManifest, ExperimentDetail, RunStatus};
use distill_tests::fixtures::{class_arrays, image_folder, zip_entries, zip_folder, FolderSpec};
use distill_tests::{distill, distill_run_on_cpu, stderr, Server};
use serde_json::{json, Value};

const ICONS: FolderSpec<'static> = FolderSpec {
    classes: &["arrow", "circle", "cross", "star"],
    train_per_class: 40,
    test_per_class: Some(10),
    size: (16, 16),
    colour: true,
};

/// A teacher → student chain with a CE baseline on `dataset`, one seed, two short epochs.
fn chain_on(dataset: &str) -> Value {
    json!({
        "name": format!("cnn-s → cnn-xs on {dataset}"),
        "dataset": {"name": dataset},
        "budget": {"epochs": 2, "batch_size": 32},
        "baseline": true,
        "chain": [
            {"architecture": {"kind": "preset", "name": "cnn-s"}},
            {"architecture": {"kind": "preset", "name": "cnn-xs"}, "link": {"terms": [{"method": "kd"}]}}
        ]
    })
}

fn trains_to_the_end(server: &Server, dataset: &str) -> ExperimentDetail {
    let id = server.submit(&chain_on(dataset));
    let detail = server.ended(&id);
    assert_eq!(detail.runs.len(), 3, "teacher, student, baseline");
    for run in &detail.runs {
        assert_eq!(
            run.status,
            RunStatus::Succeeded,
            "{}: {:?}",
            run.stage_name,
            run.message
        );
    }
    detail
}

fn datasets(server: &Server) -> Vec<DatasetInfo> {
    let listed = server.get("/api/datasets");
    assert_eq!(listed.status, 200);
    listed.parse()
}

fn registered_names(server: &Server) -> Vec<String> {
    datasets(server)
        .into_iter()
        .filter(|d| d.manifest.is_some())
        .map(|d| d.name.to_string())
        .collect()
}

fn upload(server: &Server, query: &str, file: &Path) -> distill_tests::ApiResponse {
    let bytes = std::fs::read(file).unwrap();
    server.send(
        "POST",
        &format!("/api/datasets?{query}"),
        Some("application/octet-stream"),
        &bytes,
    )
}

#[test]
fn a_folder_registered_on_the_command_line_trains_a_chain_and_cannot_be_removed_while_used() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let folder = image_folder(&dir.path().join("icons"), &ICONS);

    let add_icons = || {
        let (folder, data) = (folder.to_str().unwrap(), data.to_str().unwrap());
        distill(&["data", "add", "icons", folder, "--data-dir", data])
    };
    let added = add_icons();
    assert!(added.status.success(), "{}", stderr(&added));
    assert!(
        stderr(&added).contains("icons: 4 classes, 3×16×16, 160 train / 40 test images"),
        "{}",
        stderr(&added)
    );
    let listed = distill(&["data", "list", "--data-dir", data.to_str().unwrap()]);
    let table = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("icons") && l.contains("registered")),
        "{table}"
    );
    let again = add_icons();
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("already registered"),
        "{}",
        stderr(&again)
    );

    let server = Server::start_in(dir.path(), &["--data-dir", data.to_str().unwrap()]);
    let icons = datasets(&server)
        .into_iter()
        .find(|d| d.name.as_str() == "icons")
        .expect("listed");
    assert_eq!(
        (icons.channels, icons.height, icons.width, icons.classes),
        (3, 16, 16, 4)
    );
    assert_eq!(
        icons.manifest.as_ref().unwrap().classes,
        ["arrow", "circle", "cross", "star"]
    );
    let presets = server.get("/api/architectures?dataset=icons");
    assert_eq!(presets.status, 200, "{}", presets.text);

    let detail = trains_to_the_end(&server, "icons");
    assert_eq!(detail.summary.dataset.as_str(), "icons");

    let refused = server.delete("/api/datasets/icons");
    assert_eq!(refused.status, 409, "{}", refused.text);
    assert_eq!(refused.code(), "dataset_in_use");
    assert_eq!(registered_names(&server), ["icons"]);
    assert_eq!(server.delete("/api/datasets/icons?force=true").status, 204);
    assert!(registered_names(&server).is_empty());
    assert_eq!(server.delete("/api/datasets/mnist").status, 409, "built in");
}

#[test]
fn an_uploaded_zip_and_npz_register_preview_and_train_and_bad_uploads_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_dir = data.to_str().unwrap();
    let server = Server::start_in(
        dir.path(),
        &["--max-upload-mb", "1", "--data-dir", data_dir],
    );
    let folder = image_folder(&dir.path().join("icons"), &ICONS);
    let zip = dir.path().join("icons.zip");
    zip_folder(&folder, &zip, "icons/");

    // A zip of an image folder, uploaded: 201 with its manifest, and a preview grid.
    let created = upload(&server, "name=icons&filename=icons.zip", &zip);
    assert_eq!(created.status, 201, "{}", created.text);
    let manifest: DatasetManifest = created.parse();
    assert_eq!(manifest.train_per_class, [40, 40, 40, 40]);
    assert!(
        manifest.source.starts_with("icons.zip"),
        "{}",
        manifest.source
    );
    let preview = server.get("/api/datasets/icons/preview.png");
    assert_eq!(preview.status, 200);
    assert_eq!(preview.content_type, "image/png");
    let grid = image::load_from_memory(&preview.bytes).expect("a PNG");
    assert_eq!(
        grid.height(),
        2 + 4 * (32 + 2),
        "one 32-pixel row per class"
    );

    // An .npz of arrays, uploaded, trains a chain with its baseline.
    let arrays = dir.path().join("shapes.npz");
    class_arrays(
        &arrays,
        &["circle", "square", "triangle"],
        60,
        (12, 12),
        false,
    );
    let created = upload(
        &server,
        "name=shapes&filename=shapes.npz&resize=16x16",
        &arrays,
    );
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.parse::<DatasetManifest>().height, 16);
    trains_to_the_end(&server, "shapes");

    // Bad uploads: each refused with what is wrong named, and the catalogue unchanged.
    let before = registered_names(&server);
    assert_eq!(before, ["icons", "shapes"]);
    std::fs::write(folder.join("train/star/broken.png"), b"not an image").unwrap();
    let broken = dir.path().join("broken.zip");
    zip_folder(&folder, &broken, "");
    let escaping = dir.path().join("escaping.zip");
    zip_entries(&escaping, &[("train/a/0.png", b"x"), ("../evil.png", b"x")]);
    let too_big = dir.path().join("big.zip");
    let noise: Vec<u8> = (0..(1u32 << 20) + 1000)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    zip_entries(&too_big, &[("train/a/0.png", &noise)]);
    for (query, file, status, field) in [
        ("name=broken", &broken, 422, "train/star/broken.png"),
        ("name=escaping", &escaping, 422, "../evil.png"),
        ("name=icons", &zip, 409, "name"),
        ("name=mnist", &zip, 409, "name"),
        ("name=Bad_Name", &zip, 400, "name"),
        ("filename=icons.zip", &zip, 400, "name"),
        ("name=sized&resize=big", &zip, 400, "resize"),
        ("name=big", &too_big, 413, "body"),
    ] {
        let refused = upload(&server, query, file);
        assert_eq!(refused.status, status, "{query}: {}", refused.text);
        assert_eq!(refused.field(), field, "{query}: {}", refused.text);
        assert_eq!(
            registered_names(&server),
            before,
            "{query} changed the catalogue"
        );
    }
    let anonymous = server.send_with(
        "POST",
        "/api/datasets?name=anon",
        &[("content-type", "application/octet-stream")],
        b"PK",
    );
    assert_eq!(anonymous.status, 401);
    let reader = server.post("/api/tokens", &json!({"name": "reader", "scope": "read"}));
    let bearer = format!("Bearer {}", reader.json["token"].as_str().unwrap());
    let read_only = server.send_with(
        "POST",
        "/api/datasets?name=by-reader",
        &[
            ("authorization", bearer.as_str()),
            ("content-type", "application/octet-stream"),
        ],
        b"PK",
    );
    assert_eq!(
        read_only.status, 403,
        "a read token cannot register: {}",
        read_only.text
    );
    assert_eq!(registered_names(&server), before);
    let mut leftovers: Vec<String> = std::fs::read_dir(&data)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    leftovers.sort();
    assert_eq!(
        leftovers,
        ["icons", "shapes"],
        "no upload or half-registered dataset is left"
    );
}

#[test]
fn a_worker_on_another_machine_fetches_an_uploaded_dataset_from_the_object_store() {
    let Some(s3) = distill_tests::S3::require() else {
        return;
    };
    let Some(postgres) = distill_tests::postgres::Postgres::require() else {
        return;
    };
    let db = postgres.database("lab");
    let dir = tempfile::tempdir().unwrap();
    let location = s3.url("runs");
    let server_data = dir.path().join("server-data");
    let lab_args = [
        "--workers",
        "0",
        "--artifacts",
        &location,
        "--data-dir",
        server_data.to_str().unwrap(),
    ];
    let server = Server::start_with_env(dir.path(), &db, &lab_args, &s3.env());
    let arrays = dir.path().join("shapes.npz");
    class_arrays(&arrays, &["circle", "square"], 40, (12, 12), false);
    assert_eq!(upload(&server, "name=shapes", &arrays).status, 201);

    // A machine of its own: its own data directory and checkpoints, the same object store.
    let worker_data = dir.path().join("worker-data");
    let mut env = s3.env();
    env.push(("DISTILL_ARTIFACTS".into(), location.clone()));
    env.push((
        "DISTILL_DATA_DIR".into(),
        worker_data.to_str().unwrap().into(),
    ));
    env.push(("HOSTNAME".into(), "elsewhere".into()));
    let worker = distill_tests::Worker::start_with_env(&db, 1, &dir.path().join("elsewhere"), &env);
    let detail = server.ended(&server.submit(&chain_on("shapes")));

    for run in &detail.runs {
        assert_eq!(
            run.status,
            RunStatus::Succeeded,
            "{run:?}\n{}",
            worker.logs()
        );
    }
    let fetched: DatasetManifest = serde_json::from_slice(
        &std::fs::read(worker_data.join("shapes/dataset.json")).expect("the worker installed it"),
    )
    .unwrap();
    assert_eq!(fetched.classes, ["circle", "square"]);
    let mut stored: Vec<String> = s3.keys("runs/dataset-shapes/");
    stored.sort();
    assert_eq!(
        stored.len(),
        5,
        "the manifest and four data files: {stored:?}"
    );

    // New data under the old name: the worker replaces its copy before the next run.
    assert_eq!(server.delete("/api/datasets/shapes?force=true").status, 204);
    class_arrays(&arrays, &["circle", "square", "star"], 30, (12, 12), false);
    assert_eq!(upload(&server, "name=shapes", &arrays).status, 201);
    let detail = server.ended(&server.submit(&chain_on("shapes")));
    assert_eq!(
        detail.summary.status,
        RunStatus::Succeeded,
        "{}",
        worker.logs()
    );
    let replaced: DatasetManifest =
        serde_json::from_slice(&std::fs::read(worker_data.join("shapes/dataset.json")).unwrap())
            .unwrap();
    assert_eq!(replaced.classes, ["circle", "square", "star"]);
}

#[test]
fn a_model_trained_on_a_dataset_is_reused_for_the_same_data_but_never_for_new_data_under_its_name()
{
    let dir = tempfile::tempdir().unwrap();
    let (data, checkpoints) = (dir.path().join("data"), dir.path().join("checkpoints"));
    let (data, checkpoints) = (data.to_str().unwrap(), checkpoints.to_str().unwrap());
    let register = |folder: &Path| {
        let added = distill(&[
            "data",
            "add",
            "icons",
            folder.to_str().unwrap(),
            "--data-dir",
            data,
        ]);
        assert!(added.status.success(), "{}", stderr(&added));
    };
    // Teacher → student experiments of different names sharing a checkpoint directory: a
    // teacher of the same configuration on the same data is trained once.
    let train = |name: &str| {
        let mut spec = chain_on("icons");
        spec["name"] = json!(name);
        spec["baseline"] = json!(false);
        let path = dir.path().join(format!("{name}.json"));
        std::fs::write(&path, spec.to_string()).unwrap();
        let out = dir.path().join(name);
        let output = distill_run_on_cpu(
            &path,
            &out,
            &["--checkpoints", checkpoints, "--data-dir", data],
        );
        assert!(output.status.success(), "{}", stderr(&output));
        stderr(&output)
    };
    let small = FolderSpec {
        train_per_class: 8,
        test_per_class: Some(2),
        ..ICONS
    };
    register(&image_folder(&dir.path().join("first"), &small));
    train("first");
    assert!(
        train("same-data").contains("reused from run"),
        "the same data: the teacher is reused"
    );

    assert!(distill(&["data", "remove", "icons", "--data-dir", data])
        .status
        .success());
    // The same folder with one image swapped for another class's: same names, counts and
    // shapes, only the content differs.
    let second = image_folder(&dir.path().join("second"), &small);
    let swapped = second.join("train/arrow/0000.png");
    std::fs::copy(second.join("train/circle/0000.png"), swapped).unwrap();
    register(&second);
    let log = train("new-data");
    assert!(
        !log.contains("reused from run"),
        "other data under the same name: trained anew\n{log}"
    );
}
