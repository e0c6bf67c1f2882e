//! Choosing where training runs: burn's CUDA backend on an NVIDIA GPU, burn-wgpu on any other
//! GPU, else burn's pure-Rust CPU backend (flex) with our kernels. The choice, the device's
//! name and, when `auto` passed a GPU backend by, the reason are reported with every run.

#[cfg_attr(not(feature = "cuda"), path = "cuda_absent.rs")]
mod cuda;
#[cfg_attr(not(feature = "wgpu"), path = "wgpu_absent.rs")]
mod wgpu;

use api::Backend;
use burn::prelude::Device;

/// A device ready for training, with what it is.
#[derive(Debug, Clone)]
pub struct ComputeDevice {
    /// `Cuda`, `Wgpu` or `Cpu`, never `Auto`.
    pub backend: Backend,
    /// The burn device.
    pub device: Device,
    /// A human-readable name (the GPU's name, or the CPU backend and its threads).
    pub name: String,
    /// Why `auto` passed the GPU backends it tried by (`cuda: …; wgpu: …`), when it did.
    pub fallback_reason: Option<String>,
    /// CPU threads one run may use (its own thread pool); `None`: all of them.
    pub threads: Option<usize>,
}

impl ComputeDevice {
    /// The same device, each run limited to `threads` CPU threads (several runs train at once
    /// without fighting over the cores). Only the CPU backend is limited.
    pub fn with_threads(mut self, threads: usize) -> ComputeDevice {
        let available = cores();
        if self.backend == Backend::Cpu && threads < available {
            self.threads = Some(threads.max(1));
            self.name = format!(
                "flex (pure-Rust CPU, {} of {available} threads per run)",
                threads.max(1)
            );
        }
        self
    }

    /// What a run records as its device: the name, and why `auto` did not take a GPU backend
    /// when it passed one by.
    pub fn description(&self) -> String {
        match &self.fallback_reason {
            Some(reason) => format!("{} (auto passed by {reason})", self.name),
            None => self.name.clone(),
        }
    }

    /// Runs `work` on this device's threads: a pool of its own when runs are limited, else
    /// the global one.
    pub fn install<T: Send>(&self, work: impl FnOnce() -> T + Send) -> T {
        let pool = self.threads.and_then(|n| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .thread_name(|i| format!("distill-run-{i}"))
                .build()
                .ok()
        });
        match pool {
            Some(pool) => pool.install(work),
            None => work(),
        }
    }
}

/// The machine's cores.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Why a backend cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// The binary was built without the CUDA backend.
    #[error("this build of distill has no CUDA backend (built without the `cuda` feature); rebuild with `cargo build --release --workspace --features distill-server/cuda` (docs/gpu.md), or use --backend wgpu or cpu")]
    CudaNotBuilt,
    /// The CUDA driver, NVRTC or a device is missing, or the runtime failed to start.
    #[error("CUDA is not usable: {0}")]
    CudaUnavailable(String),
    /// The binary was built without the wgpu backend.
    #[error("this build of distill has no wgpu backend (built without the `wgpu` feature); use --backend cpu or rebuild with default features")]
    WgpuNotBuilt,
    /// wgpu found no adapter or failed to start.
    #[error("no usable wgpu adapter: {0}")]
    WgpuUnavailable(String),
}

impl DeviceError {
    /// The reason alone, as `auto` lists it after the backend's name.
    fn reason(&self) -> String {
        match self {
            DeviceError::CudaUnavailable(why) | DeviceError::WgpuUnavailable(why) => why.clone(),
            DeviceError::CudaNotBuilt => "not built in (the `cuda` feature)".into(),
            DeviceError::WgpuNotBuilt => "not built in (the `wgpu` feature)".into(),
        }
    }
}

/// The CPU backend.
pub fn cpu() -> ComputeDevice {
    ComputeDevice {
        backend: Backend::Cpu,
        device: Device::flex(),
        name: format!("flex (pure-Rust CPU, {} threads)", cores()),
        fallback_reason: None,
        threads: None,
    }
}

/// The device for a requested backend. `Auto` takes CUDA when its driver, NVRTC and a device
/// are there, else a hardware GPU through wgpu (software adapters such as lavapipe are slower
/// than the CPU backend), else the CPU backend; the device it takes carries the reasons it
/// passed the others by.
pub fn select(requested: Backend) -> Result<ComputeDevice, DeviceError> {
    match requested {
        Backend::Cpu => Ok(cpu()),
        Backend::Cuda => cuda::open(),
        Backend::Wgpu => wgpu::open(true),
        Backend::Auto => Ok(auto()),
    }
}

/// Opens one backend's device.
type Opener = fn() -> Result<ComputeDevice, DeviceError>;

/// The first backend that opens, in `auto`'s order.
fn auto() -> ComputeDevice {
    let mut passed_by = Vec::new();
    let gpus: [(&str, Opener); 2] = [("cuda", cuda::open), ("wgpu", || wgpu::open(false))];
    for (backend, open) in gpus {
        match open() {
            Ok(device) => return with_reasons(device, &passed_by),
            Err(err) => passed_by.push(format!("{backend}: {}", err.reason())),
        }
    }
    with_reasons(cpu(), &passed_by)
}

fn with_reasons(device: ComputeDevice, passed_by: &[String]) -> ComputeDevice {
    ComputeDevice {
        fallback_reason: (!passed_by.is_empty()).then(|| passed_by.join("; ")),
        ..device
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_names_each_gpu_backend_it_passed_by() {
        let device = select(Backend::Auto).expect("auto always finds a device");
        if device.backend == Backend::Cpu {
            let reason = device.fallback_reason.as_deref().expect("a reason");
            assert!(reason.starts_with("cuda: "), "{reason}");
            assert!(reason.contains("; wgpu: "), "{reason}");
            assert!(device.description().contains(reason));
        }
    }

    #[test]
    fn a_device_that_was_asked_for_carries_no_fallback_reason() {
        let device = select(Backend::Cpu).unwrap();
        assert_eq!(device.fallback_reason, None);
        assert_eq!(device.description(), device.name);
    }
}
