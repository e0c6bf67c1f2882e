//! How a link of the chain distils: cross-entropy plus any number of distillation terms.
//! Defaults are the ones of the reference implementations (DESIGN.md §3).

use serde::{Deserialize, Serialize};

/// The loss of one link (teacher → student). An empty `terms` list is plain cross-entropy,
/// the no-KD baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LinkSpec {
    /// Weight of the cross-entropy term. When absent: 0.1 if the first logit term is `kd`
    /// (mdistiller's KD), else 1.0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ce_weight: Option<f64>,
    /// Distillation terms added to the cross-entropy.
    #[serde(default)]
    pub terms: Vec<LossTerm>,
    /// Easy-to-hard sample pacing by teacher difficulty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub curriculum: Option<CurriculumParams>,
    /// Train with the distillation-oriented trainer: separate momenta for the task and the
    /// distillation gradients (needs SGD with momentum).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dot: Option<DotParams>,
}

/// One distillation term of a link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum LossTerm {
    /// Hinton et al.: `T²·KL(softmax(zt/T) ‖ softmax(zs/T))`.
    Kd(KdParams),
    /// Decoupled KD (Zhao et al. 2022): target-class and non-target-class parts.
    Dkd(DkdParams),
    /// Attention transfer (Zagoruyko & Komodakis 2017) on the stage features.
    At(AtParams),
    /// Masked generative distillation (Yang et al. 2022) on the last stage.
    Mgd(MgdParams),
    /// FitNets hints (Romero et al. 2015): a conv regressor from student to teacher features.
    Fitnet(FitnetParams),
    /// DIST (Huang et al. 2022): inter- and intra-class Pearson correlation of the softened
    /// outputs.
    Dist(DistParams),
    /// Relational KD (Park et al. 2019): distances and angles between the samples' embeddings.
    Rkd(RkdParams),
    /// Probabilistic knowledge transfer (Passalis & Tefas 2018): the distribution of cosine
    /// similarities between the samples' embeddings.
    Pkt(PktParams),
    /// Similarity-preserving KD (Tung & Mori 2019): the batch's similarity matrix of the last
    /// stage's features.
    Sp(SpParams),
    /// Neuron selectivity transfer (Huang & Wang 2017): MMD between the channels' spatial
    /// activation patterns, every stage but the first.
    Nst(NstParams),
    /// Variational information distillation (Ahn et al. 2019): per stage, a regressor predicts
    /// the teacher's features from the student's under a learned per-channel Gaussian variance.
    Vid(VidParams),
    /// Multi-level logit distillation (Jin et al. 2023): the softened outputs aligned per
    /// sample, across the batch and across classes, over several temperatures.
    Mlkd(MlkdParams),
    /// Knowledge review (Chen et al. 2021): the student's stages, fused deepest first by
    /// attention, matched to the teacher's at every level with a pyramid of pooled MSEs.
    Reviewkd(ReviewkdParams),
    /// Overhaul of feature distillation (Heo et al. 2019): a connector maps each student stage
    /// before its ReLU onto the teacher's, compared by a partial L2 above the teacher's margin.
    Ofd(OfdParams),
    /// Contrastive representation distillation (Tian et al. 2020): the student's embedding
    /// told apart from other samples' by a contrastive (NCE) loss against a memory bank of the
    /// teacher's embeddings, and the other way round.
    Crd(CrdParams),
}

