//! How numbers read on the dashboard: accuracies in percent, gains in points, sizes, counts,
//! durations and latencies with sensible units.

/// `0.9123` → `91.23 %`.
pub fn percent(fraction: f64) -> String {
    format!("{:.2} %", fraction * 100.0)
}

/// A difference of accuracies in percentage points, signed: `+1.20 pts`, `−0.35 pts`.
pub fn points(delta: f64) -> String {
    let pts = delta * 100.0;
    if pts < 0.0 {
        format!("\u{2212}{:.2} pts", -pts)
    } else {
        format!("+{pts:.2} pts")
    }
}

/// The CSS class of a signed difference: `gain` above zero, `loss` below, none otherwise.
pub fn sign_class(delta: Option<f64>) -> &'static str {
    match delta {
        Some(d) if d > 0.0 => "gain",
        Some(d) if d < 0.0 => "loss",
        _ => "",
    }
}

/// A paired gain in points with its 95 % interval: `+1.20 pts [+0.40, +2.00]`, or
/// `+1.20 pts (1 seed: no interval)`.
pub fn gain(gain: &api::PairedGain) -> String {
    let bare = |v: f64| points(v).trim_end_matches(" pts").to_string();
    match (gain.ci_low, gain.ci_high) {
        (Some(low), Some(high)) => format!("{} [{}, {}]", points(gain.mean), bare(low), bare(high)),
        _ => format!("{} (1 seed: no interval)", points(gain.mean)),
    }
}

/// A paired gain in a list cell: the mean, marked `*` when its 95 % interval excludes zero.
pub fn gain_short(gain: &api::PairedGain) -> String {
    let marker = if gain.excludes_zero() { "*" } else { "" };
    format!("{}{marker}", points(gain.mean))
}

/// The CSS class of a paired gain: coloured only when its interval excludes zero.
pub fn gain_class(gain: Option<&api::PairedGain>) -> &'static str {
    match gain {
        Some(g) if g.excludes_zero() => sign_class(Some(g.mean)),
        _ => "",
    }
}

/// Mean ± standard deviation of accuracies: `91.23 ± 0.40 %` (just the mean for one run).
pub fn percent_mean_std(mean: f64, std: f64, runs: usize) -> String {
    if runs > 1 {
        format!("{:.2} ± {:.2} %", mean * 100.0, std * 100.0)
    } else {
        percent(mean)
    }
}

/// Parameter counts: `812`, `45.3 k`, `1.27 M`.
pub fn count(n: usize) -> String {
    let x = n as f64;
    if x >= 1e6 {
        format!("{:.2} M", x / 1e6)
    } else if x >= 1e4 {
        format!("{:.1} k", x / 1e3)
    } else {
        n.to_string()
    }
}

pub use api::bytes_text as bytes;

/// Milliseconds with three significant digits: `0.214 ms`, `3.51 ms`, `120 ms`.
pub fn millis(ms: f64) -> String {
    if ms >= 100.0 {
        format!("{ms:.0} ms")
    } else if ms >= 10.0 {
        format!("{ms:.1} ms")
    } else if ms >= 1.0 {
        format!("{ms:.2} ms")
    } else {
        format!("{ms:.3} ms")
    }
}

/// A duration in seconds: `42 s`, `3 min 05 s`, `1 h 02 min`.
pub fn duration(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    if s < 60 {
        format!("{s} s")
    } else if s < 3600 {
        format!("{} min {:02} s", s / 60, s % 60)
    } else {
        format!("{} h {:02} min", s / 3600, (s % 3600) / 60)
    }
}

/// An architecture in a few characters: `mlp 256-128`, `cnn 32·32·64·64 fc 128`, `resnet20 ×2`.
pub fn architecture(arch: &api::Architecture) -> String {
    use api::Architecture::*;
    let join =
        |v: &[usize], sep: &str| v.iter().map(usize::to_string).collect::<Vec<_>>().join(sep);
    match arch {
        Preset { name } => name.clone(),
        Mlp(m) => format!("mlp {}", join(&m.hidden, "-")),
        Cnn(c) => format!("cnn {} fc {}", join(&c.channels, "·"), c.fc),
        Resnet(r) if r.width == 1.0 => format!("resnet{}", r.depth),
        Resnet(r) => format!("resnet{} ×{}", r.depth, r.width),
        Wrn(r) => format!("wrn-{}-{}", r.depth, r.widen),
        Mobilenetv2(m) => format!("mobilenetv2 t{} ×{}", m.expansion, m.width),
        Onnx(o) => o.label(),
        Shufflenetv2(s) => format!("shufflenetv2 ×{}", s.size),
        ImagenetResnet(r) if r.width == 1.0 => format!("resnet{} (torchvision)", r.depth),
        ImagenetResnet(r) => format!("resnet{} (torchvision) ×{}", r.depth, r.width),
        Vgg(v) => format!(
            "vgg {}",
            v.blocks
                .iter()
                .map(|b| format!("{b:?}"))
                .collect::<Vec<_>>()
                .join(" ")
        ),
    }
}

