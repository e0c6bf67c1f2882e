//! Registering a user's own data: image folders (as folders, zips and tar.gz archives) and
//! `.npz` arrays become datasets that load like built-in ones, and every bad input is refused
//! with the file or field named and nothing left behind.

use std::path::{Path, PathBuf};

use api::{DatasetManifest, DatasetName};
use distill_tests::fixtures::{
    class_arrays, image_folder, npz, tar_gz_folder, zip_entries, zip_folder, Array, FolderSpec,
};
use engine::data::registry::{
    label_width, Colour, RegisterError, Registration, Registry, INK, PAPER, PREVIEW_PER_CLASS,
    STORED_FILES,
};
use engine::data::{describe, load, DataDirs};

const CLASSES: [&str; 3] = ["cat", "bird", "ant"];

fn folder_spec(test_per_class: Option<usize>) -> FolderSpec<'static> {
    FolderSpec {
        classes: &CLASSES,
        train_per_class: 10,
        test_per_class,
        size: (12, 10),
        colour: true,
    }
}

fn request(name: &str, source: &Path) -> Registration {
    Registration {
        name: DatasetName::new(name).unwrap(),
        source: source.to_path_buf(),
        source_label: source.display().to_string(),
        resize: None,
        colour: None,
        test_fraction: None,
        max_bytes: 64 << 20,
    }
}

struct Lab {
    _dir: tempfile::TempDir,
    inputs: PathBuf,
    registry: Registry,
}

fn lab() -> Lab {
    let dir = tempfile::tempdir().unwrap();
    let inputs = dir.path().join("inputs");
    std::fs::create_dir_all(&inputs).unwrap();
    Lab {
        registry: Registry::new(dir.path().join("datasets")),
        inputs,
        _dir: dir,
    }
}

impl Lab {
    fn register(&self, request: &Registration) -> Result<DatasetManifest, RegisterError> {
        self.registry.register(request, &|_, _| {})
    }

