//! The dataset catalogue over HTTP: the built-in and registered datasets, registering one from
//! an uploaded folder archive or `.npz` (streamed to disk under a size cap), removing one, and a
//! preview grid of any of them.

use std::path::PathBuf;

use api::{BuiltinDataset, DatasetInfo, DatasetManifest, DatasetName};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use engine::data::registry::{preview_png, Colour, RegisterError, Registration, Registry};
use engine::data::{catalog, class_names, describe, locate, registered, DataDirs};
use serde::Deserialize;

use super::extract::{parse_query, ApiQuery};
use super::upload::Upload;
use super::{ApiError, AppState};

/// The datasets, built in and registered, and whether this server has their files.
#[utoipa::path(get, path = "/api/datasets", tag = "catalog",
    responses((status = 200, description = "Every dataset: the built-in ones, then the registered ones by name", body = [DatasetInfo])))]
pub async fn datasets_list(State(state): State<AppState>) -> Json<Vec<DatasetInfo>> {
    let dirs = state.jobs.runtime().data_dirs.clone();
    let mut list: Vec<DatasetInfo> = BuiltinDataset::ALL
        .into_iter()
        .map(|builtin| builtin_info(builtin, &dirs))
        .collect();
    if let Some(registry) = dirs.registry() {
        list.extend(
            registry
                .list()
                .into_iter()
                .map(|m| registered_info(m, &registry)),
        );
    }
    Json(list)
}

fn builtin_info(builtin: BuiltinDataset, dirs: &DataDirs) -> DatasetInfo {
    let info = catalog(builtin);
    let location = locate(&info.name, dirs);
    let available = builtin == BuiltinDataset::Synthetic || location.is_some();
    DatasetInfo {
        hint: (!available).then(|| format!("distill data fetch {builtin}")),
        ..listed(info, location, available)
    }
}

fn registered_info(manifest: DatasetManifest, registry: &Registry) -> DatasetInfo {
    let location = Some(registry.dir(&manifest.name));
    let info = engine::data::DatasetInfo::registered(&manifest);
    DatasetInfo {
        manifest: Some(manifest),
        ..listed(info, location, true)
    }
}

/// The listing of a dataset the engine describes as `info`.
fn listed(
    info: engine::data::DatasetInfo,
    location: Option<PathBuf>,
    available: bool,
) -> DatasetInfo {
    DatasetInfo {
        name: info.name,
        channels: info.channels,
        height: info.height,
        width: info.width,
        classes: info.classes,
        train_size: info.train_size,
        test_size: info.test_size,
        available,
        location: location.map(|p| p.display().to_string()),
        hint: None,
        manifest: None,
    }
}

/// How to register an uploaded dataset.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NewDatasetQuery {
    /// The name it gets: lowercase letters, digits and dashes, not a built-in dataset's.
    name: Option<String>,
    /// Resize every image to `HxW` (e.g. `32x32`); needed when the images differ in size.
    resize: Option<String>,
    /// `grey` or `rgb`: force the channels [default: grey only when every image is grey].
    colour: Option<String>,
    /// Share of the training images held out as test when the folder has no `test/` [0.2].
    test_fraction: Option<String>,
    /// The uploaded file's name, recorded as the dataset's source.
    filename: Option<String>,
}

/// Registers a dataset from the request body: a `.zip`, `.tar` or `.tar.gz` of an image folder
/// (`train/<class>/*.png|jpg|jpeg|bmp|webp`, optionally `test/<class>/…`) or an `.npz` with
/// `x_train`, `y_train`, `x_test`, `y_test` (and optionally `classes`). The body is streamed to
/// disk and may be as large as the server's `--max-upload-mb`.
#[utoipa::path(post, path = "/api/datasets", tag = "catalog", params(NewDatasetQuery),
    request_body(content = String, content_type = "application/octet-stream",
                 description = "The archive or .npz, as raw bytes"),
    responses((status = 201, description = "Registered: its manifest", body = DatasetManifest),
              (status = 400, description = "A bad query parameter", body = api::ErrorBody),
              (status = 409, description = "The name is taken (registered or built in)", body = api::ErrorBody),
              (status = 413, description = "Over the upload cap, or unpacks to more than it", body = api::ErrorBody),
              (status = 422, description = "Not a dataset the lab can read; `field` names the file, array or option", body = api::ErrorBody)))]
pub async fn datasets_create(
    State(state): State<AppState>,
    uri: Uri,
    body: Body,
) -> Result<(StatusCode, Json<DatasetManifest>), ApiError> {
    let registry = registry(&state)?;
    let cap = state.max_upload_bytes;
    // The body is read before anything is refused: a client still sending it would otherwise
    // see its connection closed instead of the answer.
    let upload = Upload::receive(registry.root(), body, cap).await?;
    let query: NewDatasetQuery = parse_query(uri.query().unwrap_or(""))?;
    let name = query
        .name
        .as_deref()
        .ok_or_else(|| ApiError::bad_parameter("name", "give the dataset's name: ?name=…"))?;
    let name = DatasetName::new(name).map_err(|m| ApiError::bad_parameter("name", m))?;
    let request = Registration {
        name,
        source: upload.path().to_path_buf(),
        source_label: query.filename.clone().unwrap_or_else(|| "upload".into()),
        resize: query.resize.as_deref().map(parse_resize).transpose()?,
        colour: query.colour.as_deref().map(parse_colour).transpose()?,
        test_fraction: query
            .test_fraction
            .as_deref()
            .map(parse_fraction)
            .transpose()?,
        max_bytes: cap,
    };
    let manifest = tokio::task::spawn_blocking(move || {
        let manifest = registry.register(&request, &|_, _| {});
        drop(upload);
        manifest
    })
    .await
    .map_err(|e| ApiError::internal(format!("registration crashed: {e}")))?
    .map_err(refused)?;
    tracing::info!(dataset = %manifest.name, images = manifest.train_size() + manifest.test_size(), "dataset registered");
    Ok((StatusCode::CREATED, Json(manifest)))
}

