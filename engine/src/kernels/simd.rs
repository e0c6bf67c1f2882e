//! Wide vectors for the kernels' own loops. The release build targets baseline x86-64 so that
//! its binary runs on any x86-64 machine, which leaves every loop the compiler vectorises at
//! 128-bit SSE2. [`vectorized`] compiles a loop body once more for AVX-512 and for AVX2 + FMA
//! and picks the best the CPU has at run time (pulp, already in the tree through gemm).

/// Runs `body` compiled for the widest instruction set this CPU supports. Wrap a whole loop
/// (one image, one channel), not a single element: the choice costs a few loads per call.
#[inline(always)]
pub(super) fn vectorized<R>(body: impl FnOnce() -> R) -> R {
    pulp::Arch::new().dispatch(body)
}
