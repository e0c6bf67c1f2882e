//! Where runs' checkpoints and trained models live, so that whichever worker needs one (a
//! student's worker loads its teacher; a run taken over resumes) and the server's model download
//! reach it.
//!
//! Runs always train in a directory of their own under the local checkpoint root
//! (`--checkpoints`). Without `--artifacts` that directory is the only copy, and machines share
//! it by mounting the same directory at the same path (NFS). With `--artifacts
//! s3://bucket/prefix` (any S3-compatible store, through the `object_store` crate, configured by
//! the usual `AWS_*` variables) the local directories are caches of the store: a checkpoint is
//! pushed after every epoch, a trained model before its run is marked succeeded, and a process
//! pulls what its cache lacks when it claims a run, loads a teacher or serves a download. A run's
//! objects are under `<prefix>/<its directory's name>/`, the name being `<run id>-<fingerprint>`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use engine::train::{Checkpoint, CheckpointError, Progress, MODEL_FILE, ONNX_FILE};
use futures_util::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

#[cfg(test)]
mod tests;

/// A finished run's model file: a net's weights, or an imported ONNX teacher's graph (a run
/// directory holds one of them).
const MODEL_FILES: [&str; 2] = [MODEL_FILE, ONNX_FILE];

/// Why an artifact could not be stored or fetched.
#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    /// `--artifacts` is not a location this build can use.
    #[error("--artifacts {url}: {message}")]
    Location {
        /// What was given.
        url: String,
        /// What is wrong with it.
        message: String,
    },
    /// The object store refused or could not be reached (after `object_store`'s own retries).
    #[error("{what} ({url}): {source}")]
    Remote {
        /// What was being done, naming the object.
        what: String,
        /// The store's location.
        url: String,
        /// The store's error.
        source: object_store::Error,
    },
    /// A local file could not be read or written.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A checkpoint's `progress.json` is unreadable.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// The model is in neither place.
    #[error("the model is neither in {} nor in {remote}", .local.display())]
    NoModel {
        /// Where it was looked for on this machine.
        local: PathBuf,
        /// The object store, or that there is none.
        remote: String,
    },
}

/// The checkpoint root of this process, and the object store it caches, if any.
#[derive(Debug, Clone)]
pub struct Artifacts {
    root: PathBuf,
    remote: Option<Remote>,
}

