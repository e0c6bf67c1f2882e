//! One scratch buffer per thread for the kernels' im2col matrices. A convolution's tasks each
//! need an im2col-sized buffer (450 KB for a 16-channel 3×3 layer on 28×28 images) that they
//! overwrite before reading; allocating and zeroing a fresh one for every rayon job took ~2 % of
//! a ResNet-8 step. Each thread keeps the largest it has needed, so a process holds at most
//! threads × the largest layer's im2col matrix.

use std::cell::RefCell;

thread_local! {
    static SCRATCH: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// Runs `body` with this thread's scratch buffer, `len` values long. The values are whatever
/// the last user left (zeros when new): `body` must write before it reads. Not reentrant: a
/// `body` that asks for scratch again on the same thread panics.
pub(super) fn with_scratch<R>(len: usize, body: impl FnOnce(&mut [f32]) -> R) -> R {
    SCRATCH.with_borrow_mut(|buffer| {
        if buffer.len() < len {
            buffer.resize(len, 0.0);
        }
        body(&mut buffer[..len])
    })
}
