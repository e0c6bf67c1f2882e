//! Strided convolutions as shifted copies of their input's phase planes. With stride `s`, tap
//! `(ky, kx)` of output pixel `(oy, ox)` reads input pixel `(s·oy + ky − top, s·ox + kx − left)`.
//! Phase plane `(a, b)` holds the input pixels `(s·i + a, s·j + b)`; writing `ky − top` as
//! `s·r + a` (and `kx − left` as `s·c + b`), the tap reads that plane at `(oy + r, ox + c)`.
//! Each tap's im2col row is then one plane shifted by one offset, copied as a single run like
//! a stride-1 convolution's ([`super::copy_shifted`]), where it took a strided gather of every
//! output row before: the planes are split off once per input channel (and added back once in
//! the adjoint), instead of being gathered again by each of a 3×3 kernel's nine taps.

use std::ops::Range;

use burn::backend::ops::ConvOptions;

use super::{add_strided, copy_strided, valid_outputs, Dims, Tap};

/// The phase planes of one input channel of a strided convolution: `stride[0] × stride[1]`
/// planes of `rows × cols` values, plane `(a, b)` at index `a·stride[1] + b`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Phases {
    stride: [usize; 2],
    rows: usize,
    cols: usize,
}

impl Phases {
    /// The phase planes of a strided, undilated convolution whose output is as wide as a plane
    /// (so that a shift is one flat offset) and whose kernel has more taps than there are
    /// planes (so that splitting saves gathers); `None` for any other.
    pub fn of(d: Dims, options: &ConvOptions<2>) -> Option<Phases> {
        let [sh, sw] = options.stride;
        let phases = Phases {
            stride: [sh, sw],
            rows: d.h.div_ceil(sh),
            cols: d.w.div_ceil(sw),
        };
        let fits = options.dilation == [1, 1] && d.ow == phases.cols;
        (sh * sw > 1 && fits && d.kh * d.kw > sh * sw).then_some(phases)
    }

    /// Values in one channel's planes: the scratch they take.
    pub fn len(&self) -> usize {
        self.stride[0] * self.stride[1] * self.plane_len()
    }

    fn plane_len(&self) -> usize {
        self.rows * self.cols
    }

    /// Plane `phase` of `planes`.
    #[inline(always)]
    pub fn plane<'a>(&self, planes: &'a [f32], phase: usize) -> &'a [f32] {
        &planes[phase * self.plane_len()..][..self.plane_len()]
    }

    /// Plane `phase` of `planes`, to write.
    #[inline(always)]
    pub fn plane_mut<'a>(&self, planes: &'a mut [f32], phase: usize) -> &'a mut [f32] {
        &mut planes[phase * self.plane_len()..][..self.plane_len()]
    }

    /// The problem as seen from a plane: a stride-1 convolution of a `rows × cols` image with
    /// the same output, for [`Tap::shifted_span`] and the shifted copies.
    pub fn plane_dims(&self, d: Dims) -> Dims {
        Dims {
            h: self.rows,
            w: self.cols,
            ..d
        }
    }

    /// Each kernel tap, in im2col row order, with the plane it reads and its offset there. Its
    /// output rows and columns are those that see an input pixel, as for any convolution.
    pub fn taps(&self, d: Dims, options: &ConvOptions<2>) -> Vec<(usize, Tap)> {
        let [sh, sw] = self.stride.map(|s| s as isize);
        let (top, left) = (options.padding[0].0 as isize, options.padding[1].0 as isize);
        let mut taps = Vec::with_capacity(d.kh * d.kw);
        for ky in 0..d.kh {
            let dy = ky as isize - top;
            for kx in 0..d.kw {
                let dx = kx as isize - left;
                let phase = dy.rem_euclid(sh) * sw + dx.rem_euclid(sw);
                let tap = Tap {
                    rows: valid_outputs(d.h, dy, sh as usize, d.oh),
                    cols: valid_outputs(d.w, dx, sw as usize, d.ow),
                    row_offset: dy.div_euclid(sh),
                    col_offset: dx.div_euclid(sw),
                    first_col: 0,
                };
                taps.push((phase as usize, tap));
            }
        }
        taps
    }

    /// Splits one input channel `x [h, w]` into its planes. Where a plane runs past the image
    /// its values are left as they were: a tap reads a plane only at positions whose input
    /// pixel is inside the image, and copies of other positions are overwritten with the
    /// padding's zeros ([`super::copy_shifted`]).
    #[inline(always)]
    pub fn split(&self, x: &[f32], planes: &mut [f32], d: Dims) {
        for (plane_row, input_row) in self.rows_of_the_image(d) {
            copy_strided(&mut planes[plane_row], &x[input_row], self.stride[1]);
        }
    }

    /// The adjoint of [`Phases::split`]: adds each plane's values back onto the input pixels
    /// they came from, `dx [h, w] += …`; values past the image are dropped.
    #[inline(always)]
    pub fn add_into(&self, planes: &[f32], dx: &mut [f32], d: Dims) {
        for (plane_row, input_row) in self.rows_of_the_image(d) {
            add_strided(&planes[plane_row], &mut dx[input_row], self.stride[1]);
        }
    }

    /// Each plane row that holds input pixels: the range of its values within the planes, and
    /// the range of the input row they are taken from (every column stride's value of it,
    /// from the phase's first column), in the order [`Phases::split`] fills them.
    #[inline(always)]
    fn rows_of_the_image(self, d: Dims) -> impl Iterator<Item = (Range<usize>, Range<usize>)> {
        let [sh, sw] = self.stride;
        (0..sh * sw).flat_map(move |phase| {
            let (a, b) = (phase / sw, phase % sw);
            let rows_inside = (0..self.rows).filter(move |&i| a + i * sh < d.h && b < d.w);
            rows_inside.map(move |i| {
                let (iy, start) = (a + i * sh, (phase * self.rows + i) * self.cols);
                let pixels = (d.w - b).div_ceil(sw);
                (start..start + pixels, iy * d.w + b..(iy + 1) * d.w)
            })
        })
    }
}
