//! Choosing where training runs: burn-wgpu on a GPU when there is one, else burn's pure-Rust
//! CPU backend (flex). The choice and the device's name are reported with every run.

use api::Backend;
use burn::prelude::Device;

/// A device ready for training, with what it is.
#[derive(Debug, Clone)]
pub struct ComputeDevice {
    /// `Wgpu` or `Cpu`, never `Auto`.
    pub backend: Backend,
    /// The burn device.
    pub device: Device,
    /// A human-readable name (the GPU's name, or the CPU backend and its threads).
    pub name: String,
    /// Why `auto` did not choose wgpu, when it fell back to the CPU.
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
    /// The binary was built without the wgpu backend.
    #[error("this build of distill has no wgpu backend (built without the `wgpu` feature); use --backend cpu or rebuild with default features")]
    WgpuNotBuilt,
    /// wgpu found no adapter or failed to start.
    #[error("no usable wgpu adapter: {0}")]
    WgpuUnavailable(String),
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

/// The device for a requested backend. `Auto` takes a hardware GPU through wgpu when one is
/// found (software adapters such as lavapipe are slower than the CPU backend) and the CPU
/// backend otherwise.
pub fn select(requested: Backend) -> Result<ComputeDevice, DeviceError> {
    match requested {
        Backend::Cpu => Ok(cpu()),
        Backend::Wgpu => wgpu::open(true),
        Backend::Auto => Ok(wgpu::open(false).unwrap_or_else(|reason| ComputeDevice {
            fallback_reason: Some(reason.to_string()),
            ..cpu()
        })),
    }
}

#[cfg(feature = "wgpu")]
mod wgpu {
    use super::{ComputeDevice, DeviceError};
    use api::Backend;
    use burn::prelude::Device;
    use burn::tensor::wgpu::wgpu as wgpu_api;

    /// Opens wgpu's default adapter; unless `allow_software`, only when it is a real GPU.
    pub(super) fn open(allow_software: bool) -> Result<ComputeDevice, DeviceError> {
        let instance = wgpu_api::Instance::new(
            wgpu_api::InstanceDescriptor::new_without_display_handle_from_env(),
        );
        let adapters =
            futures_lite::future::block_on(instance.enumerate_adapters(wgpu_api::Backends::all()));
        let infos: Vec<_> = adapters.iter().map(|a| a.get_info()).collect();
        let is_gpu = |t: &wgpu_api::DeviceType| {
            !matches!(t, wgpu_api::DeviceType::Cpu | wgpu_api::DeviceType::Other)
        };
        let chosen =
            infos
                .iter()
                .find(|i| is_gpu(&i.device_type))
                .or_else(|| infos.first().filter(|_| allow_software))
                .ok_or_else(|| {
                    DeviceError::WgpuUnavailable(if infos.is_empty() {
                        "no adapter found (is a Vulkan, Metal or DX12 driver installed?)".into()
                    } else {
                        format!(
                        "only software adapters found ({}); pass --backend wgpu to use them anyway",
                        infos.iter().map(|i| i.name.as_str()).collect::<Vec<_>>().join(", ")
                    )
                    })
                })?;
        let device = Device::wgpu_options()
            .init()
            .map_err(|e| DeviceError::WgpuUnavailable(e.to_string()))?;
        Ok(ComputeDevice {
            backend: Backend::Wgpu,
            device,
            name: format!(
                "{} ({:?}, {:?})",
                chosen.name, chosen.device_type, chosen.backend
            ),
            fallback_reason: None,
            threads: None,
        })
    }
}

#[cfg(not(feature = "wgpu"))]
mod wgpu {
    use super::{ComputeDevice, DeviceError};

    pub(super) fn open(_allow_software: bool) -> Result<ComputeDevice, DeviceError> {
        Err(DeviceError::WgpuNotBuilt)
    }
}
