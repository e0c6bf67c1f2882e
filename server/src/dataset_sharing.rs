//! Registered datasets across machines. With an object store (`--artifacts`) the server puts a
//! registered dataset's folder (the lab's compact form, [`STORED_FILES`]) under
//! `<prefix>/dataset-<name>/` when an experiment on it is submitted, unless the store already
//! holds that version; a worker that lacks the dataset, or holds another version of the name,
//! fetches it from there before it trains, checked against the manifest's checksum. Without a
//! store, machines share datasets through a shared data directory (`--data-dir` on an NFS
//! mount, like `--checkpoints`).

use api::{DatasetManifest, DatasetName};
use engine::data::registry::{Registry, STORED_FILES};
use engine::data::DataDirs;

use crate::artifacts::Artifacts;

/// The store directory of a dataset (run directories are `<id>-<fingerprint>`: no clash).
fn store_dir(name: &DatasetName) -> String {
    format!("dataset-{name}")
}

/// The registry of dataset `name` when its versions travel through the object store: a
/// registered dataset, an object store, a data directory; `None` otherwise.
fn travelling(artifacts: &Artifacts, dirs: &DataDirs, name: &DatasetName) -> Option<Registry> {
    (name.builtin().is_none() && artifacts.is_shared())
        .then(|| dirs.registry())
        .flatten()
}

/// Puts registered dataset `name` into the object store unless it holds this version already.
pub async fn share(
    artifacts: &Artifacts,
    dirs: &DataDirs,
    name: &DatasetName,
) -> Result<(), String> {
    let Some(registry) = travelling(artifacts, dirs, name) else {
        return Ok(());
    };
    let Some(manifest) = registry.manifest(name).map_err(|e| e.to_string())? else {
        return Ok(());
    };
    let dir = store_dir(name);
    if stored_checksum(artifacts, &dir).await?.as_deref() == Some(manifest.checksum.as_str()) {
        return Ok(());
    }
    // The manifest goes last: a reader that finds it finds every file it describes.
    for file in STORED_FILES.iter().rev() {
        let path = registry.dir(name).join(file);
        let bytes = tokio::fs::read(&path)
            .await
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        artifacts
            .put_object(&dir, file, bytes.into())
            .await
            .map_err(|e| e.to_string())?;
    }
    tracing::info!(dataset = %name, checksum = %manifest.checksum, "dataset shared through the object store");
    Ok(())
}

async fn stored_checksum(artifacts: &Artifacts, dir: &str) -> Result<Option<String>, String> {
    let manifest = artifacts
        .get_object(dir, STORED_FILES[0])
        .await
        .map_err(|e| e.to_string())?;
    Ok(manifest
        .and_then(|bytes| serde_json::from_slice::<DatasetManifest>(&bytes).ok())
        .map(|m| m.checksum))
}

/// Makes sure registered dataset `name` is on this machine in the version the object store
/// holds (the one the server shared when the experiment was submitted): fetched when it is
/// missing, replaced when this machine's copy is another version. Without a store, or when the
/// store has none, this machine's copy (or its absence, for loading to report) stands.
pub async fn ensure_local(
    artifacts: &Artifacts,
    dirs: &DataDirs,
    name: &DatasetName,
) -> Result<(), String> {
    let Some(registry) = travelling(artifacts, dirs, name) else {
        return Ok(());
    };
    let dir = store_dir(name);
    let Some(shared) = stored_checksum(artifacts, &dir).await? else {
        return Ok(());
    };
    let here = registry.manifest(name).ok().flatten().map(|m| m.checksum);
    if here.as_deref() == Some(shared.as_str()) {
        return Ok(());
    }
    let mut files = Vec::new();
    for file in STORED_FILES {
        match artifacts
            .get_object(&dir, file)
            .await
            .map_err(|e| e.to_string())?
        {
            Some(bytes) => files.push((file, bytes)),
            None => return Err(format!("the object store's copy of {name} lacks {file}")),
        }
    }
    let (replace, doomed) = (here.is_some(), name.clone());
    let installed = tokio::task::spawn_blocking(move || {
        // Looked at again here: another run of this machine may have installed it meanwhile.
        let stale = registry.manifest(&doomed).ok().flatten();
        if stale.is_some_and(|m| m.checksum != shared) {
            registry
                .remove(&doomed)
                .map_err(|e| format!("cannot replace this machine's older copy: {e}"))?;
        }
        install(&registry, &files)
    })
    .await
    .map_err(|e| e.to_string())??;
    tracing::info!(dataset = %name, checksum = %installed.checksum, replaced = replace, "dataset fetched from the object store");
    Ok(())
}

fn install(registry: &Registry, files: &[(&str, bytes::Bytes)]) -> Result<DatasetManifest, String> {
    let borrowed: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (*n, b.as_ref())).collect();
    registry
        .install(&borrowed)
        .map_err(|e| format!("cannot install the dataset fetched from the object store: {e}"))
}
