//! Plot geometry, free of any UI: axis scales with round tick values, and the SVG path of a
//! series. The chart components draw what these compute.

mod path;
mod scale;

pub use path::{line_path, Point};
pub use scale::{nice_ticks, tick_label, Axis, Scale};
