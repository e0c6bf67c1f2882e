//! The engine's integration tests, one module per subject, in one test binary: as separate
//! files each test was a crate of its own that linked the engine (burn, tract) again and
//! instantiated the same generic training code again.

mod crate_dir;
mod support;

mod adam;
mod data_loaders;
mod examples;
mod golden;
mod kernels;
mod onnx;
mod onnx_teacher;
mod registry;
mod sweep;
mod teacher_cache;
mod training;
mod weights;
mod wgpu_smoke;
