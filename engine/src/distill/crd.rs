//! Contrastive representation distillation (Tian et al., ICLR 2020; mdistiller `CRD.py`): the
//! student's embedding should pick out the teacher's embedding *of the same sample* among those
//! of other samples. Both embeddings go through a linear map to `feature_dim` and an L2
//! normalisation; a memory bank keeps one row per training sample for each side. For each
//! sample of a batch, its own row and `negatives` rows of samples of other classes (mdistiller's
//! "exact" sampling) are read from the *other* side's bank; the scores `exp(v·m / T)`, divided by
//! a normaliser `Z` set once from the first batch (`mean score × samples`), enter a noise-
//! contrastive estimation loss with a uniform noise distribution `1/samples`. The term is the
//! student's NCE plus the teacher's (the teacher's linear map trains too). After the scores are
//! read, each sample's rows move towards its new embeddings: `row ← normalise(m·row + (1−m)·v)`.
//!
//! The bank is training state, not a parameter: it lives beside the link's modules, is built at
//! the first batch (rows uniform in ±1/√(dim/3), as in the authors' code) and is checkpointed
//! as bytes of its own ([`ContrastMemory::to_bytes`]), so a resumed run goes on with it.

use std::fmt;
use std::sync::{Arc, Mutex};

use api::{CrdParams, MethodPlacement};
use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;

use super::method::{Distiller, MethodSpec, ParamSpec, StagePair, TermInputs, WireType};
use super::{l2_normalize, weighted, LinkModules, TermLoss};
use crate::checks::Bound;
use crate::rng::{purpose, Rng};

/// Added to the NCE's denominators (the authors' `eps`).
const EPS: f64 = 1e-7;

/// Each side's memory rows, one per training sample, and the scores' normalisers.
#[derive(Clone)]
pub struct ContrastMemory {
    /// Width of a row.
    dim: usize,
    /// The student's rows. // [samples × dim]
    student: Vec<f32>,
    /// The teacher's rows. // [samples × dim]
    teacher: Vec<f32>,
    /// `Z` of the student's and the teacher's scores, once the first batch has set them.
    normalizers: Option<(f64, f64)>,
}

impl fmt::Debug for ContrastMemory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ContrastMemory {{ samples: {}, dim: {}, normalizers: {:?} }}",
            self.samples(),
            self.dim,
            self.normalizers
        )
    }
}

impl ContrastMemory {
    /// A bank of `samples` rows of width `dim` per side, uniform in ±1/√(dim/3).
    pub fn random(samples: usize, dim: usize, rng: &mut Rng) -> ContrastMemory {
        let bound = 1.0 / (dim as f32 / 3.0).sqrt();
        let mut rows = || -> Vec<f32> {
            (0..samples * dim)
                .map(|_| rng.range_f32(-bound, bound))
                .collect()
        };
        let student = rows();
        let teacher = rows();
        ContrastMemory::from_rows(student, teacher, dim, None)
    }

    /// A bank with these rows (`samples × dim` each) and normalisers, if already set.
    pub fn from_rows(
        student: Vec<f32>,
        teacher: Vec<f32>,
        dim: usize,
        normalizers: Option<(f64, f64)>,
    ) -> ContrastMemory {
        assert_eq!(student.len(), teacher.len(), "both sides have a row per sample");
        ContrastMemory {
            dim,
            student,
            teacher,
            normalizers,
        }
    }

    /// How many samples it has rows for.
    pub fn samples(&self) -> usize {
        self.student.len() / self.dim
    }

    /// The rows, student's then teacher's.
    pub fn rows(&self) -> (&[f32], &[f32]) {
        (&self.student, &self.teacher)
    }

    /// `Z` of the student's and the teacher's scores, once a batch has set them.
    pub fn normalizers(&self) -> Option<(f64, f64)> {
        self.normalizers
    }

    /// The bank as bytes, little-endian: the row width and the number of samples (`u64` each),
    /// the normalisers (`f64` each, NaN while unset), then the student's rows and the teacher's
    /// (`f32` each).
    pub fn to_bytes(&self) -> Vec<u8> {
        let (z_student, z_teacher) = self.normalizers.unwrap_or((f64::NAN, f64::NAN));
        let mut bytes = Vec::with_capacity(32 + 4 * (self.student.len() + self.teacher.len()));
        bytes.extend((self.dim as u64).to_le_bytes());
        bytes.extend((self.samples() as u64).to_le_bytes());
        bytes.extend(z_student.to_le_bytes());
        bytes.extend(z_teacher.to_le_bytes());
        for value in self.student.iter().chain(&self.teacher) {
            bytes.extend(value.to_le_bytes());
        }
        bytes
    }

