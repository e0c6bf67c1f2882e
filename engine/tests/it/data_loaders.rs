//! Dataset loaders on the real Fashion-MNIST files and on damaged ones.

use std::io::Write;
use std::path::Path;

use api::BuiltinDataset;
use engine::data::{load, DataDirs, DataError};

fn idx_bytes(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, 0x08, dims.len() as u8];
    for d in dims {
        out.extend(d.to_be_bytes());
    }
    out.extend(data);
    out
}

/// Writes an MNIST-like dataset of `n` train and `n` test images into `dir`.
fn write_mnist_like(dir: &Path, n: u32) {
    let images = idx_bytes(&[n, 28, 28], &vec![7u8; (n * 784) as usize]);
    let labels = idx_bytes(&[n], &(0..n).map(|i| (i % 10) as u8).collect::<Vec<_>>());
    for split in ["train", "t10k"] {
        std::fs::write(dir.join(format!("{split}-images-idx3-ubyte")), &images).unwrap();
        std::fs::write(dir.join(format!("{split}-labels-idx1-ubyte")), &labels).unwrap();
    }
}

fn corrupt_error(dir: &Path) -> (String, String) {
    match load(&BuiltinDataset::Mnist.into(), &DataDirs::with_explicit(dir)) {
        Err(DataError::Corrupt { path, reason }) => (path.display().to_string(), reason),
        other => panic!("expected a corrupt-file error, got {other:?}"),
    }
}

#[test]
fn fashion_mnist_loads_from_the_debian_package_with_its_published_sizes() {
    let split = load(&BuiltinDataset::FashionMnist.into(), &DataDirs::default())
        .expect("Fashion-MNIST is installed (apt-get install dataset-fashion-mnist)");
    assert_eq!(
        (split.train.len(), split.test.len(), split.classes),
        (60_000, 10_000, 10)
    );
    assert_eq!(
        (split.train.channels, split.train.height, split.train.width),
        (1, 28, 28)
    );
    for class in 0..10u16 {
        let count = split.train.labels.iter().filter(|&&l| l == class).count();
        assert_eq!(count, 6_000, "class {class}");
    }
    let (mean, std) = split.train.channel_stats()[0];
    assert!(
        (mean - 0.286).abs() < 0.002 && (std - 0.353).abs() < 0.002,
        "mean {mean}, std {std}"
    );
}

#[test]
fn a_well_formed_raw_idx_dataset_loads() {
    let dir = tempfile::tempdir().unwrap();
    write_mnist_like(dir.path(), 20);
    let split = load(
        &BuiltinDataset::Mnist.into(),
        &DataDirs::with_explicit(dir.path()),
    )
    .unwrap();
    assert_eq!(split.train.len(), 20);
    assert_eq!(split.train.labels[13], 3);
}

#[test]
fn a_bad_magic_number_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    write_mnist_like(dir.path(), 20);
    let path = dir.path().join("train-images-idx3-ubyte");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[2] = 0x0D;
    std::fs::write(&path, bytes).unwrap();
    let (file, reason) = corrupt_error(dir.path());
    assert!(file.ends_with("train-images-idx3-ubyte"), "{file}");
    assert!(reason.contains("bad magic number"), "{reason}");
}

#[test]
fn a_count_that_disagrees_with_the_data_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    write_mnist_like(dir.path(), 20);
    let path = dir.path().join("t10k-images-idx3-ubyte");
    std::fs::write(&path, idx_bytes(&[21, 28, 28], &vec![0u8; 20 * 784])).unwrap();
    let (file, reason) = corrupt_error(dir.path());
    assert!(file.ends_with("t10k-images-idx3-ubyte"), "{file}");
    assert!(reason.contains("header announces"), "{reason}");
}

#[test]
fn labels_that_disagree_with_the_images_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    write_mnist_like(dir.path(), 20);
    std::fs::write(
        dir.path().join("train-labels-idx1-ubyte"),
        idx_bytes(&[19], &[1u8; 19]),
    )
    .unwrap();
    let (file, reason) = corrupt_error(dir.path());
    assert!(file.ends_with("train-labels-idx1-ubyte"), "{file}");
    assert!(reason.contains("19 labels"), "{reason}");
}

#[test]
fn a_file_cut_short_inside_its_header_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    write_mnist_like(dir.path(), 20);
    std::fs::write(
        dir.path().join("train-images-idx3-ubyte"),
        [0u8, 0, 8, 3, 0, 0],
    )
    .unwrap();
    let (_, reason) = corrupt_error(dir.path());
    assert!(reason.contains("truncated"), "{reason}");
}

#[test]
fn a_truncated_gzip_file_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    write_mnist_like(dir.path(), 20);
    let raw = dir.path().join("train-images-idx3-ubyte");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(&std::fs::read(&raw).unwrap()).unwrap();
    let gz = encoder.finish().unwrap();
    std::fs::remove_file(&raw).unwrap();
    std::fs::write(
        dir.path().join("train-images-idx3-ubyte.gz"),
        &gz[..gz.len() / 2],
    )
    .unwrap();
    let (file, reason) = corrupt_error(dir.path());
    assert!(file.ends_with(".gz"), "{file}");
    assert!(reason.contains("gzip"), "{reason}");
}

#[test]
fn cifar100_records_take_their_fine_label_from_the_second_byte() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("cifar-100-binary");
    std::fs::create_dir(&root).unwrap();
    let record = |coarse: u8, fine: u8, pixel: u8| {
        let mut r = vec![coarse, fine];
        r.extend(std::iter::repeat_n(pixel, 3072));
        r
    };
    std::fs::write(
        root.join("train.bin"),
        [record(3, 42, 1), record(19, 99, 2)].concat(),
    )
    .unwrap();
    std::fs::write(root.join("test.bin"), record(0, 7, 3)).unwrap();
    let split = load(
        &BuiltinDataset::Cifar100.into(),
        &DataDirs::with_explicit(dir.path()),
    )
    .unwrap();
    assert_eq!(split.train.labels, [42, 99]);
    assert_eq!(split.test.labels, [7]);
    assert_eq!(
        (split.train.channels, split.train.height, split.classes),
        (3, 32, 100)
    );
    assert!(split.train.image(1).iter().all(|&p| p == 2));
}

#[test]
fn a_cifar_file_of_partial_records_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("cifar-10-batches-bin");
    std::fs::create_dir(&root).unwrap();
    for i in 1..=5 {
        std::fs::write(
            root.join(format!("data_batch_{i}.bin")),
            vec![1u8; 3073 * 2],
        )
        .unwrap();
    }
    std::fs::write(root.join("test_batch.bin"), vec![1u8; 3073 + 100]).unwrap();
    match load(
        &BuiltinDataset::Cifar10.into(),
        &DataDirs::with_explicit(dir.path()),
    ) {
        Err(DataError::Corrupt { path, reason }) => {
            assert!(path.ends_with("test_batch.bin"), "{}", path.display());
            assert!(reason.contains("3073-byte records"), "{reason}");
        }
        other => panic!("expected a corrupt-file error, got {other:?}"),
    }
}

#[test]
fn a_missing_dataset_lists_where_it_was_looked_for() {
    let dir = tempfile::tempdir().unwrap();
    match load(
        &BuiltinDataset::Cifar100.into(),
        &DataDirs::with_explicit(dir.path()),
    ) {
        Err(err @ DataError::NotFound { .. }) => {
            let message = err.to_string();
            assert!(
                message.contains(&dir.path().display().to_string()),
                "{message}"
            );
            assert!(message.contains("distill data fetch cifar100"), "{message}");
        }
        other => panic!("expected not-found, got {other:?}"),
    }
}
