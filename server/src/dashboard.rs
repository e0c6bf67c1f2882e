//! The dashboard's files (the wasm bundle `scripts/build-dashboard.sh` writes), read once at
//! start, held in memory with a gzip copy, the build's brotli copy (`<file>.br`, checked to
//! decode to the file) when there is one, and an ETag; and the client routes the app answers.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use axum::body::Bytes;
use flate2::write::GzEncoder;
use flate2::Compression;
use md5::{Digest, Md5};

/// One file of the bundle.
#[derive(Debug)]
pub struct Asset {
    /// The file as it is on disk (shared, not copied, by every response).
    pub bytes: Bytes,
    /// The same, gzipped at the best level (served to clients that accept gzip).
    pub gzipped: Bytes,
    /// The same, brotli-compressed by the build (`<file>.br` beside it, when it decodes to
    /// exactly these bytes); served to clients that accept br: a quarter smaller than gzip
    /// for the wasm.
    pub brotli: Option<Bytes>,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// A strong ETag: the MD5 of the bytes, quoted.
    pub etag: String,
}

/// The bundle, or why there is none.
#[derive(Debug)]
pub struct Dashboard {
    dir: PathBuf,
    files: HashMap<String, Asset>,
    mismatched_copies: Vec<PathBuf>,
}

/// The page every client route answers with.
pub const INDEX: &str = "index.html";

/// The suffix of a file's brotli copy.
const BROTLI_SUFFIX: &str = ".br";

impl Dashboard {
    /// Reads every file directly inside `dir`, each `<file>.br` as the brotli copy of `<file>`
    /// when it decodes to that file (a stale or broken copy is left out and named in
    /// [`Dashboard::mismatched_copies`]).
    /// A missing directory gives an empty dashboard (the API still works; pages explain how
    /// to build the bundle).
    pub fn load(dir: &Path) -> std::io::Result<Dashboard> {
        let mut files = HashMap::new();
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Dashboard {
                    dir: dir.to_path_buf(),
                    files,
                    mismatched_copies: Vec::new(),
                })
            }
            Err(e) => return Err(e),
        };
        let mut brotli_copies = Vec::new();
        for entry in entries {
            let entry = entry?;
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if !entry.file_type()?.is_file() {
                continue;
            }
            if let Some(original) = name.strip_suffix(BROTLI_SUFFIX) {
                brotli_copies.push((original.to_owned(), entry.path()));
                continue;
            }
            let Some(content_type) = content_type(&name) else {
                continue;
            };
            let bytes = std::fs::read(entry.path())?;
            files.insert(name, Asset::new(bytes, content_type)?);
        }
        let mut mismatched_copies = Vec::new();
        for (original, copy) in brotli_copies {
            let Some(asset) = files.get_mut(&original) else {
                continue;
            };
            let compressed = std::fs::read(&copy)?;
            if decodes_to(&compressed, &asset.bytes) {
                asset.brotli = Some(Bytes::from(compressed));
            } else {
                mismatched_copies.push(copy);
            }
        }
        Ok(Dashboard {
            dir: dir.to_path_buf(),
            files,
            mismatched_copies,
        })
    }

    /// Brotli copies that do not decode to their file (left from an older build, or broken),
    /// which are not served.
    pub fn mismatched_copies(&self) -> &[PathBuf] {
        &self.mismatched_copies
    }

    /// Where the bundle was looked for.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether the bundle is there (its index page at least).
    pub fn is_built(&self) -> bool {
        self.files.contains_key(INDEX)
    }

    /// A file of the bundle by name.
    pub fn file(&self, name: &str) -> Option<&Asset> {
        self.files.get(name)
    }

    /// The bundle's files with their sizes `(name, bytes, gzipped, brotli)`, for the start-up
    /// log.
    pub fn sizes(&self) -> Vec<(&str, usize, usize, Option<usize>)> {
        let mut sizes: Vec<_> = self
            .files
            .iter()
            .map(|(name, a)| {
                let brotli = a.brotli.as_ref().map(Bytes::len);
                (name.as_str(), a.bytes.len(), a.gzipped.len(), brotli)
            })
            .collect();
        sizes.sort();
        sizes
    }
}