    /// A bank read back from [`Self::to_bytes`]; `None` when the bytes are not one.
    pub fn from_bytes(bytes: &[u8]) -> Option<ContrastMemory> {
        let word = |i: usize| -> Option<[u8; 8]> { bytes.get(8 * i..8 * i + 8)?.try_into().ok() };
        let dim = u64::from_le_bytes(word(0)?) as usize;
        let samples = u64::from_le_bytes(word(1)?) as usize;
        let z = (f64::from_le_bytes(word(2)?), f64::from_le_bytes(word(3)?));
        let rows = bytes.get(32..)?;
        if dim == 0 || rows.len() != 2 * samples * dim * 4 {
            return None;
        }
        let mut values: Vec<f32> = rows
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let teacher = values.split_off(samples * dim);
        let normalizers = (!z.0.is_nan()).then_some(z);
        Some(ContrastMemory::from_rows(values, teacher, dim, normalizers))
    }
}

/// A bank's rows as a constant. // → [samples, dim]
fn bank(rows: &[f32], dim: usize, device: &Device) -> Tensor<2> {
    Tensor::from_data(TensorData::new(rows.to_vec(), [rows.len() / dim, dim]), device)
}

/// Moves the rows of `samples` towards `embeddings` (`[batch × dim]`, host values):
/// `row ← normalise(momentum·row + (1 − momentum)·v)`.
fn blend(rows: &mut [f32], dim: usize, samples: &[usize], embeddings: &[f32], momentum: f64) {
    let (keep, take) = (momentum as f32, (1.0 - momentum) as f32);
    for (&sample, v) in samples.iter().zip(embeddings.chunks(dim)) {
        let row = &mut rows[sample * dim..(sample + 1) * dim];
        for (r, &x) in row.iter_mut().zip(v) {
            *r = keep * *r + take * x;
        }
        let norm = row.iter().map(|r| r * r).sum::<f32>().sqrt();
        row.iter_mut().for_each(|r| *r /= norm);
    }
}

/// The noise-contrastive loss of one side's normalised scores, the sample's own first.
/// // scores: [batch, 1 + negatives] → [1]
pub fn nce_loss(scores: Tensor<2>, samples: usize) -> Tensor<1> {
    let [batch, width] = scores.dims();
    let noise = (width - 1) as f64 / samples as f64; // negatives · P_n
    let positive = scores.clone().slice([0..batch, 0..1]);
    let negative = scores.slice([0..batch, 1..width]);
    let log_positive = (positive.clone() / positive.add_scalar(noise + EPS)).log();
    let log_negative = negative.add_scalar(noise + EPS).log().neg().add_scalar(noise.ln());
    (log_positive.sum() + log_negative.sum())
        .neg()
        .div_scalar(batch as f64)
}

/// CRD's term for a batch of L2-normalised embeddings, and the bank's update: the scores are read
/// from the bank as it was, then the rows of `samples` move. `contrast` lists, per sample, its
/// own index and its negatives (`batch × (1 + negatives)`).
/// // student, teacher: [batch, dim] → [1]
pub fn contrast_loss(
    memory: &mut ContrastMemory,
    student: Tensor<2>,
    teacher: Tensor<2>,
    samples: &[usize],
    contrast: &[usize],
    params: &CrdParams,
) -> Tensor<1> {
    let [batch, dim] = student.dims();
    let device = student.device();
    let per_sample = contrast.len() / batch;
    let picks: Vec<i64> = contrast.iter().map(|&i| i as i64).collect();
    let picks = Tensor::<2, Int>::from_data(TensorData::new(picks, [batch, per_sample]), &device);
    // Every row's dot product with every embedding, then the picked ones: cheaper than copying
    // `batch × (1 + negatives)` rows when the negatives outnumber the bank's rows or come close.
    let score = |rows: &[f32], v: Tensor<2>| {
        let dots = v.matmul(bank(rows, dim, &device).transpose()); // [batch, samples]
        dots.gather(1, picks.clone())
            .div_scalar(params.temperature)
            .exp()
    };
    // The student is scored against the teacher's rows, and the other way round.
    let student_scores = score(&memory.teacher, student.clone());
    let teacher_scores = score(&memory.student, teacher.clone());
    let n = memory.samples() as f64;
    let (z_student, z_teacher) = *memory.normalizers.get_or_insert_with(|| {
        let mean = |s: &Tensor<2>| s.clone().mean().into_scalar::<f32>() as f64;
        (mean(&student_scores) * n, mean(&teacher_scores) * n)
    });
    let loss = nce_loss(student_scores.div_scalar(z_student), memory.samples())
        + nce_loss(teacher_scores.div_scalar(z_teacher), memory.samples());
    let host = |v: Tensor<2>| v.into_data().try_to_vec::<f32>().expect("f32 embeddings");
    let momentum = params.momentum;
    blend(&mut memory.student, dim, samples, &host(student), momentum);
    blend(&mut memory.teacher, dim, samples, &host(teacher), momentum);
    loss
}

