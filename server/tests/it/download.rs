//! Dataset downloads against a local HTTP server: checksum verification and unpacking of
//! `.tar.gz` archives, as `distill data fetch` does them.

use std::collections::HashMap;

use distill_server::download::{fetch, DownloadError};
use distill_tests::serve_files;
use engine::data::RemoteFile;
use md5::{Digest, Md5};

fn md5_hex(bytes: &[u8]) -> String {
    format!("{:x}", Md5::digest(bytes))
}

fn tar_gz(name: &str, contents: &[u8]) -> Vec<u8> {
    let encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut builder = tar::Builder::new(encoder);
    let mut header = tar::Header::new_gnu();
    header.set_size(contents.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    builder.append_data(&mut header, name, contents).unwrap();
    builder.into_inner().unwrap().finish().unwrap()
}

#[test]
fn a_file_with_the_published_checksum_is_downloaded_and_kept() {
    let body = vec![42u8; 300_000];
    let base = serve_files(HashMap::from([("/data.bin".to_string(), body.clone())]));
    let dir = tempfile::tempdir().unwrap();
    let file = RemoteFile {
        url: format!("{base}/data.bin"),
        md5: md5_hex(&body),
        unpack: false,
    };
    let path = fetch(&file, dir.path(), false).expect("download succeeds");
    assert_eq!(std::fs::read(path).unwrap(), body);
}

#[test]
fn an_archive_is_unpacked_into_the_dataset_directory() {
    let archive = tar_gz("cifar-10-batches-bin/readme.txt", b"hello");
    let base = serve_files(HashMap::from([(
        "/set.tar.gz".to_string(),
        archive.clone(),
    )]));
    let dir = tempfile::tempdir().unwrap();
    let file = RemoteFile {
        url: format!("{base}/set.tar.gz"),
        md5: md5_hex(&archive),
        unpack: true,
    };
    fetch(&file, dir.path(), false).expect("download succeeds");
    assert_eq!(
        std::fs::read(dir.path().join("cifar-10-batches-bin/readme.txt")).unwrap(),
        b"hello"
    );
}

#[test]
fn a_checksum_mismatch_is_an_error_and_leaves_no_file() {
    let base = serve_files(HashMap::from([(
        "/data.bin".to_string(),
        b"tampered".to_vec(),
    )]));
    let dir = tempfile::tempdir().unwrap();
    let file = RemoteFile {
        url: format!("{base}/data.bin"),
        md5: md5_hex(b"original"),
        unpack: false,
    };
    match fetch(&file, dir.path(), false) {
        Err(DownloadError::Checksum {
            expected, actual, ..
        }) => {
            assert_eq!(expected, md5_hex(b"original"));
            assert_eq!(actual, md5_hex(b"tampered"));
        }
        other => panic!("expected a checksum error, got {other:?}"),
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn a_missing_file_is_an_http_error_naming_the_url() {
    let base = serve_files(HashMap::new());
    let dir = tempfile::tempdir().unwrap();
    let file = RemoteFile {
        url: format!("{base}/nope.bin"),
        md5: md5_hex(b""),
        unpack: false,
    };
    let err = fetch(&file, dir.path(), false).unwrap_err();
    assert!(matches!(err, DownloadError::Http { .. }), "{err:?}");
    assert!(err.to_string().contains("/nope.bin"), "{err}");
}
