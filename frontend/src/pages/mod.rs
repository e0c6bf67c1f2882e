//! One module per page of the dashboard.

mod compare;
mod credentials;
mod datasets;
mod experiment;
mod experiments;
mod import_model;
mod login;
mod new_experiment;
mod not_found;
mod shared;
mod sweeps;
mod system;

pub use compare::ComparePage;
pub use experiment::ExperimentPage;
pub use experiments::ExperimentsPage;
pub use login::LoginPage;
pub use new_experiment::NewExperimentPage;
pub use not_found::NotFound;
pub use shared::SharedPage;
pub use sweeps::{NewSweepPage, SweepPage, SweepsPage};
pub use system::SystemPage;
