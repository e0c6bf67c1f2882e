//! Stands in for `cuda.rs` in builds without the `cuda` feature.

use super::{ComputeDevice, DeviceError};

pub(super) fn open() -> Result<ComputeDevice, DeviceError> {
    Err(DeviceError::CudaNotBuilt)
}
