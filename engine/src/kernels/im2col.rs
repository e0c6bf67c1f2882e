//! The geometry every CPU convolution kernel shares: a problem's dimensions, one image's
//! im2col (input pixels → one row per kernel tap) and its adjoint col2im (rows added back into
//! the image), and the single-threaded GEMM they feed. Rows are copied and added as whole
//! contiguous runs of output pixels, so both vectorise.

use burn::backend::ops::ConvOptions;

/// Shapes of one convolution problem (NCHW input and output).
#[derive(Debug, Clone, Copy)]
pub(super) struct Dims {
    pub batch: usize,
    pub c_in: usize,
    pub h: usize,
    pub w: usize,
    pub c_out: usize,
    pub oh: usize,
    pub ow: usize,
    pub kh: usize,
    pub kw: usize,
}

impl Dims {
    /// The problem of input `[batch, c_in, h, w]` and weight `[c_out, c_in, kh, kw]`, its output
    /// size as burn and PyTorch compute it.
    pub fn of(x: [usize; 4], weight: [usize; 4], options: &ConvOptions<2>) -> Dims {
        let [batch, c_in, h, w] = x;
        let [c_out, _, kh, kw] = weight;
        let out = |size: usize, axis: usize, kernel: usize| {
            let (start, end) = options.padding[axis];
            let span = options.dilation[axis] * (kernel - 1) + 1;
            (size + start + end - span) / options.stride[axis] + 1
        };
        Dims {
            batch,
            c_in,
            h,
            w,
            c_out,
            oh: out(h, 0, kh),
            ow: out(w, 1, kw),
            kh,
            kw,
        }
    }

    /// Rows of the im2col matrix: one per (input channel, kernel row, kernel column).
    pub fn k(&self) -> usize {
        self.c_in * self.kh * self.kw
    }

    /// Columns of the im2col matrix: one per output pixel.
    pub fn p(&self) -> usize {
        self.oh * self.ow
    }

    /// Values in one input image.
    pub fn image_len(&self) -> usize {
        self.c_in * self.h * self.w
    }

    /// Values in one output image.
    pub fn output_len(&self) -> usize {
        self.c_out * self.p()
    }

    /// Length of one image's im2col matrix; 0 for a pointwise convolution, which needs none.
    pub fn col_len(&self, options: &ConvOptions<2>) -> usize {
        if self.is_pointwise(options) {
            0
        } else {
            self.k() * self.p()
        }
    }

    /// A 1×1, stride-1, unpadded convolution: the image itself is its im2col matrix.
    pub fn is_pointwise(&self, options: &ConvOptions<2>) -> bool {
        self.kh == 1
            && self.kw == 1
            && options.stride == [1, 1]
            && options.padding == [(0, 0), (0, 0)]
    }
}

/// One kernel tap's row: for each output row `oy` that sees an input row, the input row `iy`,
/// the output columns `ox0..ox1` that see an input column, and the first input column.
struct Tap {
    rows: (usize, usize),
    cols: (usize, usize),
    row_offset: isize,
    first_col: usize,
}

/// Calls `each(channel, tap index, tap)` for every (input channel, kernel row, kernel column)
/// in im2col row order.
fn for_each_tap(d: Dims, options: &ConvOptions<2>, mut each: impl FnMut(usize, usize, &Tap)) {
    let ([sh, sw], [dh, dw]) = (options.stride, options.dilation);
    let (top, left) = (options.padding[0].0 as isize, options.padding[1].0 as isize);
    let mut taps = Vec::with_capacity(d.kh * d.kw);
    for ky in 0..d.kh {
        let row_offset = (ky * dh) as isize - top;
        for kx in 0..d.kw {
            let col_offset = (kx * dw) as isize - left;
            let cols = valid_outputs(d.w, col_offset, sw, d.ow);
            taps.push(Tap {
                rows: valid_outputs(d.h, row_offset, sh, d.oh),
                cols,
                row_offset,
                first_col: ((cols.0 * sw) as isize + col_offset).max(0) as usize,
            });
        }
    }
    for c in 0..d.c_in {
        for (t, tap) in taps.iter().enumerate() {
            each(c, t, tap);
        }
    }
}

/// The input row an output row `oy` reads through a tap.
fn input_row(oy: usize, stride: usize, tap: &Tap) -> usize {
    ((oy * stride) as isize + tap.row_offset) as usize
}

