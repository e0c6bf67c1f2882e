//! Plot geometry, free of any UI: axis scales with round tick values, and the SVG paths of a
//! series and its band. The chart components draw what these compute.

mod path;
mod scale;

pub use path::{band_path, line_path, Band, Point};
pub use scale::{nice_ticks, tick_label, Axis, Scale};