/// `?force=` of a removal.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RemoveQuery {
    /// Remove it even though runs used it (their records stay; they cannot be rerun).
    force: Option<String>,
}

/// Removes a registered dataset; refused while runs use it, unless `?force=true`.
#[utoipa::path(delete, path = "/api/datasets/{name}", tag = "catalog",
    params(("name" = String, Path, description = "A registered dataset's name"), RemoveQuery),
    responses((status = 204, description = "Removed"),
              (status = 404, description = "No such registered dataset", body = api::ErrorBody),
              (status = 409, description = "Built in, or used by runs", body = api::ErrorBody)))]
pub async fn dataset_delete(
    State(state): State<AppState>,
    Path(name): Path<String>,
    ApiQuery(query): ApiQuery<RemoveQuery>,
) -> Result<StatusCode, ApiError> {
    let force = match query.force.as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(ApiError::bad_parameter(
                "force",
                format!("must be true or false, got `{other}`"),
            ))
        }
    };
    let name = registered_name(&name)?;
    if name.builtin().is_some() {
        return Err(ApiError::conflict(
            "built_in",
            format!("{name} is built in and cannot be removed"),
        ));
    }
    let registry = registry(&state)?;
    let users = state
        .jobs
        .store()
        .list_runs(None, Some(name.as_str()), 1)
        .await?;
    if !force && registry.dir(&name).exists() && !users.is_empty() {
        return Err(ApiError::conflict(
            "dataset_in_use",
            format!(
                "runs of experiment `{}` use {name}; remove those experiments first, or pass ?force=true",
                users[0].experiment_name
            ),
        ));
    }
    let removed = tokio::task::spawn_blocking(move || registry.remove(&name))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(|e| ApiError::internal(format!("cannot remove the dataset: {e}")))?;
    if removed {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(
            "name",
            "no registered dataset has that name",
        ))
    }
}

/// A grid of a few training images per class (one row per class, label order).
#[utoipa::path(get, path = "/api/datasets/{name}/preview.png", tag = "catalog",
    params(("name" = String, Path, description = "A dataset's name")),
    responses((status = 200, description = "The grid", content_type = "image/png"),
              (status = 404, description = "No such dataset, or not installed", body = api::ErrorBody)))]
pub async fn dataset_preview(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let name = registered_name(&name)?;
    let dirs = state.jobs.runtime().data_dirs.clone();
    let png = tokio::task::spawn_blocking(move || match name.builtin() {
        Some(builtin) => {
            let split = engine::data::load(&name, &dirs)?;
            Ok(preview_png(&split.train, &class_names(builtin)))
        }
        None => registered(&name, &dirs, |r| r.preview(&name)),
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?
    .map_err(|e| ApiError::not_found("name", e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "image/png")], png).into_response())
}

/// A path's dataset name, or a 404 for one that cannot name any dataset.
fn registered_name(name: &str) -> Result<DatasetName, ApiError> {
    DatasetName::new(name).map_err(|m| ApiError::not_found("name", m))
}

fn registry(state: &AppState) -> Result<Registry, ApiError> {
    state.jobs.runtime().data_dirs.registry().ok_or_else(|| {
        ApiError::internal(
            "this server has no data directory: start it with --data-dir or HOME set",
        )
    })
}

/// Facts about the dataset a `?dataset=` names: 400 for a malformed name, 404 for one that is
/// neither built in nor registered.
pub fn dataset_facts(name: &str, dirs: &DataDirs) -> Result<engine::data::DatasetInfo, ApiError> {
    let name = DatasetName::new(name).map_err(|m| ApiError::bad_parameter("dataset", m))?;
    describe(&name, dirs).map_err(|e| ApiError::not_found("dataset", e.to_string()))
}

/// The HTTP status of a refused registration: 409 for a taken name, 413 past the cap, 422
/// naming the file or option otherwise.
fn refused(error: RegisterError) -> ApiError {
    match error {
        RegisterError::Exists(_) | RegisterError::Reserved(_) => {
            ApiError::conflict("dataset_exists", error.to_string()).field("name")
        }
        RegisterError::TooLarge(message) => ApiError::upload_too_large(message),
        RegisterError::Invalid { file, reason } => ApiError::invalid_field(file, reason),
        RegisterError::Io { .. } => ApiError::internal(error.to_string()),
    }
}

fn parse_resize(text: &str) -> Result<(usize, usize), ApiError> {
    let parsed = text
        .split_once(['x', 'X', '×'])
        .and_then(|(h, w)| Some((h.trim().parse().ok()?, w.trim().parse().ok()?)));
    parsed.ok_or_else(|| {
        ApiError::bad_parameter("resize", format!("`{text}` is not HxW, e.g. 32x32"))
    })
}

fn parse_colour(text: &str) -> Result<Colour, ApiError> {
    match text {
        "grey" | "gray" => Ok(Colour::Grey),
        "rgb" => Ok(Colour::Rgb),
        other => Err(ApiError::bad_parameter(
            "colour",
            format!("must be grey or rgb, got `{other}`"),
        )),
    }
}

fn parse_fraction(text: &str) -> Result<f64, ApiError> {
    text.parse::<f64>()
        .ok()
        .filter(|f| *f > 0.0 && *f < 1.0)
        .ok_or_else(|| {
            ApiError::bad_parameter(
                "test_fraction",
                format!("must be a number between 0 and 1 (exclusive), got `{text}`"),
            )
        })
}
