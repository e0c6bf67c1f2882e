//! The teacher's outputs for every training sample, computed once per run: a teacher does not
//! change while its student trains, and without augmentation every epoch shows it the same
//! images. Logits are always cached then; stage features and the embedding (for the feature
//! and relational methods) only when they fit the memory budget, else the teacher runs every
//! batch as before.

use burn::prelude::*;

use crate::data::{Batcher, ImageSet};
use crate::models::{Features, Model, PreActivation, StageShape};

/// Samples per teacher forward pass while filling the cache.
const CHUNK: usize = 256;

/// Bytes the cached stage features may take, unless `DISTILL_TEACHER_CACHE_MB` says otherwise.
pub const DEFAULT_FEATURE_BUDGET: usize = 1 << 30;

/// The budget for cached features: `DISTILL_TEACHER_CACHE_MB`, else [`DEFAULT_FEATURE_BUDGET`].
pub fn feature_budget() -> usize {
    std::env::var("DISTILL_TEACHER_CACHE_MB")
        .ok()
        .and_then(|mb| mb.trim().parse::<usize>().ok())
        .map_or(DEFAULT_FEATURE_BUDGET, |mb| mb << 20)
}

/// One tensor's values for every sample, row-major.
#[derive(Debug, Clone)]
struct Rows {
    values: Vec<f32>,
    /// Shape of one sample's values.
    shape: Vec<usize>,
}

impl Rows {
    fn width(&self) -> usize {
        self.shape.iter().product()
    }

    /// The rows of `indices`, as one tensor on `device`. // [batch, ...shape]
    fn gather<const D: usize>(&self, indices: &[usize], device: &Device) -> Tensor<D> {
        let width = self.width();
        let mut values = Vec::with_capacity(indices.len() * width);
        for &i in indices {
            values.extend_from_slice(&self.values[i * width..(i + 1) * width]);
        }
        let mut shape = vec![indices.len()];
        shape.extend(&self.shape);
        Tensor::from_data(TensorData::new(values, shape), device)
    }
}

/// The cached outputs of a teacher on a training set.
#[derive(Debug, Clone)]
pub struct TeacherCache {
    logits: Rows,
    /// The stage features and the embedding, when kept.
    features: Option<(Vec<Rows>, Rows)>,
}

impl TeacherCache {
    /// Runs `teacher` once over the first `samples` images of `set` (the ones a run trains
    /// on); with `features`, keeps its stage features too.
    pub fn compute(
        teacher: &Model,
        set: &ImageSet,
        samples: usize,
        batcher: &Batcher,
        features: bool,
        device: &Device,
    ) -> TeacherCache {
        let indices: Vec<usize> = (0..samples.min(set.len())).collect();
        let (mut logits, mut embedding) = (Vec::new(), Vec::new());
        let mut stages: Vec<Vec<f32>> = Vec::new();
        let (mut logit_shape, mut embedding_shape, mut stage_shapes) =
            (Vec::new(), Vec::new(), Vec::new());
        for chunk in indices.chunks(CHUNK) {
            let batch = batcher.batch(set, chunk, device, None);
            let out = teacher.forward_features_with(batch.images, PreActivation::Skip, batcher);
            logit_shape = out.logits.dims()[1..].to_vec();
            logits.extend(host(out.logits));
            if features {
                embedding_shape = out.embedding.dims()[1..].to_vec();
                embedding.extend(host(out.embedding));
                stages.resize(out.stages.len(), Vec::new());
                stage_shapes = out.stages.iter().map(|s| s.dims()[1..].to_vec()).collect();
                for (kept, stage) in stages.iter_mut().zip(out.stages) {
                    kept.extend(host(stage));
                }
            }
        }
        TeacherCache {
            logits: Rows {
                values: logits,
                shape: logit_shape,
            },
            features: features.then(|| {
                let stages = stages
                    .into_iter()
                    .zip(stage_shapes)
                    .map(|(values, shape)| Rows { values, shape })
                    .collect();
                let embedding = Rows {
                    values: embedding,
                    shape: embedding_shape,
                };
                (stages, embedding)
            }),
        }
    }

    /// Bytes the stage features of `samples` samples of a teacher with `stages` would take
    /// (the embedding, at most as wide as a stage, is left out of the estimate).
    pub fn feature_bytes(stages: &[StageShape], samples: usize) -> usize {
        let per_sample: usize = stages.iter().map(|s| s.channels * s.height * s.width).sum();
        per_sample * samples * std::mem::size_of::<f32>()
    }

    /// Bytes this cache holds.
    pub fn bytes(&self) -> usize {
        let features = self
            .features
            .iter()
            .flat_map(|(stages, embedding)| stages.iter().chain([embedding]));
        let rows = std::iter::once(&self.logits).chain(features);
        rows.map(|r| r.values.len() * std::mem::size_of::<f32>())
            .sum()
    }

    /// Whether it holds stage features.
    pub fn has_features(&self) -> bool {
        self.features.is_some()
    }

    /// The teacher's outputs for the samples `indices`, as constants on `device`; without
    /// cached features, the stages are empty and the embedding has no columns.
    pub fn features(&self, indices: &[usize], device: &Device) -> Features {
        let (stages, embedding) = match &self.features {
            Some((stages, embedding)) => (
                stages
                    .iter()
                    .map(|rows| rows.gather::<4>(indices, device))
                    .collect(),
                embedding.gather::<2>(indices, device),
            ),
            None => (Vec::new(), Tensor::zeros([indices.len(), 0], device)),
        };
        Features {
            stages,
            pre_activation: Vec::new(),
            embedding,
            logits: self.logits.gather::<2>(indices, device),
        }
    }
}

/// What a run says when it uses the cache.
pub fn describe(bytes: usize, features: bool) -> String {
    let what = if features {
        "logits and features"
    } else {
        "logits"
    };
    format!(
        "the teacher's {what} for the training images were computed once ({}) and are reused every epoch",
        api::bytes_text(bytes)
    )
}

fn host<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
    tensor
        .into_data()
        .try_to_vec()
        .expect("teacher outputs are f32")
}
