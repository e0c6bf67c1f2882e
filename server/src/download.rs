//! Downloading dataset files with a progress bar, verifying their MD5 checksums and unpacking
//! `.tar.gz` archives. A file is only kept under its final name once its checksum matched.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use engine::data::RemoteFile;
use indicatif::{ProgressBar, ProgressStyle};
use md5::{Digest, Md5};

/// Why a download failed.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    /// The server could not be reached or answered with an error.
    #[error("downloading {url}: {message}")]
    Http {
        /// The URL.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// The file arrived but is not the published one.
    #[error(
        "{url}: checksum mismatch (MD5 {actual}, expected {expected}); the file was discarded"
    )]
    Checksum {
        /// The URL.
        url: String,
        /// Published MD5.
        expected: String,
        /// MD5 of what arrived.
        actual: String,
    },
    /// Writing or unpacking failed.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> DownloadError + '_ {
    move |source| DownloadError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The file name a URL points to.
pub fn file_name(url: &str) -> &str {
    url.rsplit('/').next().unwrap_or(url)
}

/// Downloads `file` into `dir` (skipping it when a file with the right checksum is already
/// there), verifies it and unpacks archives. Returns the downloaded file's path.
pub fn fetch(file: &RemoteFile, dir: &Path, show_progress: bool) -> Result<PathBuf, DownloadError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let target = dir.join(file_name(&file.url));
    if target.is_file() && md5_of(&target)? == file.md5 {
        eprintln!("{}: already present, checksum ok", target.display());
    } else {
        download(file, &target, show_progress)?;
    }
    if file.unpack {
        unpack(&target, dir)?;
    }
    Ok(target)
}

fn md5_of(path: &Path) -> Result<String, DownloadError> {
    let mut hasher = Md5::new();
    let mut reader = std::fs::File::open(path).map_err(io(path))?;
    std::io::copy(&mut reader, &mut hasher).map_err(io(path))?;
    Ok(format!("{:x}", hasher.finalize()))
}

fn download(file: &RemoteFile, target: &Path, show_progress: bool) -> Result<(), DownloadError> {
    let http = |message: String| DownloadError::Http {
        url: file.url.clone(),
        message,
    };
    let mut response = ureq::get(&file.url)
        .call()
        .map_err(|e| http(e.to_string()))?;
    let length = response
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let bar = if show_progress {
        ProgressBar::new(length.unwrap_or(0))
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar.set_message(file_name(&file.url).to_string());
    let partial = target.with_extension("part");
    let mut out = std::fs::File::create(&partial).map_err(io(&partial))?;
    let mut hasher = Md5::new();
    let mut reader = response.body_mut().as_reader();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let n = reader.read(&mut buffer).map_err(|e| http(e.to_string()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        out.write_all(&buffer[..n]).map_err(io(&partial))?;
        bar.inc(n as u64);
    }
    bar.finish_and_clear();
    drop(out);
    let actual = format!("{:x}", hasher.finalize());
    if actual != file.md5 {
        let _ = std::fs::remove_file(&partial);
        return Err(DownloadError::Checksum {
            url: file.url.clone(),
            expected: file.md5.clone(),
            actual,
        });
    }
    std::fs::rename(&partial, target).map_err(io(target))
}

fn unpack(archive: &Path, dir: &Path) -> Result<(), DownloadError> {
    let file = std::fs::File::open(archive).map_err(io(archive))?;
    tar::Archive::new(flate2::read::GzDecoder::new(file))
        .unpack(dir)
        .map_err(io(archive))
}