/// For each sample of `samples`, itself then `negatives` samples of other classes drawn
/// uniformly with replacement from the training samples (`labels`, one per training sample).
/// Samples of every class are drawn when all share one class.
pub fn draw_contrast(
    samples: &[usize],
    labels: &[u16],
    negatives: usize,
    rng: &mut Rng,
) -> Vec<usize> {
    let one_class = labels.windows(2).all(|pair| pair[0] == pair[1]);
    let mut contrast = Vec::with_capacity(samples.len() * (negatives + 1));
    for &sample in samples {
        contrast.push(sample);
        let class = labels[sample];
        for _ in 0..negatives {
            let negative = loop {
                let candidate = rng.below(labels.len());
                if one_class || labels[candidate] != class {
                    break candidate;
                }
            };
            contrast.push(negative);
        }
    }
    contrast
}

/// The two linear maps to the compared width, and the memory bank.
#[derive(Module, Debug)]
pub struct CrdHead {
    /// From the student's embedding to `feature_dim`.
    pub embed_student: Linear,
    /// From the teacher's embedding to `feature_dim`.
    pub embed_teacher: Linear,
    /// The bank, built at the first batch; shared by the copies the optimiser makes.
    #[module(skip)]
    pub memory: Arc<Mutex<Option<ContrastMemory>>>,
}

impl CrdHead {
    /// The maps for embeddings of these widths.
    pub fn init(student: usize, teacher: usize, dim: usize, device: &Device) -> CrdHead {
        CrdHead {
            embed_student: LinearConfig::new(student, dim).init(device),
            embed_teacher: LinearConfig::new(teacher, dim).init(device),
            memory: Arc::new(Mutex::new(None)),
        }
    }

    /// The bank as bytes, once the first batch has built it.
    pub fn bank_bytes(&self) -> Option<Vec<u8>> {
        let bank = self.memory.lock().expect("CRD's bank is not poisoned");
        bank.as_ref().map(ContrastMemory::to_bytes)
    }

    /// Puts back a bank saved by [`Self::bank_bytes`].
    pub fn restore_bank(&self, bytes: &[u8]) -> Result<(), String> {
        let bank = ContrastMemory::from_bytes(bytes).ok_or("not a CRD memory bank")?;
        *self.memory.lock().expect("CRD's bank is not poisoned") = Some(bank);
        Ok(())
    }

    /// Both embeddings mapped and L2-normalised. // [batch, dim] each
    pub fn embed(&self, student: Tensor<2>, teacher: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
        (
            l2_normalize(self.embed_student.forward(student), 1),
            l2_normalize(self.embed_teacher.forward(teacher), 1),
        )
    }
}

