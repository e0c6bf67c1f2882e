//! The geometry every CPU convolution kernel shares: a problem's dimensions, one image's
//! im2col (input pixels → one row per kernel tap) and its adjoint col2im (rows added back into
//! the image). Rows are copied and added as whole contiguous runs of output pixels, so both
//! vectorise.

use std::ops::Range;

use burn::backend::ops::ConvOptions;

use self::phases::Phases;
use super::simd::vectorized;

mod phases;

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

    /// Length of the scratch one image's [`im2col`] (or [`col2im`]) takes: the im2col matrix,
    /// then for a strided convolution one input channel's phase planes; 0 for a pointwise
    /// convolution, whose image is its own im2col matrix.
    pub fn col_len(&self, options: &ConvOptions<2>) -> usize {
        if self.is_pointwise(options) {
            0
        } else {
            self.im2col_len(options)
        }
    }

    /// [`Dims::col_len`] for a convolution that does take an im2col matrix.
    fn im2col_len(&self, options: &ConvOptions<2>) -> usize {
        let phases = Phases::of(*self, options).map_or(0, |p| p.len());
        self.k() * self.p() + phases
    }

    /// Stride 1 and as many output as input columns (a "same" convolution): each tap's im2col
    /// row is then the input plane shifted by one offset ([`Tap::shift`]), zero where it sees
    /// padding, so it is copied, and added back, as one contiguous run.
    pub fn rows_are_shifts(&self, options: &ConvOptions<2>) -> bool {
        options.stride == [1, 1] && self.ow == self.w
    }

    /// A 1×1, stride-1, unpadded convolution: the image itself is its im2col matrix.
    pub fn is_pointwise(&self, options: &ConvOptions<2>) -> bool {
        self.kh == 1
            && self.kw == 1
            && options.stride == [1, 1]
            && options.padding == [(0, 0), (0, 0)]
    }
}

/// One kernel tap's row: the output rows `oy0..oy1` and columns `ox0..ox1` that see an input
/// pixel, the offsets from an output position (times the stride) to the input pixel it reads,
/// and the first input column.
struct Tap {
    rows: (usize, usize),
    cols: (usize, usize),
    row_offset: isize,
    col_offset: isize,
    first_col: usize,
}

impl Tap {
    /// No output pixel sees an input pixel through this tap (a kernel column that lies in the
    /// padding for every output column): its im2col row is all zeros.
    fn sees_nothing(&self) -> bool {
        self.cols.0 == self.cols.1
    }

    /// With [`Dims::rows_are_shifts`]: the offset from output pixel `i` (`oy·ow + ox`) to the
    /// input pixel it reads, `iy·w + ix`.
    fn shift(&self, d: Dims) -> isize {
        self.row_offset * d.w as isize + self.col_offset
    }

    /// With [`Dims::rows_are_shifts`]: the output pixels whose input pixel `i + shift` lies in
    /// the plane, within the rows that see the input, and the input pixels they read. Pixels
    /// of those rows outside this span, and any inside it in the columns `..ox0` and `ox1..`,
    /// read padding.
    fn shifted_span(&self, d: Dims) -> (Range<usize>, Range<usize>) {
        let shift = self.shift(d);
        let (oy0, oy1) = self.rows;
        let start = ((oy0 * d.ow) as isize).max(-shift);
        let end = ((oy1 * d.ow) as isize).min((d.h * d.w) as isize - shift);
        if start >= end {
            return (0..0, 0..0);
        }
        let input = (start + shift) as usize..(end + shift) as usize;
        (start as usize..end as usize, input)
    }
}

/// Every kernel tap (kernel row, then kernel column), in im2col row order within a channel.
fn taps(d: Dims, options: &ConvOptions<2>) -> Vec<Tap> {
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
                col_offset,
                first_col: ((cols.0 * sw) as isize + col_offset).max(0) as usize,
            });
        }
    }
    taps
}

/// The input row an output row `oy` reads through a tap.
fn input_row(oy: usize, stride: usize, tap: &Tap) -> usize {
    ((oy * stride) as isize + tap.row_offset) as usize
}

