//! Share links: read-only views of one experiment, one comparison or one sweep behind a random
//! token.

use serde::{Deserialize, Serialize};

use crate::{Comparison, ExperimentDetail, SweepView};

/// `POST /api/shares`: what to share (exactly one of the three).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ShareRequest {
    /// Share one experiment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experiment_id: Option<String>,
    /// Share a comparison of these runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runs: Option<Vec<String>>,
    /// Share one sweep.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep_id: Option<String>,
}

/// A share link that was created.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShareLink {
    /// 128 random bits, hex.
    pub token: String,
    /// The dashboard page that shows it (`/s/<token>`).
    pub path: String,
    /// What it opens.
    pub target: ShareTarget,
    /// When it was created (Unix milliseconds).
    pub created_at: i64,
}

/// What a share link opens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ShareTarget {
    /// One experiment.
    Experiment {
        /// Its id.
        experiment_id: String,
    },
    /// A comparison of runs.
    Comparison {
        /// The runs' ids.
        runs: Vec<String>,
    },
    /// One sweep.
    Sweep {
        /// Its id.
        sweep_id: String,
    },
}

/// `GET /api/shared/{token}`: the shared thing, read-only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SharedView {
    /// An experiment.
    Experiment {
        /// It, as `GET /api/experiments/{id}` shows it.
        experiment: Box<ExperimentDetail>,
    },
    /// A comparison.
    Comparison {
        /// It, as `GET /api/compare` shows it.
        comparison: Box<Comparison>,
    },
    /// A sweep.
    Sweep {
        /// It, as `GET /api/sweeps/{id}` shows it.
        sweep: Box<SweepView>,
    },
}
