//! GPUs through burn-wgpu (Vulkan, Metal, DX12).

use api::Backend;
use burn::prelude::Device;
use burn::tensor::wgpu::wgpu as wgpu_api;

use super::{ComputeDevice, DeviceError};

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
    let chosen = infos
        .iter()
        .find(|i| is_gpu(&i.device_type))
        .or_else(|| infos.first().filter(|_| allow_software))
        .ok_or_else(|| {
            DeviceError::WgpuUnavailable(if infos.is_empty() {
                "no adapter found (is a Vulkan, Metal or DX12 driver installed?)".into()
            } else {
                format!(
                    "only software adapters found ({}); pass --backend wgpu to use them anyway",
                    infos
                        .iter()
                        .map(|i| i.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
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
