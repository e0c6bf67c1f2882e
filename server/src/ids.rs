//! Identifiers: random hex ids for experiments and runs (64 bits), share tokens (128 bits),
//! secrets (owner, API tokens, sessions: 256 bits).

/// `bytes` random bytes from the operating system, as lowercase hex.
fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("the operating system provides randomness");
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new experiment or run id: 16 hex digits.
pub fn new_id() -> String {
    random_hex(8)
}

/// A new share token: 32 hex digits (128 random bits).
pub fn new_token() -> String {
    random_hex(16)
}

/// A new owner secret or API token secret: 64 hex digits (256 random bits).
pub fn new_secret() -> String {
    random_hex(32)
}

fn is_hex(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Whether `text` could be an id this server made.
pub fn is_id(text: &str) -> bool {
    is_hex(text, 16)
}

/// Whether `text` could be a share token this server made.
pub fn is_token(text: &str) -> bool {
    is_hex(text, 32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_ids_and_tokens_are_recognised_and_differ() {
        let (a, b) = (new_id(), new_id());
        assert!(is_id(&a) && is_id(&b) && a != b);
        assert!(is_token(&new_token()));
        assert!(!is_id("../etc/passwd") && !is_token(&a));
    }
}