/// An object store and the prefix under which run directories are kept.
#[derive(Debug, Clone)]
struct Remote {
    url: String,
    store: Arc<dyn ObjectStore>,
    prefix: ObjectPath,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ArtifactError + '_ {
    move |source| ArtifactError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The last component of a path: a run directory's name, or a file's.
fn last_component(dir: &Path) -> String {
    dir.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

impl Artifacts {
    /// Checkpoints in `root`, caching the object store at `url` when given (`s3://bucket` or
    /// `s3://bucket/prefix`; credentials, region and endpoint from the `AWS_*` variables).
    pub fn open(root: PathBuf, url: Option<&str>) -> Result<Artifacts, ArtifactError> {
        let remote = url
            .map(|url| Remote::open(url, AmazonS3Builder::from_env()))
            .transpose()?;
        Ok(Artifacts { root, remote })
    }

    /// The local checkpoint root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where artifacts are kept, for logs and `/api/system`.
    pub fn location(&self) -> String {
        match &self.remote {
            Some(remote) => format!("{} (cached in {})", remote.url, self.root.display()),
            None => self.root.display().to_string(),
        }
    }

    /// Fails unless the object store answers (a listing of the prefix), so that a wrong bucket,
    /// endpoint or credentials stop `serve` and `worker` at startup, not a run later.
    pub async fn check(&self) -> Result<(), ArtifactError> {
        let Some(remote) = &self.remote else {
            return Ok(());
        };
        remote
            .store
            .list_with_delimiter(Some(&remote.prefix))
            .await
            .map(|_| ())
            .map_err(|source| remote.error("listing the artifact prefix", source))
    }

    /// The directory on this machine where the run whose model directory is `model_dir` (as a
    /// store row names it: the path on the machine that trained it) has, or gets, its files:
    /// that path itself without an object store, else the directory of that name in this
    /// machine's cache (another machine's path means nothing here).
    fn local_dir(&self, model_dir: &str) -> PathBuf {
        match &self.remote {
            None => PathBuf::from(model_dir),
            Some(_) => self.root.join(last_component(Path::new(model_dir))),
        }
    }

    /// Whether the trained model of `model_dir` is on this machine or in the object store.
    pub async fn has_model(&self, model_dir: &str) -> Result<bool, ArtifactError> {
        let dir = self.local_dir(model_dir);
        if MODEL_FILES.iter().any(|file| dir.join(file).is_file()) {
            return Ok(true);
        }
        let Some(remote) = &self.remote else {
            return Ok(false);
        };
        for file in MODEL_FILES {
            if remote.exists(&last_component(&dir), file).await? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// A local directory holding the trained model of `model_dir`, fetched from the object
    /// store into this machine's cache when it is not here.
    pub async fn fetch_model(&self, model_dir: &str) -> Result<PathBuf, ArtifactError> {
        let dir = self.local_dir(model_dir);
        if !MODEL_FILES.iter().any(|file| dir.join(file).is_file()) {
            let (file, bytes) = self.remote_model(&dir).await?;
            write_atomically(&dir.join(file), &bytes).await?;
        }
        Ok(dir)
    }

    /// The trained model's bytes (its weights, or an ONNX teacher's graph), from this machine
    /// or straight from the object store.
    pub async fn model_bytes(&self, model_dir: &str) -> Result<Bytes, ArtifactError> {
        let dir = self.local_dir(model_dir);
        for file in MODEL_FILES {
            let local = dir.join(file);
            match tokio::fs::read(&local).await {
                Ok(bytes) => return Ok(bytes.into()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io(&local)(e)),
            }
        }
        Ok(self.remote_model(&dir).await?.1)
    }

    /// The model file of the run directory `dir` from the object store, and its name.
    async fn remote_model(&self, dir: &Path) -> Result<(&'static str, Bytes), ArtifactError> {
        if let Some(remote) = &self.remote {
            for file in MODEL_FILES {
                if let Some(bytes) = remote.get(&last_component(dir), file).await? {
                    return Ok((file, bytes));
                }
            }
        }
        Err(ArtifactError::NoModel {
            local: dir.join(MODEL_FILE),
            remote: match &self.remote {
                Some(remote) => remote.url.clone(),
                None => "an object store (none is configured: --artifacts)".into(),
            },
        })
    }

    /// Pushes the checkpoint in `dir` (as the last finished epoch left it) to the object store:
    /// the files a resume needs, then `progress.json`, then removes the older epochs' objects.
    /// Nothing to do without a store.
    pub async fn push_checkpoint(&self, dir: &Path) -> Result<(), ArtifactError> {
        let Some(remote) = &self.remote else {
            return Ok(());
        };
        let checkpoint = Checkpoint::at(dir);
        let progress_path = checkpoint.progress_path();
        let progress = tokio::fs::read(&progress_path)
            .await
            .map_err(io(&progress_path))?;
        let epochs_done = Progress::from_json(&progress, &progress_path)?.epochs_done;
        let name = last_component(dir);
        let mut kept = vec![last_component(&progress_path)];
        kept.extend(MODEL_FILES.map(String::from));
        let optional = checkpoint
            .optional_resume_files(epochs_done)
            .into_iter()
            .filter(|file| file.exists());
        for file in checkpoint
            .resume_files(epochs_done)
            .into_iter()
            .chain(optional)
        {
            remote
                .put(&name, &last_component(&file), read_file(&file).await?)
                .await?;
            kept.push(last_component(&file));
        }
        remote
            .put(&name, &last_component(&progress_path), progress.into())
            .await?;
        remote
            .remove(&name, |file| !kept.iter().any(|k| k == file))
            .await
    }

    /// Pushes the trained model in `dir` to the object store (before its run is marked
    /// succeeded, so that a student claimed anywhere finds it).
    pub async fn push_model(&self, dir: &Path) -> Result<(), ArtifactError> {
        let Some(remote) = &self.remote else {
            return Ok(());
        };
        let file = MODEL_FILES
            .into_iter()
            .find(|file| dir.join(file).is_file())
            .unwrap_or(MODEL_FILE);
        let path = dir.join(file);
        remote
            .put(&last_component(dir), file, read_file(&path).await?)
            .await
    }

    /// Brings the checkpoint in `dir` up to the object store's when the store's has more
    /// finished epochs (the run was trained further on another machine). Returns the epochs of
    /// the checkpoint pulled, None when this machine's was as far or the store has none.
    pub async fn pull_checkpoint(&self, dir: &Path) -> Result<Option<usize>, ArtifactError> {
        let Some(remote) = &self.remote else {
            return Ok(None);
        };
        let checkpoint = Checkpoint::at(dir);
        let progress_path = checkpoint.progress_path();
        let name = last_component(dir);
        let Some(progress) = remote.get(&name, &last_component(&progress_path)).await? else {
            return Ok(None);
        };
        let theirs = Progress::from_json(&progress, &progress_path)?.epochs_done;
        let ours = checkpoint.saved_progress()?.map_or(0, |p| p.epochs_done);
        if theirs <= ours {
            return Ok(None);
        }
        let files = checkpoint.resume_files(theirs);
        for file in files
            .iter()
            .chain(&checkpoint.optional_resume_files(theirs))
        {
            if let Some(bytes) = remote.get(&name, &last_component(file)).await? {
                write_atomically(file, &bytes).await?;
            }
        }
        write_atomically(&progress_path, &progress).await?;
        Ok(Some(theirs))
    }

    /// Puts `bytes` as the object `file` of the store's directory `dir`; nothing to do without
    /// a store.
    pub async fn put_object(
        &self,
        dir: &str,
        file: &str,
        bytes: Bytes,
    ) -> Result<(), ArtifactError> {
        match &self.remote {
            Some(remote) => remote.put(dir, file, bytes.into()).await,
            None => Ok(()),
        }
    }

    /// The object `file` of the store's directory `dir`; `None` when it or the store is absent.
    pub async fn get_object(&self, dir: &str, file: &str) -> Result<Option<Bytes>, ArtifactError> {
        match &self.remote {
            Some(remote) => remote.get(dir, file).await,
            None => Ok(None),
        }
    }

    /// Whether there is an object store.
    pub fn is_shared(&self) -> bool {
        self.remote.is_some()
    }

    /// Deletes a run's directory here and its objects in the store.
    pub async fn remove(&self, model_dir: &str) -> Result<(), ArtifactError> {
        let dir = self.local_dir(model_dir);
        match tokio::fs::remove_dir_all(&dir).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(&dir)(e)),
            _ => {}
        }
        match &self.remote {
            Some(remote) => remote.remove(&last_component(&dir), |_| true).await,
            None => Ok(()),
        }
    }
}

async fn read_file(path: &Path) -> Result<PutPayload, ArtifactError> {
    let bytes = tokio::fs::read(path).await.map_err(io(path))?;
    Ok(bytes.into())
}

/// Writes `bytes` to `path` through a temporary file renamed into place, so a reader never sees
/// half a file.
async fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), ArtifactError> {
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir).await.map_err(io(dir))?;
    }
    let partial = path.with_extension("part");
    tokio::fs::write(&partial, bytes)
        .await
        .map_err(io(&partial))?;
    tokio::fs::rename(&partial, path).await.map_err(io(path))
}