vectorized! {
    /// One image `[c_in, h, w]` → `col [c_in·kh·kw, oh·ow]`: row `(c, ky, kx)` holds the input
    /// pixel each output pixel sees through that kernel tap, 0 in the padding. Handles stride,
    /// dilation and asymmetric padding (the end padding is implied by `oh`, `ow`). `col` is
    /// [`Dims::col_len`] long: past the matrix, it is scratch.
    pub(super) fn im2col(x: &[f32], col: &mut [f32], d: Dims, options: &ConvOptions<2>) {
        let (col, scratch) = col.split_at_mut(d.k() * d.p());
        let planes = x.chunks_exact(d.h * d.w);
        let rows = col.chunks_exact_mut(d.kh * d.kw * d.p());
        if let Some(phases) = Phases::of(d, options) {
            let (taps, pd) = (phases.taps(d, options), phases.plane_dims(d));
            for (plane, rows) in planes.zip(rows) {
                phases.split(plane, scratch, d);
                for ((phase, tap), row) in taps.iter().zip(rows.chunks_exact_mut(d.p())) {
                    if tap.sees_nothing() {
                        row.fill(0.0);
                    } else {
                        copy_shifted(phases.plane(scratch, *phase), row, pd, tap);
                    }
                }
            }
            return;
        }
        let taps = taps(d, options);
        let shifted = d.rows_are_shifts(options);
        for (plane, rows) in planes.zip(rows) {
            for (tap, row) in taps.iter().zip(rows.chunks_exact_mut(d.p())) {
                if tap.sees_nothing() {
                    row.fill(0.0);
                } else if shifted {
                    copy_shifted(plane, row, d, tap);
                } else {
                    copy_rows(plane, row, d, options.stride, tap);
                }
            }
        }
    }

    /// The adjoint of [`im2col`]: adds each row of `col [c_in·kh·kw, oh·ow]` back onto the
    /// input pixels it was read from, `dx [c_in, h, w] += …`. Padding positions are dropped;
    /// `col` is scratch ([`Dims::col_len`] long), and its padding positions may be overwritten.
    pub(super) fn col2im(col: &mut [f32], dx: &mut [f32], d: Dims, options: &ConvOptions<2>) {
        let (col, scratch) = col.split_at_mut(d.k() * d.p());
        let planes = dx.chunks_exact_mut(d.h * d.w);
        let rows = col.chunks_exact_mut(d.kh * d.kw * d.p());
        if let Some(phases) = Phases::of(d, options) {
            let (taps, pd) = (phases.taps(d, options), phases.plane_dims(d));
            let scratch = &mut scratch[..phases.len()];
            for (plane, rows) in planes.zip(rows) {
                scratch.fill(0.0);
                for ((phase, tap), row) in taps.iter().zip(rows.chunks_exact_mut(d.p())) {
                    if !tap.sees_nothing() {
                        add_shifted(row, phases.plane_mut(scratch, *phase), pd, tap);
                    }
                }
                phases.add_into(scratch, plane, d);
            }
            return;
        }
        let taps = taps(d, options);
        let shifted = d.rows_are_shifts(options);
        for (plane, rows) in planes.zip(rows) {
            for (tap, row) in taps.iter().zip(rows.chunks_exact_mut(d.p())) {
                if tap.sees_nothing() {
                    continue;
                }
                if shifted {
                    add_shifted(row, plane, d, tap);
                } else {
                    add_rows(row, plane, d, options.stride, tap);
                }
            }
        }
    }
}

/// One tap's im2col row under [`Dims::rows_are_shifts`]: one copy of the plane's span, then
/// zeros in the padding.
#[inline(always)]
fn copy_shifted(plane: &[f32], row: &mut [f32], d: Dims, tap: &Tap) {
    let (output, input) = tap.shifted_span(d);
    row[..output.start].fill(0.0);
    row[output.end..].fill(0.0);
    row[output].copy_from_slice(&plane[input]);
    zero_padding_columns(row, d, tap);
}