impl LossTerm {
    /// The method's name as written in specs (`kd`, `dkd`, ...).
    pub fn method(&self) -> &'static str {
        match self {
            LossTerm::Kd(_) => "kd",
            LossTerm::Dkd(_) => "dkd",
            LossTerm::At(_) => "at",
            LossTerm::Mgd(_) => "mgd",
            LossTerm::Fitnet(_) => "fitnet",
            LossTerm::Dist(_) => "dist",
            LossTerm::Rkd(_) => "rkd",
            LossTerm::Pkt(_) => "pkt",
            LossTerm::Sp(_) => "sp",
            LossTerm::Nst(_) => "nst",
            LossTerm::Vid(_) => "vid",
            LossTerm::Mlkd(_) => "mlkd",
            LossTerm::Reviewkd(_) => "reviewkd",
            LossTerm::Ofd(_) => "ofd",
            LossTerm::Crd(_) => "crd",
        }
    }

    /// The term in a few words for lists and diagrams: `KD (T 4, w 0.9, learned T)`.
    pub fn summary(&self) -> String {
        let ctkd = |c: &Option<CtkdParams>| if c.is_some() { ", learned T" } else { "" };
        let ls = |on: bool| if on { ", LS" } else { "" };
        match self {
            LossTerm::Kd(p) => format!(
                "KD (T {}, w {}{}{})",
                p.temperature,
                p.weight,
                ctkd(&p.ctkd),
                ls(p.logit_standardization)
            ),
            LossTerm::Dkd(p) => format!(
                "DKD (α {}, β {}, T {}{}{})",
                p.alpha,
                p.beta,
                p.temperature,
                ctkd(&p.ctkd),
                ls(p.logit_standardization)
            ),
            LossTerm::Dist(p) => format!(
                "DIST (T {}, β {}, γ {}, w {})",
                p.temperature, p.beta, p.gamma, p.weight
            ),
            LossTerm::At(p) => format!("AT (w {})", p.weight),
            LossTerm::Mgd(p) => format!("MGD (α {}, λ {})", p.alpha, p.lambda),
            LossTerm::Fitnet(p) => format!("FitNet (w {})", p.weight),
            LossTerm::Rkd(p) => format!(
                "RKD (distance {}, angle {}, w {})",
                p.distance_weight, p.angle_weight, p.weight
            ),
            LossTerm::Pkt(p) => format!("PKT (w {})", p.weight),
            LossTerm::Sp(p) => format!("SP (w {})", p.weight),
            LossTerm::Nst(p) => format!("NST (w {})", p.weight),
            LossTerm::Vid(p) => format!("VID (w {}, σ²₀ {})", p.weight, p.init_variance),
            LossTerm::Mlkd(p) => format!("MLKD (w {}{})", p.weight, ls(p.logit_standardization)),
            LossTerm::Reviewkd(p) => format!("ReviewKD (w {})", p.weight),
            LossTerm::Ofd(p) => format!("OFD (w {})", p.weight),
            LossTerm::Crd(p) => format!("CRD (w {}, {} negatives)", p.weight, p.negatives),
        }
    }
}

/// Hinton KD.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct KdParams {
    /// Softmax temperature (ignored while `ctkd` learns it).
    #[serde(default = "defaults::temperature")]
    pub temperature: f64,
    /// Weight of the KD term.
    #[serde(default = "defaults::kd_weight")]
    pub weight: f64,
    /// Learn the temperature with CTKD instead of fixing it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ctkd: Option<CtkdParams>,
    /// Z-score each sample's student and teacher logits before the temperature (logit
    /// standardisation, Sun et al. 2024).
    #[serde(default, skip_serializing_if = "is_false")]
    pub logit_standardization: bool,
}

fn is_false(value: &bool) -> bool {
    !value
}

/// Decoupled KD.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DkdParams {
    /// Weight of the target-class part (TCKD).
    #[serde(default = "defaults::dkd_alpha")]
    pub alpha: f64,
    /// Weight of the non-target-class part (NCKD).
    #[serde(default = "defaults::dkd_beta")]
    pub beta: f64,
    /// Softmax temperature (ignored while `ctkd` learns it).
    #[serde(default = "defaults::temperature")]
    pub temperature: f64,
    /// The loss ramps up linearly over this many epochs.
    #[serde(default = "defaults::dkd_warmup")]
    pub warmup_epochs: usize,
    /// Learn the temperature with CTKD instead of fixing it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ctkd: Option<CtkdParams>,
    /// Z-score each sample's student and teacher logits before the temperature (logit
    /// standardisation, Sun et al. 2024).
    #[serde(default, skip_serializing_if = "is_false")]
    pub logit_standardization: bool,
}