/// A stage's model: its architecture, or the run it is taken from.
pub fn stage_model(stage: &api::StageSpec) -> String {
    match (&stage.from_run, &stage.architecture) {
        (Some(run), Some(arch)) => format!("{} (run {run})", architecture(arch)),
        (Some(run), None) => format!("run {run}"),
        (None, Some(arch)) => architecture(arch),
        (None, None) => "—".into(),
    }
}

/// A link's loss in a line: `CE 0.1 + KD (T 4, w 0.9)`, `+ curriculum (from 30 %)`,
/// `+ DOT (Δ 0.075)`.
pub fn link(link: &api::LinkSpec) -> String {
    let mut parts: Vec<String> = link.terms.iter().map(api::LossTerm::summary).collect();
    if parts.is_empty() {
        return "CE only".into();
    }
    if let Some(weight) = link.ce_weight {
        parts.insert(0, format!("CE {weight}"));
    }
    if let Some(c) = &link.curriculum {
        parts.push(format!("curriculum from {:.0} %", c.start * 100.0));
    }
    if let Some(dot) = &link.dot {
        parts.push(format!("DOT (Δ {})", dot.delta));
    }
    parts.join(" + ")
}

/// `text` cut to at most `chars` characters, with `…` where it was cut.
pub fn short(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text.to_string();
    }
    let kept: String = text.chars().take(chars.saturating_sub(1)).collect();
    format!("{}…", kept.trim_end())
}

/// Unix milliseconds as `YYYY-MM-DD HH:MM` (UTC).
pub fn timestamp(unix_ms: i64) -> String {
    let secs = unix_ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let rem = secs.rem_euclid(86_400);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}",
        rem / 3600,
        (rem % 3600) / 60
    )
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar
/// (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_name_is_cut_with_an_ellipsis_and_a_short_one_kept() {
        assert_eq!(
            short("Demo: a cnn-s teacher that saw every image", 12),
            "Demo: a cnn…"
        );
        assert_eq!(short("kd pair", 12), "kd pair");
    }

    #[test]
    fn accuracies_read_as_percent_and_gains_as_signed_points() {
        assert_eq!(percent(0.91234), "91.23 %");
        assert_eq!(points(0.012), "+1.20 pts");
        assert_eq!(points(-0.0035), "\u{2212}0.35 pts");
        assert_eq!(percent_mean_std(0.9, 0.004, 3), "90.00 ± 0.40 %");
        assert_eq!(percent_mean_std(0.9, 0.0, 1), "90.00 %");
        assert_eq!(
            (
                sign_class(Some(0.01)),
                sign_class(Some(-0.01)),
                sign_class(Some(0.0)),
                sign_class(None)
            ),
            ("gain", "loss", "", "")
        );
    }

    #[test]
    fn a_gain_reads_with_its_interval_and_one_seed_says_it_has_none() {
        let g = api::PairedGain {
            n: 3,
            mean: 0.012,
            std: 0.002,
            ci_low: Some(0.004),
            ci_high: Some(0.02),
            differences: vec![0.01, 0.012, 0.014],
        };
        assert_eq!(gain(&g), "+1.20 pts [+0.40, +2.00]");
        assert_eq!(gain_short(&g), "+1.20 pts*");
        assert_eq!(gain_class(Some(&g)), "gain");
        let wide = api::PairedGain {
            ci_low: Some(-0.01),
            ..g.clone()
        };
        assert_eq!(gain_short(&wide), "+1.20 pts");
        assert_eq!(
            gain_class(Some(&wide)),
            "",
            "no colour when the interval spans 0"
        );
        let one = api::PairedGain {
            n: 1,
            ci_low: None,
            ci_high: None,
            ..g
        };
        assert_eq!(gain(&one), "+1.20 pts (1 seed: no interval)");
    }

    #[test]
    fn sizes_counts_and_times_pick_their_unit() {
        assert_eq!(count(812), "812");
        assert_eq!(count(45_300), "45.3 k");
        assert_eq!(count(1_270_000), "1.27 M");
        assert_eq!(millis(0.2144), "0.214 ms");
        assert_eq!(millis(120.4), "120 ms");
        assert_eq!(duration(42.4), "42 s");
        assert_eq!(duration(185.0), "3 min 05 s");
        assert_eq!(duration(3720.0), "1 h 02 min");
    }

    #[test]
    fn timestamps_are_utc_calendar_dates() {
        assert_eq!(timestamp(0), "1970-01-01 00:00");
        assert_eq!(timestamp(1_795_862_400_000), "2026-11-28 10:40");
        assert_eq!(timestamp(951_782_400_000), "2000-02-29 00:00");
    }
}