/// Zeros the values of `row` in the rows that see the input but in columns that see padding
/// (`..ox0` and `ox1..`): a few per row, so as plain stores; a `fill` here becomes a `memset`
/// call per row, which cost more than the copy of the whole plane.
#[inline(always)]
fn zero_padding_columns(row: &mut [f32], d: Dims, tap: &Tap) {
    let ((oy0, oy1), (ox0, ox1)) = (tap.rows, tap.cols);
    if ox0 == 0 && ox1 == d.ow {
        return;
    }
    for line in row[oy0 * d.ow..oy1 * d.ow].chunks_exact_mut(d.ow) {
        let (left, rest) = line.split_at_mut(ox0);
        zero_few(left);
        zero_few(&mut rest[ox1 - ox0..]);
    }
}

/// `values.fill(0.0)` for the zero to two values a 3×3 kernel's padding leaves at a row's
/// end, as stores; longer runs (wider kernels) use `fill`.
#[inline(always)]
fn zero_few(values: &mut [f32]) {
    match values {
        [] => {}
        [a] => *a = 0.0,
        [a, b] => (*a, *b) = (0.0, 0.0),
        more => more.fill(0.0),
    }
}

/// One tap's im2col row in general: zeros where the tap sees padding, then the input run of
/// each output row it sees (strided for a column stride above 1).
#[inline(always)]
fn copy_rows(plane: &[f32], row: &mut [f32], d: Dims, [sh, sw]: [usize; 2], tap: &Tap) {
    let (ox0, ox1) = tap.cols;
    if ox1 - ox0 < d.ow || tap.rows != (0, d.oh) {
        row.fill(0.0);
    }
    for oy in tap.rows.0..tap.rows.1 {
        let src = &plane[input_row(oy, sh, tap) * d.w..][..d.w];
        let dst = &mut row[oy * d.ow..][ox0..ox1];
        copy_strided(dst, &src[tap.first_col..], sw);
    }
}

/// [`copy_shifted`]'s adjoint: zeros the row's padding values, then adds its span onto the
/// plane in one run.
#[inline(always)]
fn add_shifted(row: &mut [f32], plane: &mut [f32], d: Dims, tap: &Tap) {
    zero_padding_columns(row, d, tap);
    let (output, input) = tap.shifted_span(d);
    for (a, b) in plane[input].iter_mut().zip(&row[output]) {
        *a += b;
    }
}

/// [`copy_rows`]' adjoint.
#[inline(always)]
fn add_rows(row: &[f32], plane: &mut [f32], d: Dims, [sh, sw]: [usize; 2], tap: &Tap) {
    let (ox0, ox1) = tap.cols;
    for oy in tap.rows.0..tap.rows.1 {
        let dst = &mut plane[input_row(oy, sh, tap) * d.w..][..d.w];
        let src = &row[oy * d.ow..][ox0..ox1];
        add_strided(src, &mut dst[tap.first_col..], sw);
    }
}

/// `dst[i] = src[i·stride]` for every `i` of `dst`. Strides 1 and 2 are runs the compiler
/// vectorises (a copy; every other value, as pairs); larger ones go value by value.
#[inline(always)]
fn copy_strided(dst: &mut [f32], src: &[f32], stride: usize) {
    let Some(last) = dst.len().checked_sub(1) else {
        return;
    };
    match stride {
        1 => dst.copy_from_slice(&src[..dst.len()]),
        2 => {
            // Pairs for all but the last value: the row may end on it.
            let (body, end) = dst.split_at_mut(last);
            for (v, pair) in body.iter_mut().zip(src.chunks_exact(2)) {
                *v = pair[0];
            }
            end[0] = src[2 * last];
        }
        _ => {
            for (i, v) in dst.iter_mut().enumerate() {
                *v = src[i * stride];
            }
        }
    }
}

