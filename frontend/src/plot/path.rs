//! SVG paths of series, and of the bands around them.

/// A data point `(x, y)`.
pub type Point = (f64, f64);

/// A band's cross-section `(x, low, high)`.
pub type Band = (f64, f64, f64);

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

/// The `d` attribute of a closed band through `sections` (already in pixels): along the high
/// edge, back along the low edge. Sections with a non-finite value are left out.
pub fn band_path(sections: &[Band]) -> String {
    let finite: Vec<&Band> = sections
        .iter()
        .filter(|(x, lo, hi)| x.is_finite() && lo.is_finite() && hi.is_finite())
        .collect();
    if finite.is_empty() {
        return String::new();
    }
    let high = finite.iter().map(|&&(x, _, hi)| (x, hi));
    let low = finite.iter().rev().map(|&&(x, lo, _)| (x, lo));
    let mut d = String::new();
    for (i, (x, y)) in high.chain(low).enumerate() {
        let command = if i == 0 { 'M' } else { 'L' };
        d.push_str(&format!("{command}{x:.1},{y:.1}"));
    }
    d.push('Z');
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_band_runs_along_its_high_edge_and_back_along_its_low_edge() {
        assert_eq!(
            band_path(&[(0.0, 5.0, 1.0), (2.0, 6.0, 2.0)]),
            "M0.0,1.0L2.0,2.0L2.0,6.0L0.0,5.0Z"
        );
        assert_eq!(band_path(&[(0.0, f64::NAN, 1.0)]), "");
    }

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