impl Remote {
    /// The store at `url`, the rest of its configuration from `builder`.
    fn open(url: &str, builder: AmazonS3Builder) -> Result<Remote, ArtifactError> {
        let refuse = |message: String| ArtifactError::Location {
            url: url.to_string(),
            message,
        };
        let rest = url.strip_prefix("s3://").ok_or_else(|| {
            refuse("only s3:// locations are supported (S3 or an S3-compatible store); for a shared directory use --checkpoints".into())
        })?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(refuse("the bucket is missing: s3://BUCKET[/PREFIX]".into()));
        }
        let prefix = ObjectPath::parse(prefix.trim_end_matches('/'))
            .map_err(|e| refuse(format!("the prefix is not a valid object path: {e}")))?;
        // object_store's HTTP client uses rustls without a built-in provider: ring signs and
        // encrypts (it is in the dependency tree already). Installing twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let store = builder
            .with_bucket_name(bucket)
            .build()
            .map_err(|e| refuse(e.to_string()))?;
        Ok(Remote {
            url: url.to_string(),
            store: Arc::new(store),
            prefix,
        })
    }

    fn path(&self, dir: &str, file: &str) -> ObjectPath {
        self.prefix.clone().join(dir).join(file)
    }

    fn error(&self, what: impl Into<String>, source: object_store::Error) -> ArtifactError {
        ArtifactError::Remote {
            what: what.into(),
            url: self.url.clone(),
            source,
        }
    }

    async fn exists(&self, dir: &str, file: &str) -> Result<bool, ArtifactError> {
        let path = self.path(dir, file);
        match self.store.head(&path).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(self.error(format!("looking for {path}"), e)),
        }
    }

    /// The object's bytes; None when there is no such object.
    async fn get(&self, dir: &str, file: &str) -> Result<Option<Bytes>, ArtifactError> {
        let path = self.path(dir, file);
        let fetched = async { self.store.get(&path).await?.bytes().await };
        match fetched.await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.error(format!("fetching {path}"), e)),
        }
    }

    async fn put(&self, dir: &str, file: &str, bytes: PutPayload) -> Result<(), ArtifactError> {
        let path = self.path(dir, file);
        self.store
            .put(&path, bytes)
            .await
            .map(|_| ())
            .map_err(|e| self.error(format!("storing {path}"), e))
    }

    /// Deletes the objects of run directory `dir` whose file name `doomed` accepts.
    async fn remove(&self, dir: &str, doomed: impl Fn(&str) -> bool) -> Result<(), ArtifactError> {
        let prefix = self.prefix.clone().join(dir);
        let listing = self
            .store
            .list(Some(&prefix))
            .try_collect::<Vec<_>>()
            .await
            .map_err(|e| self.error(format!("listing {prefix}"), e))?;
        for object in listing {
            if object.location.filename().is_some_and(&doomed) {
                self.store
                    .delete(&object.location)
                    .await
                    .map_err(|e| self.error(format!("deleting {}", object.location), e))?;
            }
        }
        Ok(())
    }
}
