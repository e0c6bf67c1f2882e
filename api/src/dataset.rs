//! Which data an experiment trains and tests on.

use serde::{Deserialize, Serialize};

/// The datasets Distill Lab knows how to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum DatasetName {
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

impl DatasetName {
    /// Every dataset, in the order they are listed to users.
    pub const ALL: [DatasetName; 5] = [
        DatasetName::FashionMnist,
        DatasetName::Mnist,
        DatasetName::Cifar10,
        DatasetName::Cifar100,
        DatasetName::Synthetic,
    ];

    /// The name used in specs, folders and URLs (`fashion-mnist`, `cifar10`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            DatasetName::FashionMnist => "fashion-mnist",
            DatasetName::Mnist => "mnist",
            DatasetName::Cifar10 => "cifar10",
            DatasetName::Cifar100 => "cifar100",
            DatasetName::Synthetic => "synthetic",
        }
    }

    /// Parses the name used in specs and on the command line.
    pub fn parse(name: &str) -> Option<DatasetName> {
        DatasetName::ALL.into_iter().find(|d| d.as_str() == name)
    }
}

impl std::fmt::Display for DatasetName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The dataset of an experiment and how much of it to use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DatasetSpec {
    /// Which dataset.
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
            name: DatasetName::FashionMnist,
            train_subset: None,
            test_subset: None,
            validation: None,
            augment: None,
        }
    }
}