impl Asset {
    fn new(bytes: Vec<u8>, content_type: &'static str) -> std::io::Result<Asset> {
        let mut gz = GzEncoder::new(Vec::new(), Compression::best());
        gz.write_all(&bytes)?;
        let gzipped = gz.finish()?;
        let etag = format!("\"{:x}\"", Md5::digest(&bytes));
        Ok(Asset {
            bytes: Bytes::from(bytes),
            gzipped: Bytes::from(gzipped),
            brotli: None,
            content_type,
            etag,
        })
    }
}

/// Whether `compressed` is a brotli stream of exactly `original`.
fn decodes_to(compressed: &[u8], original: &[u8]) -> bool {
    let mut decoded = Vec::with_capacity(original.len());
    let mut decoder = brotli_decompressor::Decompressor::new(compressed, 64 << 10);
    decoder.read_to_end(&mut decoded).is_ok() && decoded == original
}

/// The media type of a bundle file by its extension; other files are not served.
fn content_type(name: &str) -> Option<&'static str> {
    let extension = name.rsplit_once('.')?.1;
    Some(match extension {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        _ => return None,
    })
}

/// Whether `path` is one of the app's pages (`/`, `/experiments/new`, `/experiments/:id`,
/// `/compare`, `/s/:token`, `/system`): those answer 200 with the app, any other path 404
/// with the app (which shows its not-found page).
pub fn is_client_route(path: &str) -> bool {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
    let plain = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    match segments.as_slice() {
        [] => true,
        ["experiments"] | ["compare"] | ["system"] => true,
        ["experiments", id] | ["s", id] => plain(id),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_of_the_app_is_a_client_route_and_nothing_else_is() {
        for path in [
            "/",
            "/experiments",
            "/experiments/new",
            "/experiments/e-1a2b",
            "/compare",
            "/system",
            "/s/0123abcd",
            "/compare/",
        ] {
            assert!(is_client_route(path), "{path}");
        }
        for path in [
            "/nope",
            "/experiments/a/b",
            "/s/",
            "/s/../x",
            "/assets/x.js",
            "/favicon.ico",
        ] {
            assert!(!is_client_route(path), "{path}");
        }
    }

    #[test]
    fn a_missing_bundle_loads_as_not_built_and_a_present_one_is_served_with_etags() {
        let dir = tempfile::tempdir().unwrap();
        let missing = Dashboard::load(&dir.path().join("absent")).unwrap();
        assert!(!missing.is_built());

        std::fs::write(
            dir.path().join("index.html"),
            "<!doctype html><title>x</title>",
        )
        .unwrap();
        std::fs::write(dir.path().join("app.wasm"), vec![0u8; 4096]).unwrap();
        std::fs::write(dir.path().join("notes.txt"), "not served").unwrap();
        let bundle = Dashboard::load(dir.path()).unwrap();
        assert!(bundle.is_built());
        let wasm = bundle.file("app.wasm").unwrap();
        assert_eq!(wasm.content_type, "application/wasm");
        assert!(
            wasm.gzipped.len() < 100,
            "4 KiB of zeros gzip to {} bytes",
            wasm.gzipped.len()
        );
        assert_eq!(wasm.etag.len(), 34);
        assert!(bundle.file("notes.txt").is_none());
    }

    #[test]
    fn a_brotli_copy_is_served_only_when_it_decodes_to_its_file() {
        // `printf distill | brotli --best`.
        const BROTLI_OF_DISTILL: [u8; 11] = [
            0x1f, 0x06, 0x00, 0xf8, 0xa5, 0xc8, 0xd2, 0x62, 0x92, 0x80, 0x43,
        ];
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("app.js"), "distill").unwrap();
        std::fs::write(dir.path().join("app.js.br"), BROTLI_OF_DISTILL).unwrap();
        std::fs::write(dir.path().join("orphan.css.br"), BROTLI_OF_DISTILL).unwrap();
        let bundle = Dashboard::load(dir.path()).unwrap();
        let served = bundle.file("app.js").unwrap().brotli.as_deref();
        assert_eq!(served, Some(&BROTLI_OF_DISTILL[..]));
        assert!(bundle.file("app.js.br").is_none(), "a copy is not a file");
        assert!(bundle.file("orphan.css").is_none());
        assert!(bundle.mismatched_copies().is_empty());

        // The file rebuilt, its copy not: the copy is left out.
        std::fs::write(dir.path().join("app.js"), "distill lab").unwrap();
        let bundle = Dashboard::load(dir.path()).unwrap();
        assert!(bundle.file("app.js").unwrap().brotli.is_none());
        assert_eq!(bundle.mismatched_copies(), [dir.path().join("app.js.br")]);
    }
}
