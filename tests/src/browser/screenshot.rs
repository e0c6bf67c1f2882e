//! Full-page screenshots of what a test saw, saved under `<target>/screenshots/`.

use std::path::PathBuf;

use serde_json::json;

use super::Browser;

impl Browser {
    /// Saves a screenshot of the whole page as `<target>/screenshots/<name>.png`.
    pub fn screenshot(&self, name: &str) -> PathBuf {
        let height = self
            .execute(
                "window.scrollTo(0, 0); return document.documentElement.scrollHeight + 120;",
                json!([]),
            )
            .as_u64()
            .unwrap_or(1000)
            .clamp(600, 8000);
        let _ = self.try_command(
            "POST",
            "/window/rect",
            Some(json!({"width": 1400, "height": height})),
        );
        let png = self.command("GET", "/screenshot", None);
        let _ = self.try_command(
            "POST",
            "/window/rect",
            Some(json!({"width": 1400, "height": 1000})),
        );
        let bytes = decode_base64(png.as_str().expect("base64 PNG"));
        let path = screenshots_dir().join(format!("{name}.png"));
        std::fs::write(&path, bytes).expect("write the screenshot");
        path
    }
}

/// `<target>/screenshots`, next to the profile directory the tests run from.
pub fn screenshots_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let target = exe
        .ancestors()
        .nth(3)
        .expect("target/<profile>/deps/<test>")
        .to_path_buf();
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).expect("create the screenshots directory");
    dir
}

/// Standard base64 (WebDriver's screenshot encoding).
fn decode_base64(text: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => (c - b'A') as u32,
            b'a'..=b'z' => (c - b'a' + 26) as u32,
            b'0'..=b'9' => (c - b'0' + 52) as u32,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {c}"),
        }
    };
    let clean: Vec<u8> = text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
        .collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for chunk in clean.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &c)| acc | value(c) << (18 - 6 * i));
        out.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::decode_base64;

    #[test]
    fn base64_decodes_with_and_without_padding() {
        assert_eq!(decode_base64("aGVsbG8="), b"hello");
        assert_eq!(decode_base64("aGVsbG8h"), b"hello!");
        assert_eq!(decode_base64("aA=="), b"h");
    }
}