/// One image `[c_in, h, w]` → `col [c_in·kh·kw, oh·ow]`: row `(c, ky, kx)` holds the input
/// pixel each output pixel sees through that kernel tap, 0 in the padding. Handles stride,
/// dilation and asymmetric padding (the end padding is implied by `oh`, `ow`).
pub(super) fn im2col(x: &[f32], col: &mut [f32], d: Dims, options: &ConvOptions<2>) {
    let [sh, sw] = options.stride;
    let taps = d.kh * d.kw;
    for_each_tap(d, options, |c, t, tap| {
        let plane = &x[c * d.h * d.w..][..d.h * d.w];
        let row = &mut col[(c * taps + t) * d.p()..][..d.p()];
        let (ox0, ox1) = tap.cols;
        if ox1 - ox0 < d.ow || tap.rows != (0, d.oh) {
            row.fill(0.0);
        }
        if ox0 == ox1 {
            return;
        }
        for oy in tap.rows.0..tap.rows.1 {
            let src = &plane[input_row(oy, sh, tap) * d.w..][..d.w];
            let dst = &mut row[oy * d.ow..][ox0..ox1];
            if sw == 1 {
                dst.copy_from_slice(&src[tap.first_col..][..dst.len()]);
            } else {
                for (i, v) in dst.iter_mut().enumerate() {
                    *v = src[tap.first_col + i * sw];
                }
            }
        }
    });
}

/// The adjoint of [`im2col`]: adds each row of `col [c_in·kh·kw, oh·ow]` back onto the input
/// pixels it was read from, `dx [c_in, h, w] += …`. Padding positions are dropped.
pub(super) fn col2im(col: &[f32], dx: &mut [f32], d: Dims, options: &ConvOptions<2>) {
    let [sh, sw] = options.stride;
    let taps = d.kh * d.kw;
    for_each_tap(d, options, |c, t, tap| {
        let plane = &mut dx[c * d.h * d.w..][..d.h * d.w];
        let row = &col[(c * taps + t) * d.p()..][..d.p()];
        let (ox0, ox1) = tap.cols;
        if ox0 == ox1 {
            return;
        }
        for oy in tap.rows.0..tap.rows.1 {
            let dst = &mut plane[input_row(oy, sh, tap) * d.w..][..d.w];
            let src = &row[oy * d.ow..][ox0..ox1];
            if sw == 1 {
                let dst = &mut dst[tap.first_col..][..src.len()];
                dst.iter_mut().zip(src).for_each(|(a, b)| *a += b);
            } else {
                for (i, v) in src.iter().enumerate() {
                    dst[tap.first_col + i * sw] += v;
                }
            }
        }
    });
}

/// The output positions `o < out` whose input position `o·stride + offset` is inside
/// `0..size`, as a half-open range.
fn valid_outputs(size: usize, offset: isize, stride: usize, out: usize) -> (usize, usize) {
    let s = stride as isize;
    let start = if offset < 0 { (-offset + s - 1) / s } else { 0 };
    let end = (size as isize - offset + s - 1)
        .div_euclid(s)
        .clamp(0, out as isize);
    let start = start.min(end);
    (start as usize, end as usize)
}

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
    [m, n, k]: [usize; 3],
    accumulate: bool,
) {
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            dst[..m * n].fill(0.0);
        }
        return;
    }
    assert!(dst.len() >= m * n, "gemm destination too short");
    assert!(lhs.values.len() >= lhs.extent(m, k), "gemm lhs too short");
    assert!(rhs.values.len() >= rhs.extent(k, n), "gemm rhs too short");
    // SAFETY: the three asserts bound every index gemm reads or writes with these steps; dst
    // is row-major (column step 1, row step n) and does not alias the operands (a `&mut`).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
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

#[cfg(test)]
mod tests {
    use super::valid_outputs;

    #[test]
    fn valid_outputs_keep_exactly_the_positions_inside_the_input() {
        for size in 1..8usize {
            for offset in -3isize..3 {
                for stride in 1..4usize {
                    for out in 0..9usize {
                        let (a, b) = valid_outputs(size, offset, stride, out);
                        let inside = |o: usize| {
                            let i = (o * stride) as isize + offset;
                            i >= 0 && i < size as isize
                        };
                        let want: Vec<usize> = (0..out).filter(|&o| inside(o)).collect();
                        assert_eq!(
                            (a..b).collect::<Vec<_>>(),
                            want,
                            "{size} {offset} {stride} {out}"
                        );
                    }
                }
            }
        }
    }
}
