//! SVG paths of series.

/// A data point `(x, y)`.
pub type Point = (f64, f64);

/// The `d` attribute of a polyline through `points` (already in pixels), one decimal each.
/// Non-finite points break the line, so a gap in the data shows as a gap.
pub fn line_path(points: &[Point]) -> String {
    let mut d = String::new();
    let mut pen_down = false;
    for &(x, y) in points {
        if !(x.is_finite() && y.is_finite()) {
            pen_down = false;
            continue;
        }
        let command = if pen_down { 'L' } else { 'M' };
        d.push_str(&format!("{command}{x:.1},{y:.1}"));
        pen_down = true;
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_moves_to_the_first_point_and_draws_lines_through_the_rest() {
        assert_eq!(line_path(&[(0.0, 1.0), (2.5, 3.26)]), "M0.0,1.0L2.5,3.3");
        assert_eq!(line_path(&[]), "");
    }

    #[test]
    fn a_missing_value_breaks_the_line() {
        let d = line_path(&[(0.0, 0.0), (1.0, f64::NAN), (2.0, 2.0), (3.0, 3.0)]);
        assert_eq!(d, "M0.0,0.0M2.0,2.0L3.0,3.0");
    }
}