/// Curriculum temperature (CTKD, Li et al. 2023): `T = t_min + t_range·sigmoid(θ)`, θ trained
/// adversarially through a gradient-reversal layer whose strength λ follows a cosine schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CtkdParams {
    /// Lowest temperature.
    #[serde(default = "defaults::ctkd_t_min")]
    pub t_min: f64,
    /// Span of temperatures above `t_min`.
    #[serde(default = "defaults::ctkd_t_range")]
    pub t_range: f64,
    /// λ at the start of the schedule.
    #[serde(default)]
    pub lambda_min: f64,
    /// λ at the end of the schedule.
    #[serde(default = "defaults::one")]
    pub lambda_max: f64,
    /// Epochs over which λ grows from `lambda_min` to `lambda_max`.
    #[serde(default = "defaults::ctkd_epochs")]
    pub schedule_epochs: usize,
    /// Initial value of θ (the reference initialises it to 1).
    #[serde(default = "defaults::one")]
    pub theta_init: f64,
}

/// Attention transfer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AtParams {
    /// Exponent of the attention map `mean_c(|f|^p)`.
    #[serde(default = "defaults::at_p")]
    pub p: f64,
    /// Weight of the term.
    #[serde(default = "defaults::at_weight")]
    pub weight: f64,
}

/// Masked generative distillation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MgdParams {
    /// Weight α of the term.
    #[serde(default = "defaults::mgd_alpha")]
    pub alpha: f64,
    /// Masking ratio λ.
    #[serde(default = "defaults::mgd_lambda")]
    pub lambda: f64,
    /// Mask whole channels (classification default) or spatial positions.
    #[serde(default)]
    pub mask: MgdMask,
}

/// What MGD masks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MgdMask {
    /// Whole channels (the paper's choice for classification).
    #[default]
    Channel,
    /// Spatial positions, shared across channels.
    Spatial,
}

/// FitNets hints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FitnetParams {
    /// Weight of the hint term.
    #[serde(default = "defaults::fitnet_weight")]
    pub weight: f64,
    /// Which stage's features serve as the hint, counted from the input (0-based); the
    /// middle stage of the student when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint_stage: Option<usize>,
}

/// DIST: `T²·(β·inter + γ·intra)`, each one minus the mean Pearson correlation of the softened
/// outputs, across classes per sample (inter) and across samples per class (intra).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DistParams {
    /// Softmax temperature T.
    #[serde(default = "defaults::one")]
    pub temperature: f64,
    /// Weight β of the inter-class relation.
    #[serde(default = "defaults::one")]
    pub beta: f64,
    /// Weight γ of the intra-class relation.
    #[serde(default = "defaults::one")]
    pub gamma: f64,
    /// Weight of the whole term.
    #[serde(default = "defaults::one")]
    pub weight: f64,
}

/// Multi-level logit distillation: `weight·(instance + batch + class)`, each level summed over the
/// temperatures 2, 3, 4, 5 and 6.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MlkdParams {
    /// Weight of the whole term (every level).
    #[serde(default = "defaults::one")]
    pub weight: f64,
    /// Z-score each sample's student and teacher logits before the instance level's
    /// temperatures (logit standardisation, Sun et al. 2024).
    #[serde(default, skip_serializing_if = "is_false")]
    pub logit_standardization: bool,
}

/// Knowledge review: `weight·min(epoch/warmup_epochs, 1)·Σ HCL(fused_l, f_t,l)` over the
/// levels (the paired stages and the embedding), HCL being the MSE of the maps plus those of their
/// 4×4, 2×2 and 1×1 average pools, halving weights, normalised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReviewkdParams {
    /// Weight of the term.
    #[serde(default = "defaults::one")]
    pub weight: f64,
    /// Epochs over which the term ramps up linearly.
    #[serde(default = "defaults::reviewkd_warmup")]
    pub warmup_epochs: usize,
}

/// Overhaul of feature distillation: `weight·Σ_i partial_L2(connector(s_i), t_i, margin_i) / 2^(n−1−i)`
/// over the paired stages before their ReLU, the deepest weighing most.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OfdParams {
    /// Weight of the term.
    #[serde(default = "defaults::ofd_weight")]
    pub weight: f64,
}