    /// Asserts the registry holds no dataset and no leftover of a registration.
    fn assert_untouched(&self) {
        assert!(self.registry.list().is_empty());
        let leftovers: Vec<_> = std::fs::read_dir(self.registry.root())
            .map(|entries| entries.flatten().map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert!(leftovers.is_empty(), "left behind: {leftovers:?}");
    }

    /// The (file, reason) of a refused registration.
    fn refused(&self, request: &Registration) -> (String, String) {
        match self.register(request) {
            Err(RegisterError::Invalid { file, reason }) => {
                self.assert_untouched();
                (file, reason)
            }
            other => panic!("expected a refusal naming a file, got {other:?}"),
        }
    }
}

#[test]
fn an_image_folder_with_a_test_split_becomes_a_dataset_that_loads_like_a_built_in_one() {
    let lab = lab();
    let folder = image_folder(&lab.inputs.join("pets"), &folder_spec(Some(4)));
    let manifest = lab.register(&request("pets", &folder)).unwrap();
    assert_eq!(
        manifest.classes,
        ["ant", "bird", "cat"],
        "folder names, sorted"
    );
    assert_eq!(
        (manifest.channels, manifest.height, manifest.width),
        (3, 12, 10)
    );
    assert_eq!(manifest.train_per_class, [10, 10, 10]);
    assert_eq!(manifest.test_per_class, [4, 4, 4]);
    assert!(
        manifest.source.contains("image folder") && manifest.source.contains("as given"),
        "{}",
        manifest.source
    );
    assert_eq!(manifest.mean.len(), 3);
    assert_eq!(lab.registry.list(), std::slice::from_ref(&manifest));

    let dirs = DataDirs::with_explicit(lab.registry.root());
    let split = load(&manifest.name, &dirs).unwrap();
    assert_eq!(
        (split.train.len(), split.test.len(), split.classes),
        (30, 12, 3)
    );
    assert_eq!(split.checksum.as_deref(), Some(manifest.checksum.as_str()));
    let info = describe(&manifest.name, &dirs).unwrap();
    assert_eq!(
        (info.channels, info.height, info.width, info.classes),
        (3, 12, 10, 3)
    );
    assert!(!info.augment_by_default);
}

#[test]
fn without_a_test_folder_a_stratified_fifth_is_held_out_the_same_way_every_time() {
    let lab = lab();
    let folder = image_folder(&lab.inputs.join("pets"), &folder_spec(None));
    let first = lab.register(&request("pets", &folder)).unwrap();
    assert_eq!(first.train_per_class, [8, 8, 8]);
    assert_eq!(first.test_per_class, [2, 2, 2]);
    assert!(first.source.contains("20 %"), "{}", first.source);
    let again = lab.register(&request("pets-again", &folder)).unwrap();
    assert_eq!(
        first.checksum, again.checksum,
        "the same folder gives the same dataset"
    );

    let mut half = request("pets-half", &folder);
    half.test_fraction = Some(0.5);
    let halved = lab.register(&half).unwrap();
    assert_eq!(halved.test_per_class, [5, 5, 5]);
    assert_ne!(halved.checksum, first.checksum);
}

#[test]
fn a_zip_or_tar_gz_of_the_folder_registers_the_same_data_as_the_folder() {
    let lab = lab();
    let folder = image_folder(&lab.inputs.join("pets"), &folder_spec(Some(2)));
    let zip = lab.inputs.join("pets.zip");
    zip_folder(&folder, &zip, "pets/");
    let tgz = lab.inputs.join("pets.tar.gz");
    tar_gz_folder(&folder, &tgz, &[]);
    let from_folder = lab.register(&request("from-folder", &folder)).unwrap();
    let from_zip = lab.register(&request("from-zip", &zip)).unwrap();
    let from_tgz = lab.register(&request("from-tgz", &tgz)).unwrap();
    assert_eq!(from_zip.checksum, from_folder.checksum);
    assert_eq!(from_tgz.checksum, from_folder.checksum);
    assert!(from_zip.source.contains("zip"), "{}", from_zip.source);
    let names: Vec<String> = lab
        .registry
        .list()
        .into_iter()
        .map(|m| m.name.to_string())
        .collect();
    assert_eq!(names, ["from-folder", "from-tgz", "from-zip"]);
}

#[test]
fn images_of_different_sizes_need_a_resize_and_colour_can_be_forced() {
    let lab = lab();
    let folder = image_folder(&lab.inputs.join("mixed"), &folder_spec(None));
    let odd = image_folder(
        &lab.inputs.join("odd"),
        &FolderSpec {
            size: (20, 20),
            train_per_class: 1,
            ..folder_spec(None)
        },
    );
    std::fs::copy(
        odd.join("train/cat/0000.png"),
        folder.join("train/cat/9999.png"),
    )
    .unwrap();
    let (field, reason) = lab.refused(&request("mixed", &folder));
    assert_eq!(field, "resize");
    assert!(
        reason.contains("train/cat/9999.png") && reason.contains("12×10"),
        "{reason}"
    );

    let mut resized = request("mixed", &folder);
    resized.resize = Some((16, 16));
    resized.colour = Some(Colour::Grey);
    let manifest = lab.register(&resized).unwrap();
    assert_eq!(
        (manifest.channels, manifest.height, manifest.width),
        (1, 16, 16)
    );
    assert!(manifest.source.contains("resized"), "{}", manifest.source);
}

#[test]
fn an_npz_of_uint8_arrays_registers_with_its_class_names_and_layout() {
    let lab = lab();
    let path = lab.inputs.join("shapes.npz");
    class_arrays(&path, &["circle", "square"], 6, (8, 9), true);
    let manifest = lab.register(&request("shapes", &path)).unwrap();
    assert_eq!(manifest.classes, ["circle", "square"]);
    assert_eq!(
        (manifest.channels, manifest.height, manifest.width),
        (3, 8, 9)
    );
    assert_eq!(manifest.train_per_class, [6, 6]);
    assert_eq!(manifest.test_per_class, [3, 3]);
    assert!(
        manifest.source.contains("N×H×W×C uint8"),
        "{}",
        manifest.source
    );
}

#[test]
fn an_npz_of_float_nchw_arrays_without_class_names_is_read_too() {
    let lab = lab();
    let path = lab.inputs.join("floats.npz");
    let images = |n: usize| {
        Array::F32(
            vec![n as u64, 1, 4, 4],
            (0..n * 16).map(|i| (i % 16) as f32 / 15.0).collect(),
        )
    };
    npz(
        &path,
        &[
            ("x_train", images(4)),
            ("y_train", Array::I64(vec![0, 1, 2, 1])),
            ("x_test", images(2)),
            ("y_test", Array::I64(vec![2, 0])),
        ],
    );
    let manifest = lab.register(&request("floats", &path)).unwrap();
    assert_eq!(manifest.classes, ["0", "1", "2"], "classes named by label");
    assert_eq!(manifest.channels, 1);
    assert!(
        manifest.source.contains("N×C×H×W float"),
        "{}",
        manifest.source
    );
    let split = lab.registry.load(&manifest.name).unwrap().unwrap();
    assert_eq!(
        &split.train.pixels[..4],
        &[0, 17, 34, 51],
        "0–1 floats scaled to 0–255"
    );
}

#[test]
fn the_preview_is_a_png_grid_of_one_row_per_class() {
    let lab = lab();
    let folder = image_folder(&lab.inputs.join("pets"), &folder_spec(Some(2)));
    let manifest = lab.register(&request("pets", &folder)).unwrap();
    let png = lab.registry.preview(&manifest.name).unwrap().unwrap();
    let grid = image::load_from_memory(&png).unwrap().to_rgb8();
    // The names (4 letters at most, 8 pixels each, 4 pixels around), then 12×10 images scaled
    // ×3 to reach 32 pixels, 2-pixel gaps.
    let names = (4 + 4 * 8 + 4) as u32;
    assert_eq!(label_width(&manifest.classes) as u32, names);
    assert_eq!(
        grid.width(),
        names + 2 + PREVIEW_PER_CLASS as u32 * (30 + 2)
    );
    assert_eq!(grid.height(), 2 + 3 * (36 + 2));
    // Each row's name is drawn in ink on the paper, and nothing else is in their column.
    for row in 0..3u32 {
        let band = 2 + row * 38..2 + (row + 1) * 38;
        let column: Vec<_> = band
            .flat_map(|y| (0..names).map(move |x| (x, y)))
            .map(|(x, y)| *grid.get_pixel(x, y))
            .collect();
        assert!(
            column.iter().all(|p| *p == INK || *p == PAPER),
            "row {row}: only its name"
        );
        let inked = column.iter().filter(|p| **p == INK).count();
        assert!(
            inked > 20,
            "row {row} has its class name ({inked} inked pixels)"
        );
    }
    assert_ne!(
        *grid.get_pixel(names + 2, 2),
        PAPER,
        "the first image follows the names"
    );
}

#[test]
fn a_taken_or_built_in_name_is_refused() {
    let lab = lab();
    let folder = image_folder(&lab.inputs.join("pets"), &folder_spec(None));
    lab.register(&request("pets", &folder)).unwrap();
    assert!(matches!(
        lab.register(&request("pets", &folder)),
        Err(RegisterError::Exists(_))
    ));
    assert!(matches!(
        lab.register(&request("mnist", &folder)),
        Err(RegisterError::Reserved(_))
    ));
    assert!(DatasetName::new("Pets!").is_err());
    assert!(DatasetName::new("-pets").is_err());
    assert!(DatasetName::new("x".repeat(64)).is_err());
}

#[test]
fn removing_a_dataset_takes_it_out_of_the_catalogue() {
    let lab = lab();
    let folder = image_folder(&lab.inputs.join("pets"), &folder_spec(None));
    let manifest = lab.register(&request("pets", &folder)).unwrap();
    assert!(lab.registry.remove(&manifest.name).unwrap());
    assert!(!lab.registry.remove(&manifest.name).unwrap());
    lab.assert_untouched();
}

#[test]
fn a_file_that_does_not_decode_is_named_inside_its_archive() {
    let lab = lab();
    let folder = image_folder(&lab.inputs.join("pets"), &folder_spec(None));
    std::fs::write(folder.join("train/bird/broken.png"), b"not a png at all").unwrap();
    let zip = lab.inputs.join("pets.zip");
    zip_folder(&folder, &zip, "");
    let (file, reason) = lab.refused(&request("pets", &zip));
    assert_eq!(file, "train/bird/broken.png");
    assert!(reason.contains("does not decode"), "{reason}");
}

#[test]
fn an_empty_class_folder_is_refused() {
    let lab = lab();
    let folder = image_folder(&lab.inputs.join("pets"), &folder_spec(None));
    std::fs::create_dir_all(folder.join("train/dog")).unwrap();
    let (file, reason) = lab.refused(&request("pets", &folder));
    assert_eq!(file, "train/dog/");
    assert!(reason.contains("empty"), "{reason}");
}

#[test]
fn a_single_class_or_more_than_a_thousand_are_refused() {
    let lab = lab();
    let one = image_folder(
        &lab.inputs.join("one"),
        &FolderSpec {
            classes: &["only"],
            ..folder_spec(None)
        },
    );
    let (file, reason) = lab.refused(&request("one", &one));
    assert_eq!(file, "train/");
    assert!(reason.contains("at least 2"), "{reason}");

    let many = lab.inputs.join("many");
    for class in 0..1001 {
        std::fs::create_dir_all(many.join(format!("train/c{class:04}"))).unwrap();
    }
    let (file, reason) = lab.refused(&request("many", &many));
    assert_eq!(file, "train/");
    assert!(
        reason.contains("1001") && reason.contains("1000"),
        "{reason}"
    );
}

#[test]
fn npz_labels_outside_the_classes_unequal_lengths_and_missing_arrays_are_named() {
    let lab = lab();
    let x = |n: usize| Array::U8(vec![n as u64, 2, 2], vec![0; n * 4]);
    let classes = Array::Strings(vec!["a".into(), "b".into()]);
    let path = lab.inputs.join("bad.npz");
    // (the arrays, the field named, words of the reason)
    let cases = [
        (
            vec![
                ("x_train", x(2)),
                ("y_train", Array::I64(vec![0, 2])),
                ("x_test", x(1)),
                ("y_test", Array::I64(vec![0])),
                ("classes", classes.clone()),
            ],
            "y_train",
            "outside 0..2",
        ),
        (
            vec![
                ("x_train", x(3)),
                ("y_train", Array::I64(vec![0, 1])),
                ("x_test", x(1)),
                ("y_test", Array::I64(vec![0])),
            ],
            "y_train",
            "2 labels for 3 images",
        ),
        (
            vec![
                ("x_train", x(2)),
                ("y_train", Array::I64(vec![0, 1])),
                ("y_test", Array::I64(vec![0])),
            ],
            "x_test",
            "missing",
        ),
    ];
    for (arrays, field, words) in cases {
        npz(&path, &arrays);
        let (file, reason) = lab.refused(&request("bad", &path));
        assert_eq!(file, field, "{reason}");
        assert!(reason.contains(words), "{field}: {reason}");
    }
}

#[test]
fn an_archive_path_that_escapes_its_root_or_a_link_is_refused() {
    let lab = lab();
    let zip = lab.inputs.join("escape.zip");
    zip_entries(
        &zip,
        &[("train/a/x.png", b"x"), ("../../outside.png", b"x")],
    );
    let (file, reason) = lab.refused(&request("escape", &zip));
    assert_eq!(file, "../../outside.png");
    assert!(reason.contains("outside"), "{reason}");
    assert!(!lab.inputs.join("outside.png").exists());

    let folder = image_folder(&lab.inputs.join("pets"), &folder_spec(None));
    let tgz = lab.inputs.join("linked.tar.gz");
    tar_gz_folder(&folder, &tgz, &[("train/cat/passwd.png", "/etc/passwd")]);
    let (file, reason) = lab.refused(&request("linked", &tgz));
    assert_eq!(file, "train/cat/passwd.png");
    assert!(reason.contains("link"), "{reason}");
}

#[test]
fn a_zip_bomb_stops_at_the_cap_while_inflating() {
    let lab = lab();
    let zeros = vec![0u8; 8 << 20];
    let zip = lab.inputs.join("bomb.zip");
    zip_entries(&zip, &[("train/a/big.png", &zeros)]);
    assert!(
        std::fs::metadata(&zip).unwrap().len() < 1 << 20,
        "it compresses well"
    );
    let mut capped = request("bomb", &zip);
    capped.max_bytes = 1 << 20;
    match lab.register(&capped) {
        Err(RegisterError::TooLarge(message)) => {
            assert!(message.contains("train/a/big.png"), "{message}")
        }
        other => panic!("expected the cap to stop it, got {other:?}"),
    }
    lab.assert_untouched();
}

#[test]
fn something_that_is_no_dataset_is_refused_by_name() {
    let lab = lab();
    let text = lab.inputs.join("notes.txt");
    std::fs::write(&text, "hello").unwrap();
    let (file, reason) = lab.refused(&request("notes", &text));
    assert!(file.ends_with("notes.txt"), "{file}");
    assert!(reason.contains("neither"), "{reason}");
}

#[test]
fn a_registration_sweeps_away_what_interrupted_ones_left_a_day_ago_but_not_younger() {
    let lab = lab();
    let root = lab.registry.root();
    let (old, young) = (
        root.join(".incoming-pets-1-2-3"),
        root.join(".upload-0123456789abcdef"),
    );
    std::fs::create_dir_all(&old).unwrap();
    std::fs::write(old.join("train-images.u8"), b"half written").unwrap();
    std::fs::write(&young, b"an upload under way").unwrap();
    let two_days_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 24 * 3600);
    std::fs::File::open(&old)
        .unwrap()
        .set_modified(two_days_ago)
        .unwrap();

