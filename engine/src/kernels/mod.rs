//! Own CPU training kernels for the zoo's convolutions, batch norms and ReLUs, through burn's
//! public extension API: on `Autodiff<Flex>` a conv2d whose forward and gradients are
//! batch-parallel im2col × GEMM (its forward also for plain Flex inference from one image per
//! thread), a fused training batch norm (optionally with the ReLU after it), a fused ReLU +
//! 2×2 max pool and a fused residual add + ReLU; Adam's update in one pass on Flex parameters;
//! burn's stock ops everywhere else (smaller inference batches, wgpu, gradient checkpointing).
//! Also the allocator setting that keeps their buffers from page-faulting.

mod adam;
mod add_relu;
mod allocator;
mod batch_norm;
mod batch_norm_math;
mod conv;
mod conv_gemm;
mod conv_weight_grad;
mod flex;
mod gemm;
mod im2col;
mod parallel_fill;
mod relu_pool;
mod scratch;
mod simd;

pub use adam::{AdamSettings, FusedAdam};
pub use add_relu::{add_relu, add_relu_with_path};
pub use allocator::keep_freed_memory;
pub use batch_norm::{
    batch_norm, batch_norm_relu, batch_norm_relu_with_path, batch_norm_with_path,
};
pub use conv::{conv2d, conv2d_with_path, min_inference_batch};
pub use flex::KernelPath;
pub use relu_pool::{relu_max_pool, relu_max_pool_with_path};
