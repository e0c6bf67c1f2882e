//! Output buffers zeroed by the tasks that fill them. `vec![0.0; n]` of a multi-megabyte
//! activation zeroes it in the calling thread before any kernel task starts: a serial `memset`
//! that took ~5 % of a ResNet-8 training step on two cores. Here each rayon task zeroes only
//! its own piece, in parallel, just before it writes it (so the piece is in its cache).

use std::mem::MaybeUninit;

use rayon::prelude::*;

/// A buffer of `len` zeros cut into `piece_len`-long pieces (the last may be shorter): a rayon
/// task zeroes each piece and then runs `each(piece index, piece)` on it.
pub(super) fn zeroed_in_parallel(
    len: usize,
    piece_len: usize,
    each: impl Fn(usize, &mut [f32]) + Sync + Send,
) -> Vec<f32> {
    let mut out = Vec::with_capacity(len);
    out.spare_capacity_mut()[..len]
        .par_chunks_mut(piece_len.max(1))
        .enumerate()
        .for_each(|(i, piece)| each(i, zero(piece)));
    // SAFETY: the pieces cover `0..len` and each was initialised by `zero` (a panicking task
    // propagates out of `for_each` before this line).
    unsafe { out.set_len(len) };
    out
}

/// Writes zeros into every value of `piece` and returns it as initialised values.
fn zero(piece: &mut [MaybeUninit<f32>]) -> &mut [f32] {
    piece.fill(MaybeUninit::new(0.0));
    // SAFETY: every value was just initialised, and `MaybeUninit<f32>` has `f32`'s layout.
    unsafe { &mut *(piece as *mut [MaybeUninit<f32>] as *mut [f32]) }
}

#[cfg(test)]
mod tests {
    use super::zeroed_in_parallel;

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
}
