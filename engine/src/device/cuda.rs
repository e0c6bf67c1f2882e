//! NVIDIA GPUs through burn's CUDA backend (cubecl-cuda). The driver (libcuda) and NVRTC, which
//! compiles the kernels, are loaded when a device is opened rather than linked, so the binary
//! builds and runs where neither exists. cudarc panics when it cannot load them; this probes for
//! each first, so a machine without them gets a reason instead.

use std::panic::{self, AssertUnwindSafe};

use api::Backend;
use burn::prelude::{Device, Tensor};
use cudarc::driver::result as driver;

use super::{ComputeDevice, DeviceError};

/// Opens CUDA device 0 and runs one small computation on it.
pub(super) fn open() -> Result<ComputeDevice, DeviceError> {
    let unusable = DeviceError::CudaUnavailable;
    // SAFETY: each only tries to load the library under its usual names.
    if !unsafe { cudarc::driver::sys::is_culib_present() } {
        return Err(unusable(
            "the NVIDIA driver's library (libcuda.so) was not found: no NVIDIA driver on this machine"
                .into(),
        ));
    }
    if !unsafe { cudarc::nvrtc::sys::is_culib_present() } {
        return Err(unusable(
            "NVRTC (libnvrtc.so), which compiles the kernels, was not found: add the folder that \
             holds it to LD_LIBRARY_PATH (CUDA's lib64, or site-packages/nvidia/cuda_nvrtc/lib \
             of a PyTorch install)"
                .into(),
        ));
    }
    driver::init().map_err(|e| unusable(format!("the driver did not start: {e}")))?;
    let count = driver::device::get_count()
        .map_err(|e| unusable(format!("cannot count the devices: {e}")))?;
    if count < 1 {
        return Err(unusable("the driver sees no CUDA device".into()));
    }
    let handle =
        driver::device::get(0).map_err(|e| unusable(format!("cannot open device 0: {e}")))?;
    let gpu = driver::device::get_name(handle).unwrap_or_else(|_| "CUDA device 0".into());
    // SAFETY: `handle` is a device the driver just returned.
    let memory = unsafe { driver::device::total_mem(handle) }.unwrap_or(0);
    let device = Device::cuda(0);
    first_computation(&device).map_err(unusable)?;
    Ok(ComputeDevice {
        backend: Backend::Cuda,
        device,
        name: format!(
            "{gpu} (CUDA, {:.0} GiB)",
            memory as f64 / (1u64 << 30) as f64
        ),
        fallback_reason: None,
        threads: None,
    })
}

/// Starts burn's CUDA runtime with a sum of two numbers, so a runtime that cannot start fails
/// here, with its message, rather than in the middle of a run. (The panic hook is left as it
/// is: swapping it for a silent one would also silence other threads' panics meanwhile.)
fn first_computation(device: &Device) -> Result<(), String> {
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        Tensor::<1>::from_floats([1.0, 2.0], device)
            .sum()
            .into_scalar::<f32>()
    }));
    match outcome {
        Ok(3.0) => Ok(()),
        Ok(sum) => Err(format!("a first computation gave 1 + 2 = {sum}")),
        Err(panic) => Err(format!(
            "the CUDA runtime did not start: {}",
            panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("a panic without a message")
        )),
    }
}