/// Contrastive representation distillation: `weight·(NCE(student) + NCE(teacher))`, each side's
/// embedding (a linear map to `feature_dim`, L2-normalised) scored against the other side's
/// memory rows of the same sample and of `negatives` samples of other classes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CrdParams {
    /// Weight of the term.
    #[serde(default = "defaults::crd_weight")]
    pub weight: f64,
    /// Width of the embeddings compared (and of the memory bank's rows).
    #[serde(default = "defaults::crd_feature_dim")]
    pub feature_dim: usize,
    /// Negative samples drawn for each sample of a batch.
    #[serde(default = "defaults::crd_negatives")]
    pub negatives: usize,
    /// Temperature of the scores `exp(v·m / T)`.
    #[serde(default = "defaults::crd_temperature")]
    pub temperature: f64,
    /// How much of a memory row is kept when the sample's new embedding is blended in.
    #[serde(default = "defaults::crd_momentum")]
    pub momentum: f64,
}

/// Relational KD: `weight·(distance_weight·d + angle_weight·a)`, `d` and `a` the smooth-L1
/// distances between the student's and the teacher's normalised pairwise distances and triplet
/// angles of the embeddings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RkdParams {
    /// Weight of the distance relation.
    #[serde(default = "defaults::rkd_distance_weight")]
    pub distance_weight: f64,
    /// Weight of the angle relation.
    #[serde(default = "defaults::rkd_angle_weight")]
    pub angle_weight: f64,
    /// Weight of the whole term.
    #[serde(default = "defaults::one")]
    pub weight: f64,
}

/// PKT: `weight·mean(t·log(t/s))`, `s` and `t` the row-normalised cosine-similarity
/// distributions of the student's and the teacher's embeddings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PktParams {
    /// Weight of the term.
    #[serde(default = "defaults::pkt_weight")]
    pub weight: f64,
}

/// SP: `weight·‖G_t − G_s‖²/batch²`, `G` the row-normalised batch×batch similarity matrix
/// of the last stage's features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SpParams {
    /// Weight of the term.
    #[serde(default = "defaults::sp_weight")]
    pub weight: f64,
}

/// NST: `weight·Σ MMD²`, the squared maximum mean discrepancy (polynomial kernel) between
/// the student's and the teacher's normalised channel activation patterns, per stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NstParams {
    /// Weight of the term.
    #[serde(default = "defaults::nst_weight")]
    pub weight: f64,
}

/// VID: `weight·Σ mean(½·((μ(f_s) − f_t)²/σ² + log σ²))` over every paired stage but the
/// first, μ a 1×1-conv regressor and `σ² = softplus(v) + 1e-5` a learned per-channel variance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VidParams {
    /// Weight of the term.
    #[serde(default = "defaults::one")]
    pub weight: f64,
    /// The variance σ² every channel starts from.
    #[serde(default = "defaults::vid_init_variance")]
    pub init_variance: f64,
}

/// The distillation-oriented trainer (Zhao et al., ICCV 2023): SGD keeps one momentum buffer
/// for the cross-entropy's gradient, with momentum `m − delta`, and one for the distillation
/// terms' gradient, with `m + delta`, `m` being the stage's SGD momentum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DotParams {
    /// How far the two momenta move apart from the optimiser's.
    #[serde(default = "defaults::dot_delta")]
    pub delta: f64,
}

/// Easy-to-hard sample pacing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CurriculumParams {
    /// Fraction of the (easiest) training data used in the first epoch.
    #[serde(default = "defaults::curriculum_start")]
    pub start: f64,
    /// How the fraction grows.
    #[serde(default)]
    pub pacing: Pacing,
    /// Epoch by which all the data is used; half the budget when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_at_epoch: Option<usize>,
    /// How the teacher ranks difficulty.
    #[serde(default)]
    pub difficulty: Difficulty,
}

