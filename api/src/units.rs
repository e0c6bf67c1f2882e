//! The one way the lab writes a size in bytes, for the dashboard, the command line and the
//! engine's messages alike.

/// Bytes in binary units: `512 B`, `12.4 KiB`, `3.10 MiB`.
pub fn bytes_text(n: usize) -> String {
    const KIB: f64 = 1024.0;
    let x = n as f64;
    if x >= KIB * KIB {
        format!("{:.2} MiB", x / (KIB * KIB))
    } else if x >= KIB {
        format!("{:.1} KiB", x / KIB)
    } else {
        format!("{n} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_size_takes_the_largest_unit_it_fills() {
        assert_eq!(bytes_text(512), "512 B");
        assert_eq!(bytes_text(12_700), "12.4 KiB");
        assert_eq!(bytes_text(3 << 20), "3.00 MiB");
    }
}
