//! Output buffers filled by the tasks that compute them. `vec![0.0; n]` of a multi-megabyte
//! activation zeroes it in the calling thread before any kernel task starts: a serial `memset`
//! that took ~5 % of a ResNet-8 training step on two cores. Here each rayon task fills only its
//! own piece, in parallel: a kernel that adds into its output gets the piece zeroed just before
//! (so it is in the task's cache), and one that writes every value (a GEMM that overwrites, an
//! elementwise map) gets it unwritten and skips the zeroing altogether.

use std::mem::MaybeUninit;

use rayon::prelude::*;

/// A buffer of `len` values cut into `piece_len`-long pieces (the last may be shorter): a rayon
/// task runs `each(piece index, piece)` on each piece.
///
/// # Safety
/// `each` must write every value of the piece it is given (it may read only values it has
/// written): the buffer is returned as initialised values.
pub(super) unsafe fn written_in_parallel(
    len: usize,
    piece_len: usize,
    each: impl Fn(usize, &mut [MaybeUninit<f32>]) + Sync + Send,
) -> Vec<f32> {
    let mut out = Vec::with_capacity(len);
    out.spare_capacity_mut()[..len]
        .par_chunks_mut(piece_len.max(1))
        .enumerate()
        .for_each(|(i, piece)| each(i, piece));
    // SAFETY: the pieces cover `0..len`, and the caller promises that `each` wrote every value
    // of its piece (a panicking task propagates out of `for_each` before this line).
    unsafe { out.set_len(len) };
    out
}

/// [`written_in_parallel`] for a kernel that adds into its output: each piece is zeroed by its
/// task, then handed to `each(piece index, piece)`.
pub(super) fn zeroed_in_parallel(
    len: usize,
    piece_len: usize,
    each: impl Fn(usize, &mut [f32]) + Sync + Send,
) -> Vec<f32> {
    // SAFETY: `zero` writes every value of the piece before `each` sees it.
    unsafe { written_in_parallel(len, piece_len, |i, piece| each(i, zero(piece))) }
}

/// Writes zeros into every value of `piece` and returns it as initialised values.
fn zero(piece: &mut [MaybeUninit<f32>]) -> &mut [f32] {
    piece.fill(MaybeUninit::new(0.0));
    // SAFETY: every value was just initialised, and `MaybeUninit<f32>` has `f32`'s layout.
    unsafe { assume_written(piece) }
}

/// `piece` as the values it holds.
///
/// # Safety
/// Every value of `piece` must have been written.
pub(super) unsafe fn assume_written(piece: &mut [MaybeUninit<f32>]) -> &mut [f32] {
    // SAFETY: `MaybeUninit<f32>` has `f32`'s layout, and the caller promises every value is
    // initialised.
    unsafe { &mut *(piece as *mut [MaybeUninit<f32>] as *mut [f32]) }
}

#[cfg(test)]
mod tests {
    use super::{written_in_parallel, zeroed_in_parallel};

    #[test]
    fn every_value_is_zeroed_and_then_written_by_its_pieces_task() {
        for (len, piece_len) in [(0, 4), (1, 4), (10, 3), (12, 4), (1000, 7)] {
            let out = zeroed_in_parallel(len, piece_len, |i, piece| {
                assert!(piece.iter().all(|&v| v == 0.0), "piece {i} not zeroed");
                piece[0] = i as f32 + 1.0;
            });
            let want: Vec<f32> = (0..len)
                .map(|j| {
                    if j % piece_len == 0 {
                        (j / piece_len) as f32 + 1.0
                    } else {
                        0.0
                    }
                })
                .collect();
            assert_eq!(out, want, "{len} values in pieces of {piece_len}");
        }
    }

    #[test]
    fn each_task_writes_its_own_piece_of_the_buffer() {
        for (len, piece_len) in [(0, 4), (1, 4), (10, 3), (1000, 7)] {
            // SAFETY: the closure writes every value of its piece.
            let out = unsafe {
                written_in_parallel(len, piece_len, |i, piece| {
                    for (j, v) in piece.iter_mut().enumerate() {
                        v.write((i * piece_len + j) as f32);
                    }
                })
            };
            let want: Vec<f32> = (0..len).map(|j| j as f32).collect();
            assert_eq!(out, want, "{len} values in pieces of {piece_len}");
        }
    }
}
