//! What a registration reads: a folder, an archive of one (unpacked into the work folder) or
//! an `.npz`, told apart by what the path is and by its first bytes, not by its name.

use std::path::Path;

use super::archive::{self, ArchiveFormat};
use super::conform::Decoded;
use super::{arrays, folder, RegisterError, Registration};

/// What kind of source `path` is, from what it is (a folder) or its first bytes.
pub(super) enum SourceKind {
    Folder,
    Npz,
    Archive(ArchiveFormat),
}

fn sniff(path: &Path) -> Result<SourceKind, RegisterError> {
    if path.is_dir() {
        return Ok(SourceKind::Folder);
    }
    let label = path.display().to_string();
    let mut head = [0u8; 512];
    let read = {
        use std::io::Read;
        let mut file = std::fs::File::open(path)
            .map_err(|e| RegisterError::invalid(&label, format!("cannot be opened: {e}")))?;
        let mut n = 0;
        while n < head.len() {
            match file.read(&mut head[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) => {
                    return Err(RegisterError::invalid(
                        &label,
                        format!("cannot be read: {e}"),
                    ))
                }
            }
        }
        n
    };
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        let zip = std::fs::File::open(path)
            .ok()
            .and_then(|f| zip::ZipArchive::new(f).ok());
        let is_npz =
            zip.is_some_and(|z| z.file_names().any(|n| n.is_ok_and(|n| n == "x_train.npy")));
        return Ok(if is_npz {
            SourceKind::Npz
        } else {
            SourceKind::Archive(ArchiveFormat::Zip)
        });
    }
    if head.starts_with(&[0x1f, 0x8b]) {
        return Ok(SourceKind::Archive(ArchiveFormat::TarGz));
    }
    if read >= 262 && &head[257..262] == b"ustar" {
        return Ok(SourceKind::Archive(ArchiveFormat::Tar));
    }
    Err(RegisterError::invalid(
        label,
        "is neither a folder, a .zip/.tar/.tar.gz of an image folder, nor an .npz of arrays",
    ))
}

/// Decodes the source into images; returns them with a description of the format.
pub(super) fn decode_source(
    request: &Registration,
    work: &Path,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<(Decoded, String), RegisterError> {
    match sniff(&request.source)? {
        SourceKind::Folder => Ok((
            folder::read(&request.source, progress)?,
            "image folder".into(),
        )),
        SourceKind::Npz => {
            let arrays = arrays::read(&request.source, request.max_bytes)?;
            Ok((arrays.decoded, format!(".npz, {}", arrays.layout)))
        }
        SourceKind::Archive(format) => {
            let unpacked = work.join("unpacked");
            archive::unpack(&request.source, format, &unpacked, request.max_bytes)?;
            let name = match format {
                ArchiveFormat::Zip => "zip",
                ArchiveFormat::Tar => "tar",
                ArchiveFormat::TarGz => "tar.gz",
            };
            Ok((
                folder::read(&unpacked, progress)?,
                format!("image folder in a {name}"),
            ))
        }
    }
}