/// Growth of the curriculum fraction from `start` to 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Pacing {
    /// `start + (1 − start)·t`.
    #[default]
    Linear,
    /// `sqrt(start² + (1 − start²)·t)`: grows fast early.
    Root,
}

/// A sample's difficulty according to the teacher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Difficulty {
    /// The teacher's cross-entropy on the true label.
    #[default]
    TeacherCe,
    /// One minus the teacher's top-class probability.
    Confidence,
}

/// Default hyperparameters, one home for all of them.
pub mod defaults {
    /// One: DIST's temperature and weights, CTKD's λ at the end and initial θ.
    pub fn one() -> f64 {
        1.0
    }
    /// KD and DKD temperature.
    pub fn temperature() -> f64 {
        4.0
    }
    /// KD term weight (mdistiller: 0.9, with CE at 0.1).
    pub fn kd_weight() -> f64 {
        0.9
    }
    /// CE weight next to KD.
    pub const KD_CE_WEIGHT: f64 = 0.1;
    /// CE weight next to any other term.
    pub const CE_WEIGHT: f64 = 1.0;
    /// DKD α.
    pub fn dkd_alpha() -> f64 {
        1.0
    }
    /// DKD β.
    pub fn dkd_beta() -> f64 {
        8.0
    }
    /// DKD warm-up epochs.
    pub fn dkd_warmup() -> usize {
        20
    }
    /// ReviewKD warm-up epochs (mdistiller: 20).
    pub fn reviewkd_warmup() -> usize {
        20
    }
    /// OFD weight (mdistiller's `FEAT_WEIGHT`).
    pub fn ofd_weight() -> f64 {
        1e-3
    }
    /// CRD weight (mdistiller's `FEAT_WEIGHT`).
    pub fn crd_weight() -> f64 {
        0.8
    }
    /// CRD embedding width.
    pub fn crd_feature_dim() -> usize {
        128
    }
    /// CRD negatives per sample (mdistiller's `NCE.K`).
    pub fn crd_negatives() -> usize {
        16384
    }
    /// CRD score temperature.
    pub fn crd_temperature() -> f64 {
        0.07
    }
    /// CRD memory momentum.
    pub fn crd_momentum() -> f64 {
        0.5
    }
    /// CTKD lowest temperature.
    pub fn ctkd_t_min() -> f64 {
        1.0
    }
    /// CTKD temperature span.
    pub fn ctkd_t_range() -> f64 {
        20.0
    }
    /// CTKD λ schedule length.
    pub fn ctkd_epochs() -> usize {
        10
    }
    /// DOT's momentum gap Δ (the paper's 0.075, around SGD's 0.9).
    pub fn dot_delta() -> f64 {
        0.075
    }
    /// AT exponent.
    pub fn at_p() -> f64 {
        2.0
    }
    /// AT weight.
    pub fn at_weight() -> f64 {
        1000.0
    }
    /// MGD α.
    pub fn mgd_alpha() -> f64 {
        7e-5
    }
    /// MGD masking ratio (channel masks).
    pub fn mgd_lambda() -> f64 {
        0.15
    }
    /// FitNet weight.
    pub fn fitnet_weight() -> f64 {
        100.0
    }
    /// RKD distance weight.
    pub fn rkd_distance_weight() -> f64 {
        25.0
    }
    /// RKD angle weight.
    pub fn rkd_angle_weight() -> f64 {
        50.0
    }
    /// PKT weight (mdistiller's `FEAT_WEIGHT`).
    pub fn pkt_weight() -> f64 {
        30_000.0
    }
    /// SP weight (mdistiller's `FEAT_WEIGHT`).
    pub fn sp_weight() -> f64 {
        3_000.0
    }
    /// NST weight (mdistiller's `FEAT_WEIGHT`).
    pub fn nst_weight() -> f64 {
        50.0
    }
    /// VID's initial variance (mdistiller's `INIT_PRED_VAR`).
    pub fn vid_init_variance() -> f64 {
        5.0
    }
    /// Curriculum starting fraction.
    pub fn curriculum_start() -> f64 {
        0.3
    }
}
