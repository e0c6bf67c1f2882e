//! `distill bench`: training samples/s and inference latency of presets on backends, and with
//! `--onnx` the inference throughput of their ONNX export in tract (the frozen-teacher runtime).

use std::process::ExitCode;

use api::DatasetName;
use engine::bench::{bench_model, onnx_throughput};
use engine::data::Batcher;
use engine::models::{resolve, InputShape};

use super::{BackendArg, DataDirArg};

/// Arguments of `distill bench`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Presets to measure, comma separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "mlp-s,cnn-s,cnn-m,resnet8"
    )]
    presets: Vec<String>,
    /// Backends to measure, comma separated.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "auto")]
    backend: Vec<BackendArg>,
    /// Dataset whose images are used (shapes matter, not content).
    #[arg(long, default_value = "synthetic")]
    dataset: String,
    #[command(flatten)]
    data: DataDirArg,
    /// Batch size of the training steps.
    #[arg(long, default_value_t = 128)]
    batch: usize,
    /// Untimed warm-up steps (kernel compilation on wgpu).
    #[arg(long, default_value_t = 3)]
    warmup: usize,
    /// Timed training steps.
    #[arg(long, default_value_t = 20)]
    steps: usize,
    /// Print results as JSON lines instead of a table.
    #[arg(long)]
    json: bool,
    /// Also time each model exported to ONNX and run by tract on the CPU (batches of 256).
    #[arg(long)]
    onnx: bool,
}

pub fn bench(args: BenchArgs) -> anyhow::Result<ExitCode> {
    let name = DatasetName::new(args.dataset.clone()).map_err(anyhow::Error::msg)?;
    let dirs = args.data.dirs();
    let info = engine::data::describe(&name, &dirs)?;
    let data = engine::data::load(&name, &dirs)?;
    let input = InputShape {
        channels: info.channels,
        height: info.height,
        width: info.width,
        classes: info.classes,
    };
    if !args.json {
        println!(
            "{:<10} {:<8} {:>10} {:>14} {:>10} {:>10} {:>14}  device",
            "preset", "backend", "params", "train smp/s", "p50 (ms)", "p95 (ms)", "infer smp/s"
        );
    }
    let mut unavailable = 0;
    for &backend in &args.backend {
        // A backend that cannot open is reported and the others are still measured (the GPU
        // kit asks for several at once).
        let device = match engine::device::select(backend.into()) {
            Ok(device) => device,
            Err(err) => {
                unavailable += 1;
                let backend = api::Backend::from(backend).as_str();
                if args.json {
                    println!(
                        "{}",
                        serde_json::json!({ "backend": backend, "error": err.to_string() })
                    );
                } else {
                    eprintln!("{backend}: {err}");
                }
                continue;
            }
        };
        for name in &args.presets {
            let arch = resolve(&api::Architecture::Preset { name: name.clone() })
                .map_err(anyhow::Error::msg)?;
            let r = bench_model(
                &arch,
                input,
                &data,
                args.batch,
                args.warmup,
                args.steps,
                &device,
            );
            let onnx = args
                .onnx
                .then(|| {
                    onnx_throughput(&r.net, input, &data.test, &Batcher::fitted_to(&data.train))
                })
                .transpose()?;
            if args.json {
                println!(
                    "{}",
                    serde_json::json!({
                        "preset": name, "backend": device.backend.as_str(), "device": device.name,
                        "fallback_reason": device.fallback_reason,
                        "params": r.params, "batch": args.batch, "steps": r.steps,
                        "train_samples_per_s": r.train_samples_per_s,
                        "latency_p50_ms": r.inference.p50_ms, "latency_p95_ms": r.inference.p95_ms,
                        "latency_runs": r.inference.runs, "throughput_per_s": r.inference.throughput_per_s,
                        "onnx_tract_throughput_per_s": onnx,
                    })
                );
            } else {
                println!(
                    "{:<10} {:<8} {:>10} {:>14.0} {:>10.3} {:>10.3} {:>14.0}  {}",
                    name,
                    device.backend.as_str(),
                    r.params,
                    r.train_samples_per_s,
                    r.inference.p50_ms,
                    r.inference.p95_ms,
                    r.inference.throughput_per_s,
                    device.name
                );
                if let Some(onnx) = onnx {
                    println!("{:<10} {:<8} {:>10} {:>14} {:>10} {:>10} {:>14.0}  tract (ONNX export), CPU", name, "onnx", "", "", "", "", onnx);
                }
            }
        }
    }
    Ok(if unavailable == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