    let folder = image_folder(&lab.inputs.join("pets"), &folder_spec(None));
    lab.register(&request("pets", &folder)).unwrap();
    assert!(!old.exists(), "the abandoned folder is gone");
    assert!(young.exists(), "a young upload may still be in progress");
}

#[test]
fn a_dataset_installed_from_another_machine_s_files_by_several_runs_at_once_is_installed_once() {
    let lab = lab();
    let folder = image_folder(&lab.inputs.join("pets"), &folder_spec(None));
    let manifest = lab.register(&request("pets", &folder)).unwrap();
    let files: Vec<(&str, Vec<u8>)> = STORED_FILES
        .iter()
        .map(|f| {
            (
                *f,
                std::fs::read(lab.registry.dir(&manifest.name).join(f)).unwrap(),
            )
        })
        .collect();
    let elsewhere = Registry::new(lab.inputs.join("elsewhere"));
    let installed: Vec<_> = std::thread::scope(|scope| {
        let runs: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    let borrowed: Vec<(&str, &[u8])> =
                        files.iter().map(|(n, b)| (*n, b.as_slice())).collect();
                    elsewhere.install(&borrowed)
                })
            })
            .collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    });
    for result in installed {
        assert_eq!(result.unwrap().checksum, manifest.checksum);
    }
    assert_eq!(elsewhere.list(), std::slice::from_ref(&manifest));

    let mut tampered = files.clone();
    tampered[1].1[0] ^= 0xff;
    let borrowed: Vec<(&str, &[u8])> = tampered.iter().map(|(n, b)| (*n, b.as_slice())).collect();
    let other = Registry::new(lab.inputs.join("other"));
    assert!(
        matches!(other.install(&borrowed), Err(RegisterError::Invalid { .. })),
        "checked against the checksum"
    );
    assert!(other.list().is_empty());
}
