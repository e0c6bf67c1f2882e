//! A small seedable random number generator for shuffling, augmentation and masks.
//!
//! Every random choice of a run is derived from `(seed, purpose, epoch, batch)`, never from a
//! running global state, so a run resumed from a checkpoint draws exactly what an uninterrupted
//! run would have drawn.

/// SplitMix64 (Steele et al. 2014): tiny, fast and good enough for data order and masks.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator for one purpose of one run, e.g. `Rng::derive(seed, &[SHUFFLE, epoch])`.
    pub fn derive(seed: u64, parts: &[u64]) -> Rng {
        let mut rng = Rng { state: seed };
        for &part in parts {
            rng.state ^= part.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            rng.next_u64();
        }
        rng
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn next_f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// Uniform in `[0, 1)`, with 53 random bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `[0, n)`; `n` must be positive.
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * n as f64) as usize
    }

    /// Uniform in `[low, high)`.
    pub fn range_f32(&mut self, low: f32, high: f32) -> f32 {
        low + (high - low) * self.next_f32()
    }

    /// Fisher–Yates shuffle.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

/// Purposes of random streams, mixed into [`Rng::derive`].
pub mod purpose {
    /// Order of training samples in an epoch.
    pub const SHUFFLE: u64 = 1;
    /// Crop and flip augmentation.
    pub const AUGMENT: u64 = 2;
    /// MGD masks.
    pub const MASK: u64 = 3;
    /// Weight initialisation.
    pub const INIT: u64 = 4;
    /// Procedural dataset generation.
    pub const SYNTHETIC: u64 = 5;
    /// The validation split (independent of the seed).
    pub const VALIDATION: u64 = 6;
    /// The test split a registered dataset without `test/` images holds out.
    pub const TEST_SPLIT: u64 = 7;
    /// A sweep's draws of trial configurations (independent of the training seed).
    pub const SWEEP: u64 = 8;
    /// CRD's memory bank and its negative samples.
    pub const CONTRAST: u64 = 9;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_and_parts_draw_the_same_numbers() {
        let a: Vec<u64> = (0..4).map(|_| Rng::derive(7, &[1, 2]).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(
            Rng::derive(7, &[1, 2]).next_u64(),
            Rng::derive(7, &[1, 3]).next_u64()
        );
    }

    #[test]
    fn a_shuffle_is_a_permutation() {
        let mut items: Vec<usize> = (0..100).collect();
        Rng::derive(1, &[]).shuffle(&mut items);
        assert_ne!(items, (0..100).collect::<Vec<_>>());
        items.sort();
        assert_eq!(items, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn below_stays_in_range() {
        let mut rng = Rng::derive(3, &[]);
        assert!((0..10_000).all(|_| rng.below(7) < 7));
    }
}