/// The catalog entry.
pub fn method() -> MethodSpec {
    MethodSpec {
        name: "crd",
        title: "Contrastive representation distillation",
        description: "Each side's embedding must pick out the other side's memory row of the same sample among rows of samples of other classes (NCE over a momentum-updated memory bank).",
        placement: MethodPlacement::Term,
        needs_feature_maps: false,
        reference: "Tian et al. 2020; mdistiller CRD.py",
        wire: WireType::of::<CrdParams>(),
        params: vec![
            ParamSpec::number("weight", "Weight of the term (mdistiller: 0.8)", Bound::at_least(0.0)),
            ParamSpec::integer(
                "feature_dim",
                "Width of the compared embeddings and of the bank's rows, at most 1024",
                Bound::whole(1, 1024),
            ),
            ParamSpec::integer(
                "negatives",
                "Negative samples per sample, at most 65536 (mdistiller: 16384 of CIFAR's 50,000)",
                Bound::whole(1, 1 << 16),
            ),
            ParamSpec::number(
                "temperature",
                "Temperature of the scores exp(v·m/T)",
                Bound::above(0.0),
            ),
            ParamSpec::number(
                "momentum",
                "Share of a memory row kept when the sample's new embedding is blended in",
                Bound::at_least(0.0).below(1.0),
            ),
        ],
        curves: &["crd"],
        options: &[],
    }
}

impl Distiller for CrdParams {
    fn add_modules(&self, pair: &StagePair<'_>, device: &Device, modules: &mut LinkModules) {
        modules.crd = Some(CrdHead::init(
            pair.student_embedding,
            pair.teacher_embedding,
            self.feature_dim,
            device,
        ));
    }

    fn losses(&self, inputs: &TermInputs<'_>) -> Vec<TermLoss> {
        let head = inputs.modules.crd.as_ref().expect("CRD's head (built from the spec)");
        let (student, teacher) = head.embed(
            inputs.student.embedding.clone(),
            inputs.teacher.embedding.clone(),
        );
        let (seed, epoch, batch) = inputs.draw;
        let mut bank = head.memory.lock().expect("CRD's bank is used by one step at a time");
        let memory = bank.get_or_insert_with(|| {
            let mut rng = Rng::derive(seed, &[purpose::CONTRAST, 0]);
            ContrastMemory::random(inputs.training_labels.len(), self.feature_dim, &mut rng)
        });
        let mut rng = Rng::derive(seed, &[purpose::CONTRAST, epoch, batch + 1]);
        let contrast = draw_contrast(
            inputs.samples,
            inputs.training_labels,
            self.negatives,
            &mut rng,
        );
        let raw = contrast_loss(memory, student, teacher, inputs.samples, &contrast, self);
        vec![weighted("crd", raw, self.weight)]
    }

    fn label(&self) -> String {
        "crd".into()
    }

    fn reads_teacher_features(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negatives_come_from_other_classes_and_each_sample_leads_its_row() {
        let labels = [0u16, 1, 0, 2, 1, 0];
        let mut rng = Rng::derive(1, &[2]);
        let contrast = draw_contrast(&[0, 4], &labels, 50, &mut rng);
        assert_eq!(contrast.len(), 2 * 51);
        assert_eq!((contrast[0], contrast[51]), (0, 4));
        assert!(contrast[1..51].iter().all(|&i| labels[i] != 0));
        assert!(contrast[52..].iter().all(|&i| labels[i] != 1));
        let one_class = draw_contrast(&[1], &[3, 3, 3], 4, &mut rng);
        assert_eq!(one_class.len(), 5);
    }

    #[test]
    fn a_bank_reads_back_from_its_bytes_with_or_without_normalisers() {
        let mut rng = Rng::derive(3, &[1]);
        let mut bank = ContrastMemory::random(5, 3, &mut rng);
        for normalizers in [None, Some((2.5, 7.0))] {
            bank.normalizers = normalizers;
            let back = ContrastMemory::from_bytes(&bank.to_bytes()).expect("a bank");
            assert_eq!(back.rows(), bank.rows());
            assert_eq!(back.normalizers(), normalizers);
        }
        let bytes = bank.to_bytes();
        assert!(ContrastMemory::from_bytes(&bytes[..bytes.len() - 1]).is_none());
    }

    #[test]
    fn a_blended_row_is_a_unit_vector_between_the_row_and_the_embedding() {
        let mut rows = vec![1.0, 0.0, 0.0, 1.0];
        blend(&mut rows, 2, &[1], &[1.0, 0.0], 0.5);
        let half = 0.5f32.sqrt();
        assert_eq!(&rows[..2], &[1.0, 0.0], "other samples' rows stay");
        assert!((rows[2] - half).abs() < 1e-6 && (rows[3] - half).abs() < 1e-6);
    }
}
