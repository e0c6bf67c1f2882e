//! The transport of every request `endpoints` names: typed requests on the `api` types, and the
//! server's JSON errors (`{error: {code, message, field}}`) as one error type.

use api::ErrorBody;
use gloo_net::http::{Request, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// A request that did not give what was asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiFailure {
    /// HTTP status (0 when the server could not be reached).
    pub status: u16,
    /// The server's error code, e.g. `invalid_field`.
    pub code: String,
    /// What went wrong, for people.
    pub message: String,
    /// The offending field's path, e.g. `chain[1].link.terms[0].temperature`.
    pub field: Option<String>,
}

impl std::fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{}: {}", field, self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ApiFailure {}

impl ApiFailure {
    fn network(error: gloo_net::Error) -> ApiFailure {
        ApiFailure {
            status: 0,
            code: "network".into(),
            message: format!("the server could not be reached ({error})"),
            field: None,
        }
    }
}

/// The result of a request.
pub type ApiResult<T> = Result<T, ApiFailure>;

/// `GET path` as `T`.
pub async fn get<T: DeserializeOwned>(path: &str) -> ApiResult<T> {
    send(Request::get(path)).await
}

/// `POST path` with `body` as JSON, answered with `T`.
pub async fn post<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> ApiResult<T> {
    let request = Request::post(path)
        .json(body)
        .map_err(ApiFailure::network)?;
    decode(request.send().await.map_err(ApiFailure::network)?).await
}

/// `PATCH path` with `body` as JSON, answered with `T`.
pub async fn patch<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> ApiResult<T> {
    let request = Request::patch(path)
        .json(body)
        .map_err(ApiFailure::network)?;
    decode(request.send().await.map_err(ApiFailure::network)?).await
}

/// `POST path` without a body, answered with `T`.
pub async fn post_empty<T: DeserializeOwned>(path: &str) -> ApiResult<T> {
    send(Request::post(path)).await
}

/// Sends a request without a body and decodes the answer as `T`.
async fn send<T: DeserializeOwned>(request: RequestBuilder) -> ApiResult<T> {
    decode(request.send().await.map_err(ApiFailure::network)?).await
}

/// `POST path` with `body` as JSON, answered without a body (204).
pub async fn post_no_content<B: Serialize>(path: &str, body: &B) -> ApiResult<()> {
    let response = Request::post(path)
        .json(body)
        .map_err(ApiFailure::network)?
        .send()
        .await
        .map_err(ApiFailure::network)?;
    if response.ok() {
        Ok(())
    } else {
        Err(failure(response).await)
    }
}

/// `DELETE path`.
pub async fn delete(path: &str) -> ApiResult<()> {
    let response = Request::delete(path)
        .send()
        .await
        .map_err(ApiFailure::network)?;
    if response.ok() {
        Ok(())
    } else {
        Err(failure(response).await)
    }
}

async fn decode<T: DeserializeOwned>(response: Response) -> ApiResult<T> {
    if !response.ok() {
        return Err(failure(response).await);
    }
    let status = response.status();
    response.json::<T>().await.map_err(|e| ApiFailure {
        status,
        code: "unexpected_response".into(),
        message: format!("the server's answer could not be read: {e}"),
        field: None,
    })
}

async fn failure(response: Response) -> ApiFailure {
    let status = response.status();
    // A wrong token typed into the login form is not an expired session.
    if status == 401 && !response.url().ends_with("/api/login") {
        crate::session::expired();
    }
    failure_of(status, &response.text().await.unwrap_or_default())
}

/// The file chosen in a file input, or the failure to show when none is (`kinds` says which
/// files to choose, e.g. "a .zip or .npz file").
pub fn chosen_file(
    input: &leptos::prelude::NodeRef<leptos::html::Input>,
    kinds: &str,
) -> ApiResult<web_sys::File> {
    use leptos::prelude::Get;
    input
        .get()
        .and_then(|input| input.files())
        .and_then(|files| files.get(0))
        .ok_or_else(|| ApiFailure {
            status: 0,
            code: "no_file".into(),
            message: format!("choose {kinds} first"),
            field: Some("file".into()),
        })
}

/// `POST path` with `file` as the raw body, answered with `T`; `progress` hears the share of
/// the file sent so far (0 to 1). An XMLHttpRequest, because a fetch cannot report how much of
/// its body it has sent.
pub async fn upload<T: DeserializeOwned>(
    path: &str,
    file: &web_sys::File,
    progress: impl Fn(f64) + 'static,
) -> ApiResult<T> {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::{JsCast, JsValue};
    let failed = |e: JsValue| ApiFailure {
        status: 0,
        code: "network".into(),
        message: format!("the upload could not be sent ({e:?})"),
        field: None,
    };
    let request = web_sys::XmlHttpRequest::new().map_err(failed)?;
    request.open("POST", path).map_err(failed)?;
    request
        .set_request_header("Content-Type", "application/octet-stream")
        .map_err(failed)?;
    let on_progress =
        Closure::<dyn Fn(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
            if e.length_computable() && e.total() > 0.0 {
                progress(e.loaded() / e.total());
            }
        });
    request
        .upload()
        .map_err(failed)?
        .set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    let ended = js_sys::Promise::new(&mut |resolve, _reject| {
        let on_end = Closure::once_into_js(move || {
            let _ = resolve.call0(&JsValue::NULL);
        });
        request.set_onloadend(Some(on_end.unchecked_ref()));
    });
    request.send_with_opt_blob(Some(file)).map_err(failed)?;
    wasm_bindgen_futures::JsFuture::from(ended)
        .await
        .map_err(failed)?;
    drop(on_progress);
    let status = request.status().unwrap_or(0);
    let text = request.response_text().ok().flatten().unwrap_or_default();
    match status {
        0 => Err(ApiFailure {
            status: 0,
            code: "network".into(),
            message: "the server could not be reached, or closed the connection during the upload"
                .into(),
            field: None,
        }),
        200..=299 => serde_json::from_str(&text).map_err(|e| ApiFailure {
            status,
            code: "unexpected_response".into(),
            message: format!("the server's answer could not be read: {e}"),
            field: None,
        }),
        _ => {
            if status == 401 {
                crate::session::expired();
            }
            Err(failure_of(status, &text))
        }
    }
}

/// The failure an error answer `text` with `status` describes.
fn failure_of(status: u16, text: &str) -> ApiFailure {
    match serde_json::from_str::<ErrorBody>(text) {
        Ok(body) => ApiFailure {
            status,
            code: body.error.code,
            message: body.error.message,
            field: body.error.field,
        },
        Err(_) => ApiFailure {
            status,
            code: "http_error".into(),
            message: format!(
                "HTTP {status}: {}",
                text.chars().take(200).collect::<String>()
            ),
            field: None,
        },
    }
}

/// Percent-encodes a query value.
pub fn encode(value: &str) -> String {
    js_sys::encode_uri_component(value).into()
}
