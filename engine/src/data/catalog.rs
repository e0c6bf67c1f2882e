//! What Distill Lab knows about each dataset: shape, classes, sizes, file layout and where the
//! canonical files are published (with their MD5 checksums).

use api::{BuiltinDataset, DatasetManifest, DatasetName};

/// A file published on the web.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteFile {
    /// Where to download it.
    pub url: String,
    /// Its MD5, lowercase hex, as published by the dataset's authors and torchvision.
    pub md5: String,
    /// Whether it is a `.tar.gz` archive to unpack into the dataset directory.
    pub unpack: bool,
}

/// Static facts about a dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetInfo {
    /// The dataset.
    pub name: DatasetName,
    /// Colour channels.
    pub channels: usize,
    /// Image height.
    pub height: usize,
    /// Image width.
    pub width: usize,
    /// Number of classes.
    pub classes: usize,
    /// Training images.
    pub train_size: usize,
    /// Test images.
    pub test_size: usize,
    /// Whether training uses crop + flip augmentation unless the spec says otherwise.
    pub augment_by_default: bool,
    /// The files to download (empty for the built-in set).
    pub remote: Vec<RemoteFile>,
}

const FASHION_MNIST_BASE: &str = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/";
const MNIST_BASE: &str = "https://ossci-datasets.s3.amazonaws.com/mnist/";
const CIFAR_BASE: &str = "https://www.cs.toronto.edu/~kriz/";

/// The IDX file names of MNIST-like datasets, train images first.
pub(crate) const IDX_FILES: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];

/// Image counts of the built-in procedural set.
pub(crate) const SYNTHETIC_TRAIN: usize = 6_000;
pub(crate) const SYNTHETIC_TEST: usize = 1_000;

fn remote(base: &str, files: &[(&str, &str)], unpack: bool) -> Vec<RemoteFile> {
    files
        .iter()
        .map(|(name, md5)| RemoteFile {
            url: format!("{base}{name}"),
            md5: md5.to_string(),
            unpack,
        })
        .collect()
}

/// Facts about the built-in dataset `dataset`.
pub fn catalog(dataset: BuiltinDataset) -> DatasetInfo {
    let name = DatasetName::from(dataset);
    let mnist_like = |remote| DatasetInfo {
        name: name.clone(),
        channels: 1,
        height: 28,
        width: 28,
        classes: 10,
        train_size: 60_000,
        test_size: 10_000,
        augment_by_default: false,
        remote,
    };
    let cifar = |classes, remote| DatasetInfo {
        name: name.clone(),
        channels: 3,
        height: 32,
        width: 32,
        classes,
        train_size: 50_000,
        test_size: 10_000,
        augment_by_default: true,
        remote,
    };
    match dataset {
        BuiltinDataset::FashionMnist => mnist_like(remote(
            FASHION_MNIST_BASE,
            &[
                (
                    "train-images-idx3-ubyte.gz",
                    "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
                ),
                (
                    "train-labels-idx1-ubyte.gz",
                    "25c81989df183df01b3e8a0aad5dffbe",
                ),
                (
                    "t10k-images-idx3-ubyte.gz",
                    "bef4ecab320f06d8554ea6380940ec79",
                ),
                (
                    "t10k-labels-idx1-ubyte.gz",
                    "bb300cfdad3c16e7a12a480ee83cd310",
                ),
            ],
            false,
        )),
        BuiltinDataset::Mnist => mnist_like(remote(
            MNIST_BASE,
            &[
                (
                    "train-images-idx3-ubyte.gz",
                    "f68b3c2dcbeaaa9fbdd348bbdeb94873",
                ),
                (
                    "train-labels-idx1-ubyte.gz",
                    "d53e105ee54ea40749a09fcbcd1e9432",
                ),
                (
                    "t10k-images-idx3-ubyte.gz",
                    "9fb629c4189551a2d022fa330f9573f3",
                ),
                (
                    "t10k-labels-idx1-ubyte.gz",
                    "ec29112dd5afa0611ce80d1b7f02629c",
                ),
            ],
            false,
        )),
        BuiltinDataset::Cifar10 => cifar(
            10,
            remote(
                CIFAR_BASE,
                &[("cifar-10-binary.tar.gz", "c32a1d4ab5d03f1284b67883e8d87530")],
                true,
            ),
        ),
        BuiltinDataset::Cifar100 => cifar(
            100,
            remote(
                CIFAR_BASE,
                &[(
                    "cifar-100-binary.tar.gz",
                    "03b5dce01913d631647c71ecec9e9cb8",
                )],
                true,
            ),
        ),
        BuiltinDataset::Synthetic => DatasetInfo {
            name,
            channels: 1,
            height: 28,
            width: 28,
            classes: 10,
            train_size: SYNTHETIC_TRAIN,
            test_size: SYNTHETIC_TEST,
            augment_by_default: false,
            remote: Vec::new(),
        },
    }
}

/// The class names of a built-in dataset, in label order, as its authors publish them (the
/// label numbers where they name none: CIFAR-100's fine labels, the synthetic shapes).
pub fn class_names(dataset: BuiltinDataset) -> Vec<String> {
    let named: &[&str] = match dataset {
        BuiltinDataset::FashionMnist => &[
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ],
        BuiltinDataset::Cifar10 => &[
            "airplane",
            "automobile",
            "bird",
            "cat",
            "deer",
            "dog",
            "frog",
            "horse",
            "ship",
            "truck",
        ],
        BuiltinDataset::Mnist | BuiltinDataset::Cifar100 | BuiltinDataset::Synthetic => &[],
    };
    if named.is_empty() {
        (0..catalog(dataset).classes)
            .map(|c| c.to_string())
            .collect()
    } else {
        named.iter().map(|n| n.to_string()).collect()
    }
}

impl DatasetInfo {
    /// Facts about a registered dataset, from its manifest.
    pub fn registered(manifest: &DatasetManifest) -> DatasetInfo {
        DatasetInfo {
            name: manifest.name.clone(),
            channels: manifest.channels,
            height: manifest.height,
            width: manifest.width,
            classes: manifest.classes.len(),
            train_size: manifest.train_size(),
            test_size: manifest.test_size(),
            augment_by_default: false,
            remote: Vec::new(),
        }
    }
}
