//! How the server serves the dashboard over plain HTTP: every client route answers the app
//! (deep links and reloads work), other paths a 404 with the app, assets with their types,
//! brotli or gzip and ETags, and a clear page when the bundle was not built.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

use distill_tests::Server;
use flate2::read::GzDecoder;

/// A response read off the wire: status, headers (lower-case names), body as sent.
struct Raw {
    status: u16,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

/// `method path` with `headers`, over a fresh HTTP/1.1 connection.
fn raw(server: &Server, method: &str, path: &str, headers: &[(&str, &str)]) -> Raw {
    let address = server.url("").trim_start_matches("http://").to_string();
    let mut stream = TcpStream::connect(&address).expect("connect");
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\n");
    for (name, value) in headers {
        request += &format!("{name}: {value}\r\n");
    }
    stream
        .write_all(format!("{request}\r\n").as_bytes())
        .unwrap();
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).unwrap();
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header block");
    let head = String::from_utf8_lossy(&bytes[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_string()))
        .collect();
    Raw {
        status,
        headers,
        body: bytes[split + 4..].to_vec(),
    }
}

/// `bytes` decompressed by the `brotli` command (which the build uses to compress them).
fn brotli_decompress(bytes: &[u8]) -> Vec<u8> {
    let mut child = Command::new("brotli")
        .args(["--decompress", "--stdout"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("brotli is installed (scripts/setup.sh)");
    let mut stdin = child.stdin.take().unwrap();
    let input = bytes.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(output.status.success(), "not brotli");
    output.stdout
}

#[test]
fn every_page_of_the_app_answers_with_the_app_and_unknown_pages_with_a_404() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), &[]);
    let index = server.get("/");
    assert_eq!(
        index.status, 200,
        "the bundle is built (scripts/build-dashboard.sh): {}",
        index.text
    );
    for path in [
        "/",
        "/experiments/new",
        "/experiments/0123abcd",
        "/compare?runs=a,b",
        "/s/0f0f",
        "/system",
    ] {
        let page = server.get(path);
        assert_eq!(
            (page.status, page.content_type.as_str()),
            (200, "text/html; charset=utf-8"),
            "{path}"
        );
        assert_eq!(page.text, index.text, "{path} is the app");
    }
    let unknown = server.get("/no/such/page");
    assert_eq!(unknown.status, 404);
    assert_eq!(
        unknown.text, index.text,
        "the app shows its own not-found page"
    );

    let api = server.get("/api/no-such-route");
    assert_eq!(
        (api.status, api.json["error"]["code"].as_str()),
        (404, Some("no_such_route"))
    );
    let missing = server.get("/assets/nope.js");
    assert_eq!(
        (missing.status, missing.json["error"]["code"].as_str()),
        (404, Some("no_such_asset"))
    );
    let post = server.send("POST", "/experiments/new", Some("application/json"), b"{}");
    assert_eq!(post.status, 405);
}

#[test]
fn assets_are_served_compressed_with_their_type_and_revalidated_by_etag() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), &[]);
    let plain = raw(&server, "GET", "/assets/distill_bg.wasm", &[]);
    assert_eq!(plain.status, 200);
    assert_eq!(plain.headers["content-type"], "application/wasm");
    assert_eq!(&plain.body[..4], b"\0asm");
    assert!(!plain.headers.contains_key("content-encoding"));

    let gzipped = raw(
        &server,
        "GET",
        "/assets/distill_bg.wasm",
        &[("accept-encoding", "gzip, br;q=0")],
    );
    assert_eq!(gzipped.headers["content-encoding"], "gzip");
    let mut unzipped = Vec::new();
    GzDecoder::new(&gzipped.body[..])
        .read_to_end(&mut unzipped)
        .unwrap();
    assert_eq!(unzipped, plain.body, "gzipped once, not twice");
    assert!(
        gzipped.body.len() < plain.body.len() / 2,
        "gzip at least halves the wasm"
    );

    // The build's brotli copy, to browsers that accept it (every current one does).
    let brotli = raw(
        &server,
        "GET",
        "/assets/distill_bg.wasm",
        &[("accept-encoding", "gzip, deflate, br, zstd")],
    );
    assert_eq!(
        brotli.headers["content-encoding"], "br",
        "the build writes distill_bg.wasm.br when `brotli` is installed (scripts/setup.sh)"
    );
    assert_eq!(brotli_decompress(&brotli.body), plain.body);
    assert!(
        brotli.body.len() < gzipped.body.len(),
        "brotli ({}) beats gzip ({})",
        brotli.body.len(),
        gzipped.body.len()
    );

    let etag = plain.headers["etag"].clone();
    let again = raw(
        &server,
        "GET",
        "/assets/distill_bg.wasm",
        &[("if-none-match", &etag)],
    );
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    for (asset, media) in [
        ("distill.js", "text/javascript"),
        ("style.css", "text/css"),
        ("favicon.svg", "image/svg+xml"),
    ] {
        let response = raw(&server, "GET", &format!("/assets/{asset}"), &[]);
        assert_eq!(response.status, 200, "{asset}");
        assert!(
            response.headers["content-type"].starts_with(media),
            "{asset}"
        );
    }
}

#[test]
fn without_a_bundle_pages_say_how_to_build_it_and_the_api_still_works() {
    let dir = tempfile::tempdir().unwrap();
    let absent = dir.path().join("no-bundle");
    let server = Server::start_in(dir.path(), &["--dashboard", absent.to_str().unwrap()]);
    let page = server.get("/experiments/new");
    assert_eq!(page.status, 503);
    assert!(
        page.text.contains("scripts/build-dashboard.sh"),
        "{}",
        page.text
    );
    assert_eq!(server.get("/api/health").status, 200);
}
