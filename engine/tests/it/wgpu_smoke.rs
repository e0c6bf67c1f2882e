//! burn-wgpu smoke test: the same model gives the same logits on wgpu as on the CPU backend, and
//! a training step runs there. On machines without a GPU, Mesa's lavapipe provides the Vulkan
//! adapter (`scripts/setup.sh` installs it), slowly but for real.
#![cfg(feature = "wgpu")]

use api::{Architecture, Backend, LinkSpec, MlpSpec, RunKind};
use burn::module::Module;
use burn::prelude::*;
use engine::data::{generate_synthetic, Batcher};
use engine::device::select;
use engine::models::{InputShape, Net};
use engine::train::{train_run, CancelToken, NullSink, PlannedRun, RunContext, RunPlan};

const INPUT: InputShape = InputShape {
    channels: 1,
    height: 28,
    width: 28,
    classes: 10,
};

fn tiny_mlp() -> Architecture {
    Architecture::Mlp(MlpSpec { hidden: vec![16] })
}

#[test]
fn wgpu_computes_the_same_logits_as_the_cpu_and_trains() {
    let gpu = select(Backend::Wgpu)
        .expect("a wgpu adapter (GPU, or Mesa lavapipe from scripts/setup.sh)");
    assert_eq!(gpu.backend, Backend::Wgpu);
    let data = generate_synthetic(64, 32);
    let batcher = Batcher::fitted_to(&data.train);
    let indices: Vec<usize> = (0..8).collect();

    let on_cpu = Net::init(&tiny_mlp(), INPUT, &Device::flex());
    let on_gpu =
        Net::init(&tiny_mlp(), INPUT, &gpu.device).load_record(on_cpu.clone().into_record());
    let expected: Vec<f32> = on_cpu
        .forward(
            batcher
                .batch(&data.test, &indices, &Device::flex(), None)
                .images,
        )
        .into_data()
        .try_to_vec()
        .unwrap();
    let actual: Vec<f32> = on_gpu
        .forward(
            batcher
                .batch(&data.test, &indices, &gpu.device, None)
                .images,
        )
        .into_data()
        .try_to_vec()
        .unwrap();
    for (a, e) in actual.iter().zip(&expected) {
        assert!(
            (a - e).abs() < 1e-4 * (1.0 + e.abs()),
            "wgpu {a} vs cpu {e}"
        );
    }

    let budget = api::Budget {
        epochs: 1,
        batch_size: 32,
        ..api::Budget::default()
    };
    let plan = RunPlan {
        run: PlannedRun {
            id: "wgpu-smoke".into(),
            kind: RunKind::Stage,
            stage_index: 0,
            stage_name: "teacher".into(),
            seed: 0,
            teacher: None,
            architecture: tiny_mlp(),
            link: LinkSpec {
                ce_weight: Some(1.0),
                ..LinkSpec::default()
            },
            budget,
            from_run: None,
        },
        augment: false,
        teacher: None,
        imported: None,
    };
    let validation = data.test.clone().truncate(64);
    let ctx = RunContext {
        data: &data,
        validation: &validation,
        batcher: &batcher,
        input: INPUT,
        device: &gpu,
        checkpoints: None,
        cancel: &CancelToken::new(),
    };
    let trained = train_run(&plan, &ctx, &mut NullSink).expect("a training run on wgpu");
    assert_eq!(trained.report.backend, "wgpu");
    assert!(trained.report.epochs[0].train_loss.is_finite());
}
