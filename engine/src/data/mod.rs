//! Datasets: reading IDX and CIFAR binary files, the built-in procedural set, the datasets an
//! owner registers (`registry`), finding data on disk, and turning samples into normalised
//! (optionally augmented) batches on a device.

mod batches;
mod catalog;
mod cifar;
mod error;
mod holdout;
mod idx;
mod images;
mod locate;
pub mod registry;
mod synthetic;

pub use batches::{Batch, Batcher};
pub use catalog::{catalog, class_names, DatasetInfo, RemoteFile};
pub use error::DataError;
pub use holdout::hold_out;
pub use images::{ImageSet, Split};
pub use locate::{describe, load, locate, registered, search_dirs, user_dir, DataDirs};
pub use synthetic::generate as generate_synthetic;
