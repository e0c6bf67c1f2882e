//! Which data an experiment trains and tests on: the built-in datasets, the names of datasets an
//! owner registers, and the manifest a registered dataset is described by.

use serde::{Deserialize, Serialize};

/// The datasets Distill Lab knows how to read without registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum BuiltinDataset {
    /// Zalando's Fashion-MNIST: 28×28 grey clothing images, 10 classes (IDX files).
    FashionMnist,
    /// LeCun's handwritten digits: 28×28 grey, 10 classes (IDX files).
    Mnist,
    /// CIFAR-10: 32×32 colour images, 10 classes (binary version).
    Cifar10,
    /// CIFAR-100: 32×32 colour images, 100 fine classes (binary version).
    Cifar100,
    /// A procedurally generated image set that needs no files: instant demos and fast tests.
    Synthetic,
}

impl BuiltinDataset {
    /// Every built-in dataset, in the order they are listed to users.
    pub const ALL: [BuiltinDataset; 5] = [
        BuiltinDataset::FashionMnist,
        BuiltinDataset::Mnist,
        BuiltinDataset::Cifar10,
        BuiltinDataset::Cifar100,
        BuiltinDataset::Synthetic,
    ];

    /// The name used in specs, folders and URLs (`fashion-mnist`, `cifar10`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            BuiltinDataset::FashionMnist => "fashion-mnist",
            BuiltinDataset::Mnist => "mnist",
            BuiltinDataset::Cifar10 => "cifar10",
            BuiltinDataset::Cifar100 => "cifar100",
            BuiltinDataset::Synthetic => "synthetic",
        }
    }

    /// Parses the name used in specs and on the command line.
    pub fn parse(name: &str) -> Option<BuiltinDataset> {
        BuiltinDataset::ALL.into_iter().find(|d| d.as_str() == name)
    }
}

impl std::fmt::Display for BuiltinDataset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A dataset's name: a built-in one (`fashion-mnist`, ...) or one its owner registered. Lowercase
/// letters, digits and dashes, starting with a letter or digit, at most 63 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[a-z0-9][a-z0-9-]{0,62}$", example = "fashion-mnist"))]
#[serde(try_from = "String", into = "String")]
pub struct DatasetName(String);

impl DatasetName {
    /// The longest name.
    pub const MAX_LEN: usize = 63;

    /// Checks `name` against the naming rule.
    pub fn new(name: impl Into<String>) -> Result<DatasetName, String> {
        let name = name.into();
        let valid_chars = name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        let valid_start = name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if valid_chars && valid_start && name.len() <= DatasetName::MAX_LEN {
            Ok(DatasetName(name))
        } else {
            Err(format!(
                "`{name}` is not a dataset name: use 1 to {} lowercase letters, digits and dashes, starting with a letter or digit",
                DatasetName::MAX_LEN
            ))
        }
    }

    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The built-in dataset of this name, if it is one.
    pub fn builtin(&self) -> Option<BuiltinDataset> {
        BuiltinDataset::parse(&self.0)
    }
}

impl From<BuiltinDataset> for DatasetName {
    fn from(dataset: BuiltinDataset) -> DatasetName {
        DatasetName(dataset.as_str().to_string())
    }
}

impl TryFrom<String> for DatasetName {
    type Error = String;
    fn try_from(name: String) -> Result<DatasetName, String> {
        DatasetName::new(name)
    }
}

impl From<DatasetName> for String {
    fn from(name: DatasetName) -> String {
        name.0
    }
}

impl PartialEq<BuiltinDataset> for DatasetName {
    fn eq(&self, other: &BuiltinDataset) -> bool {
        self.0 == other.as_str()
    }
}

impl std::fmt::Display for DatasetName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The dataset of an experiment and how much of it to use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DatasetSpec {
    /// Which dataset: a built-in one or a registered one (`GET /api/datasets` lists both).
    pub name: DatasetName,
    /// Train on only the first N training samples (quick experiments); all when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train_subset: Option<usize>,
    /// Evaluate on only the first N test samples; all when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_subset: Option<usize>,
    /// Training samples held out for validation (drawn stratified and deterministically from the
    /// training samples used, never from test, and not trained on); 10 % of them when absent, at
    /// most half of them. Every epoch is evaluated on it; a run's reported model is the epoch
    /// with the best validation accuracy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation: Option<usize>,
    /// Random crop + horizontal flip while training. Defaults to on for CIFAR, off otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub augment: Option<bool>,
}

impl Default for DatasetSpec {
    fn default() -> Self {
        DatasetSpec {
            name: BuiltinDataset::FashionMnist.into(),
            train_subset: None,
            test_subset: None,
            validation: None,
            augment: None,
        }
    }
}

/// How a registered dataset was described: written once when it is registered, next to its
/// pixels, and served by `GET /api/datasets`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DatasetManifest {
    /// Its name.
    pub name: DatasetName,
    /// Class names, in label order (folder names sorted, or the `.npz`'s `classes`).
    pub classes: Vec<String>,
    /// Colour channels of every image (1 or 3).
    pub channels: usize,
    /// Height of every image.
    pub height: usize,
    /// Width of every image.
    pub width: usize,
    /// Training images per class, in label order.
    pub train_per_class: Vec<usize>,
    /// Test images per class, in label order.
    pub test_per_class: Vec<usize>,
    /// Mean of each channel over the training images, on the `[0, 1]` scale.
    pub mean: Vec<f32>,
    /// Standard deviation of each channel over the training images, on the `[0, 1]` scale.
    pub std: Vec<f32>,
    /// What it was made from: the file or folder's name, its format, and what registration
    /// did to it (layout detected, resizing, colour conversion, the held-out test fraction).
    pub source: String,
    /// SHA-256 of the converted pixels and labels, lowercase hex: equal checksums hold equal
    /// data, and runs trained on it are reused only when it matches.
    pub checksum: String,
    /// Bytes it takes on disk in the lab's compact form.
    pub bytes: u64,
    /// When it was registered, Unix milliseconds.
    pub registered_at: i64,
}

impl DatasetManifest {
    /// Training images.
    pub fn train_size(&self) -> usize {
        self.train_per_class.iter().sum()
    }

    /// Test images.
    pub fn test_size(&self) -> usize {
        self.test_per_class.iter().sum()
    }
}
