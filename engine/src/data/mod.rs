//! Datasets: reading IDX and CIFAR binary files, the built-in procedural set, finding data on
//! disk, and turning samples into normalised (optionally augmented) batches on a device.

mod batches;
mod catalog;
mod cifar;
mod error;
mod holdout;
mod idx;
mod images;
mod locate;
mod synthetic;

pub use batches::{Batch, Batcher};
pub use catalog::{catalog, DatasetInfo, RemoteFile};
pub use error::DataError;
pub use holdout::hold_out;
pub use images::{ImageSet, Split};
pub use locate::{load, locate, search_dirs, user_dir, DataDirs};
pub use synthetic::generate as generate_synthetic;