/// [`copy_strided`]'s adjoint: `dst[i·stride] += src[i]` for every `i` of `src`.
#[inline(always)]
fn add_strided(src: &[f32], dst: &mut [f32], stride: usize) {
    let Some(last) = src.len().checked_sub(1) else {
        return;
    };
    match stride {
        1 => {
            for (a, b) in dst[..src.len()].iter_mut().zip(src) {
                *a += b;
            }
        }
        2 => {
            let (body, end) = src.split_at(last);
            for (pair, v) in dst.chunks_exact_mut(2).zip(body) {
                pair[0] += v;
            }
            dst[2 * last] += end[0];
        }
        _ => {
            for (i, v) in src.iter().enumerate() {
                dst[i * stride] += v;
            }
        }
    }
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

#[cfg(test)]
mod tests {
    use burn::backend::ops::ConvOptions;

    use super::{col2im, im2col, valid_outputs, Dims, Phases};

    /// im2col by its definition, one value at a time.
    fn im2col_by_definition(x: &[f32], d: Dims, o: &ConvOptions<2>) -> Vec<f32> {
        let mut col = Vec::with_capacity(d.k() * d.p());
        for c in 0..d.c_in {
            for ky in 0..d.kh {
                for kx in 0..d.kw {
                    for oy in 0..d.oh {
                        for ox in 0..d.ow {
                            let iy = (oy * o.stride[0] + ky * o.dilation[0]) as isize
                                - o.padding[0].0 as isize;
                            let ix = (ox * o.stride[1] + kx * o.dilation[1]) as isize
                                - o.padding[1].0 as isize;
                            let inside =
                                (0..d.h as isize).contains(&iy) && (0..d.w as isize).contains(&ix);
                            let at = c * d.h * d.w + iy.max(0) as usize * d.w + ix.max(0) as usize;
                            col.push(if inside { x[at] } else { 0.0 });
                        }
                    }
                }
            }
        }
        col
    }

    /// Every geometry of two channels up to 7×6 pixels, kernels 1–3, strides and dilations
    /// 1–2 and paddings 0–2 on each side that has an output.
    fn geometries() -> Vec<(Dims, ConvOptions<2>)> {
        let mut all = Vec::new();
        for (h, w, k) in
            (1..=7).flat_map(|h| (1..=6).flat_map(move |w| (1..=3).map(move |k| (h, w, k))))
        {
            for (stride, dilation) in [(1, 1), (1, 2), (2, 1), (2, 2)] {
                for sides in 0..81 {
                    let [top, bottom, left, right] = [27, 9, 3, 1].map(|unit| sides / unit % 3);
                    let padding = [(top, bottom), (left, right)];
                    let options =
                        ConvOptions::new_with_padding([stride; 2], padding, [dilation; 2], 1);
                    let span = dilation * (k - 1) + 1;
                    if h + top + bottom >= span && w + left + right >= span {
                        all.push((Dims::of([1, 2, h, w], [3, 2, k, k], &options), options));
                    }
                }
            }
        }
        all
    }

    #[test]
    fn im2col_matches_its_definition_with_any_stride_dilation_and_padding() {
        let (mut shifted, mut phased) = (0, 0);
        for (d, options) in geometries() {
            let x: Vec<f32> = (0..d.image_len()).map(|i| i as f32 + 1.0).collect();
            let mut col = vec![f32::NAN; d.im2col_len(&options)];
            im2col(&x, &mut col, d, &options);
            assert_eq!(
                col[..d.k() * d.p()],
                im2col_by_definition(&x, d, &options),
                "{d:?} {options:?}"
            );
            shifted += usize::from(d.rows_are_shifts(&options));
            phased += usize::from(Phases::of(d, &options).is_some());
        }
        assert!(shifted > 100, "the shifted-plane path ran {shifted} times");
        assert!(phased > 100, "the phase-plane path ran {phased} times");
    }

    #[test]
    fn col2im_is_the_adjoint_of_im2col() {
        // ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩ for every x and c, tested on unit vectors x.
        for (d, options) in geometries() {
            let c: Vec<f32> = (0..d.k() * d.p()).map(|i| (i % 7) as f32 - 3.0).collect();
            let mut dx = vec![0.5f32; d.image_len()];
            let mut scratch = c.clone();
            scratch.resize(d.im2col_len(&options), f32::NAN);
            col2im(&mut scratch, &mut dx, d, &options);
            for i in 0..d.image_len() {
                let mut unit = vec![0f32; d.image_len()];
                unit[i] = 1.0;
                let col = im2col_by_definition(&unit, d, &options);
                let want: f32 = 0.5 + col.iter().zip(&c).map(|(a, b)| a * b).sum::<f32>();
                assert_eq!(dx[i], want, "pixel {i} of {d:?} {options:?}");
            }
        }
    }

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
