//! The single-threaded GEMM the convolution kernels feed their im2col matrices to (gemm, the
//! crate burn-flex's matmul uses), with its operands' bounds checked before the unsafe call.

use std::mem::MaybeUninit;

/// A row-major `f32` matrix operand of [`gemm`]: its values and its row and column steps.
#[derive(Clone, Copy)]
pub(super) struct Operand<'a> {
    pub values: &'a [f32],
    pub row_step: usize,
    pub col_step: usize,
}

impl<'a> Operand<'a> {
    /// A row-major `rows × cols` matrix.
    pub fn rows(values: &'a [f32], cols: usize) -> Operand<'a> {
        Operand {
            values,
            row_step: cols,
            col_step: 1,
        }
    }

    /// The transpose of a row-major matrix with `cols` columns.
    pub fn transposed(values: &'a [f32], cols: usize) -> Operand<'a> {
        Operand {
            values,
            row_step: 1,
            col_step: cols,
        }
    }

    /// The largest index an `m × n` view of this operand reads, plus one.
    fn extent(&self, m: usize, n: usize) -> usize {
        (m - 1) * self.row_step + (n - 1) * self.col_step + 1
    }
}

/// `dst [m × n] (+)= lhs [m × k] · rhs [k × n]`, row-major `dst`, single-threaded (the callers
/// already run one task per thread). `accumulate` keeps dst's values; otherwise they are
/// overwritten.
pub(super) fn gemm(
    dst: &mut [f32],
    lhs: Operand,
    rhs: Operand,
    dims: [usize; 3],
    accumulate: bool,
) {
    // SAFETY: `dst` is initialised, so reading it when accumulating is sound.
    unsafe { gemm_raw(dst.as_mut_ptr(), dst.len(), lhs, rhs, dims, accumulate) }
}

/// `dst [m × n] = lhs [m × k] · rhs [k × n]` into values not written yet: every one of the
/// `m × n` values is written, none is read.
pub(super) fn gemm_into(
    dst: &mut [MaybeUninit<f32>],
    lhs: Operand,
    rhs: Operand,
    dims: [usize; 3],
) {
    // SAFETY: gemm reads no value of dst when it does not accumulate (`read_dst` false: every
    // path of gemm-common writes before it reads, k = 0 included), so uninitialised values
    // are never read.
    unsafe { gemm_raw(dst.as_mut_ptr().cast(), dst.len(), lhs, rhs, dims, false) }
}

/// The bounds-checked call to gemm behind [`gemm`] and [`gemm_into`].
///
/// # Safety
/// `dst` points to `dst_len` writable values, initialised when `accumulate`.
unsafe fn gemm_raw(
    dst: *mut f32,
    dst_len: usize,
    lhs: Operand,
    rhs: Operand,
    [m, n, k]: [usize; 3],
    accumulate: bool,
) {
    if m == 0 || n == 0 {
        return;
    }
    assert!(dst_len >= m * n, "gemm destination too short");
    if k == 0 {
        if !accumulate {
            // SAFETY: the first m·n values are in bounds (asserted above).
            unsafe { std::ptr::write_bytes(dst, 0, m * n) };
        }
        return;
    }
    assert!(lhs.values.len() >= lhs.extent(m, k), "gemm lhs too short");
    assert!(rhs.values.len() >= rhs.extent(k, n), "gemm rhs too short");
    // SAFETY: the three asserts bound every index gemm reads or writes with these steps; dst
    // is row-major (column step 1, row step n) and does not alias the operands (the callers
    // hold it as `&mut`).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst,
            1,
            n as isize,
            accumulate,
            lhs.values.as_ptr(),
            lhs.col_step as isize,
            lhs.row_step as isize,
            rhs.values.as_ptr(),
            rhs.col_step as isize,
            rhs.row_step as isize,
            1.0f32,
            1.0f32,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}
