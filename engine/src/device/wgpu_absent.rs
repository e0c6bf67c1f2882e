//! Stands in for `wgpu.rs` in builds without the `wgpu` feature.

use super::{ComputeDevice, DeviceError};

pub(super) fn open(_allow_software: bool) -> Result<ComputeDevice, DeviceError> {
    Err(DeviceError::WgpuNotBuilt)
}
