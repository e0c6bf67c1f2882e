//! Pieces the pages share: charts, the chain diagram, status badges, progress bars, tables of
//! results, the curves panel and share links.

mod chain;
mod curves;
mod line_chart;
mod models;
mod notice;
mod progress;
mod scatter;
mod share;
mod status;
mod tags;

pub use chain::ChainDiagram;
pub use curves::{chart_grid, CurveRun, CurveTools, CurvesPanel, ModelCurvesPanel};
pub use line_chart::LineChart;
pub use models::ModelsTable;
pub use notice::{ErrorNotice, Loading};
pub use progress::{ProgressBar, RunProgressBar};
pub use scatter::{ScatterChart, ScatterPoint};
pub use share::ShareLinkBox;
pub use status::StatusBadge;
pub use tags::TagList;
