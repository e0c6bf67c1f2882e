//! A request body streamed to a hidden file under a size cap (dataset uploads), answered only
//! once the body is read, so that a client still sending sees the answer, not a reset.

use std::path::{Path, PathBuf};

use axum::body::Body;
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

use super::ApiError;

/// An uploaded body on disk, removed when dropped.
pub struct Upload(PathBuf);

impl Upload {
    /// Streams `body` into a hidden file of `root`, refusing it past `cap` bytes.
    pub async fn receive(root: &Path, body: Body, cap: u64) -> Result<Upload, ApiError> {
        tokio::fs::create_dir_all(root)
            .await
            .map_err(|e| ApiError::internal(format!("cannot create {}: {e}", root.display())))?;
        let upload = Upload(root.join(format!(".upload-{}", crate::ids::new_id())));
        let mut file = tokio::fs::File::create(&upload.0)
            .await
            .map_err(|e| ApiError::internal(format!("cannot store the upload: {e}")))?;
        let mut stream = body.into_data_stream();
        let mut received: u64 = 0;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| {
                ApiError::bad_parameter("body", format!("the upload was interrupted: {e}"))
            })?;
            received += chunk.len() as u64;
            if received > cap {
                return Err(Upload::refuse_rest(stream, received, cap).await);
            }
            file.write_all(&chunk)
                .await
                .map_err(|e| ApiError::internal(format!("cannot store the upload: {e}")))?;
        }
        file.flush()
            .await
            .map_err(|e| ApiError::internal(format!("cannot store the upload: {e}")))?;
        if received == 0 {
            return Err(ApiError::invalid_field(
                "body",
                "is empty: send the archive or .npz as the request body",
            ));
        }
        Ok(upload)
    }
}

impl Upload {
    /// The 413 of an upload past `cap`, after reading (and dropping) what follows, up to four
    /// times the cap, so that a client still sending gets the answer rather than a reset.
    async fn refuse_rest(
        mut stream: axum::body::BodyDataStream,
        mut received: u64,
        cap: u64,
    ) -> ApiError {
        while received <= cap.saturating_mul(4) {
            match stream.next().await {
                Some(Ok(chunk)) => received += chunk.len() as u64,
                _ => break,
            }
        }
        ApiError::upload_too_large(format!(
            "the upload is larger than this server's {} MiB cap (--max-upload-mb)",
            cap >> 20
        ))
    }
}

impl Upload {
    /// Where the body is on disk.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
