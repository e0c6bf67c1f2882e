//! Own CPU training kernels for the zoo's convolutions and batch norms, through burn's public
//! extension API: on `Autodiff<Flex>` a conv2d whose weight and bias gradients are a
//! batch-parallel im2col × GEMM, and a fused training batch norm; burn's stock ops everywhere
//! else (plain Flex inference, wgpu, gradient checkpointing).

mod allocator;
mod batch_norm;
mod batch_norm_math;
mod conv;
mod conv_gemm;
mod conv_weight_grad;
mod flex;
mod im2col;

pub use allocator::keep_freed_memory;
pub use batch_norm::{batch_norm, batch_norm_with_path};
pub use conv::{conv2d, conv2d_with_path};
pub use flex::KernelPath;
