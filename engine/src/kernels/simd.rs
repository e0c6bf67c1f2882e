//! Wide vectors for the kernels' own loops. The release build targets baseline x86-64 so that
//! its binary runs on any x86-64 machine, which leaves every loop the compiler vectorises at
//! 128-bit SSE2. [`vectorized!`] compiles a kernel function once more for AVX-512 and for
//! AVX2 + FMA and calls the best one the CPU has (the `multiversion` crate's runtime dispatch).
//!
//! Whole functions are cloned, not closures: a closure handed to a dispatcher (as pulp's
//! `Arch::dispatch` takes one) is compiled for the wider instruction set only when the compiler
//! chooses to inline it, and the large ones it did not, so until this was noticed in the
//! disassembly those loops ran as SSE2. Functions a vectorized function calls in its loops must
//! be `#[inline(always)]` to be compiled with it.

/// Defines each function inside it three times (AVX-512, AVX2 + FMA, baseline) behind one
/// dispatching function of the same name and signature. The functions may not take `self`.
macro_rules! vectorized {
    ($($function:item)*) => {
        $(
            #[multiversion::multiversion(targets(
                "x86_64+avx512f+avx512bw+avx512vl+avx512dq+avx2+fma",
                "x86_64+avx2+fma",
            ))]
            $function
        )*
    };
}

pub(super) use vectorized;
