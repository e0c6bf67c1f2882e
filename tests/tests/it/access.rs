//! Only the owner can change anything, through the real server: every documented route under
//! every kind of credential answers as the access rules say (never a 5xx), refused requests
//! change nothing, foreign hosts and cross-site requests are refused, failed logins are
//! rate-limited, and share links stay read-only.

use distill_tests::{ApiResponse, Server};
use serde_json::{json, Value};

/// A small experiment that only queues (the matrix server trains nothing).
fn spec() -> Value {
    json!({
        "dataset": {"name": "synthetic", "train_subset": 100, "test_subset": 50},
        "budget": {"epochs": 1, "batch_size": 50},
        "chain": [{"architecture": {"kind": "preset", "name": "mlp-xs"}}]
    })
}

/// What one request presents.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Credential {
    Nothing,
    BadToken,
    ReadToken,
    WriteToken,
    CookieSameOrigin,
    CookieForeignOrigin,
    ShareToken,
}

const ALL: [Credential; 7] = [
    Credential::Nothing,
    Credential::BadToken,
    Credential::ReadToken,
    Credential::WriteToken,
    Credential::CookieSameOrigin,
    Credential::CookieForeignOrigin,
    Credential::ShareToken,
];

/// Things to point routes at: an experiment, its run, a share link and an API token, and an
/// ended experiment (whose event stream closes after its snapshot).
struct Fixture {
    experiment: String,
    ended: String,
    run: String,
    share: String,
    token_id: String,
}

fn fixture(server: &Server) -> Fixture {
    let experiment = server.submit(&spec());
    let detail = server.get(&format!("/api/experiments/{experiment}")).json;
    let run = detail["runs"][0]["id"].as_str().unwrap().to_string();
    let share = server.post(
        &format!("/api/experiments/{experiment}/share"),
        &Value::Null,
    );
    let token = server.post("/api/tokens", &json!({"name": "fixture", "scope": "read"}));
    let ended = server.submit(&spec());
    let cancelled = server.post(&format!("/api/experiments/{ended}/cancel"), &Value::Null);
    assert_eq!(cancelled.status, 202, "{}", cancelled.text);
    Fixture {
        experiment,
        ended,
        run,
        share: share.json["token"].as_str().unwrap().to_string(),
        token_id: token.json["info"]["id"].as_str().unwrap().to_string(),
    }
}

/// Whether nothing of `f` was changed: the experiment is there, its share link works and the
/// token is still listed.
fn intact(server: &Server, f: &Fixture) -> bool {
    let tokens = server.get("/api/tokens").json;
    server
        .get(&format!("/api/experiments/{}", f.experiment))
        .status
        == 200
        && server.get(&format!("/api/shared/{}", f.share)).status == 200
        && tokens
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == f.token_id.as_str())
}

/// The owner's session cookie, from the login exchange.
fn session_cookie(server: &Server) -> String {
    let login = server.send_with(
        "POST",
        "/api/login",
        &[("content-type", "application/json")],
        json!({"token": server.token}).to_string().as_bytes(),
    );
    assert_eq!(login.status, 204, "{}", login.text);
    let set = &login.headers["set-cookie"];
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    set.split(';').next().unwrap().to_string()
}

struct Secrets {
    read: String,
    write: String,
    cookie: String,
    share: String,
}

fn request(
    server: &Server,
    secrets: &Secrets,
    credential: Credential,
    method: &str,
    path: &str,
) -> ApiResponse {
    let origin = server.base.clone();
    let bearer = |secret: &str| format!("Bearer {secret}");
    let mut headers: Vec<(&str, String)> = vec![("content-type", "application/json".into())];
    match credential {
        Credential::Nothing => {}
        Credential::BadToken => headers.push(("authorization", bearer(&"0".repeat(64)))),
        Credential::ReadToken => headers.push(("authorization", bearer(&secrets.read))),
        Credential::WriteToken => headers.push(("authorization", bearer(&secrets.write))),
        Credential::ShareToken => headers.push(("authorization", bearer(&secrets.share))),
        Credential::CookieSameOrigin => {
            headers.push(("cookie", secrets.cookie.clone()));
            headers.push(("origin", origin));
        }
        Credential::CookieForeignOrigin => {
            headers.push(("cookie", secrets.cookie.clone()));
            headers.push(("origin", "http://evil.example".into()));
        }
    }
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let body: &[u8] = if method == "GET" || method == "DELETE" {
        b""
    } else {
        b"{}"
    };
    server.send_with(method, path, &headers, body)
}

/// What the rules say `credential` gets on a route needing `need`: `Some(allowed statuses)`,
/// or `None` for "the route's own answer" (anything but 401, 403 and a 5xx).
fn expected(need: &str, credential: Credential) -> Option<&'static [u16]> {
    use Credential::*;
    let refused_login: &[u16] = &[401, 429];
    match (need, credential) {
        ("public", _) => None,
        (_, Nothing) => Some(&[401]),
        (_, BadToken | ShareToken) => Some(refused_login),
        (_, CookieForeignOrigin) => Some(&[403]),
        ("read", _) => None,
        ("write", ReadToken) => Some(&[403]),
        ("write", _) => None,
        ("owner", ReadToken | WriteToken) => Some(&[403]),
        _ => None,
    }
}

fn need_of(method: &str, path: &str) -> &'static str {
    match (method, path) {
        ("GET", "/api/health" | "/api/session" | "/api/shared/{token}")
        | ("GET", "/api/shared/{token}/runs/{id}/curves" | "/api/shared/{token}/curves")
        | ("POST", "/api/login" | "/api/logout") => "public",
        (_, p) if p.starts_with("/api/tokens") => "owner",
        ("GET", _) => "read",
        _ => "write",
    }
}

#[test]
fn every_route_under_every_credential_answers_as_the_rules_say_and_refusals_change_nothing() {
    // Arrange
    let dir = tempfile::tempdir().unwrap();
    // The matrix makes many failed logins on purpose; the limit has a test of its own.
    let server = Server::start_in(
        dir.path(),
        &["--workers", "0", "--max-failed-logins", "1000"],
    );
    let doc = server.get("/api/openapi.json").json;
    let token = |scope: &str| {
        server
            .post("/api/tokens", &json!({"name": scope, "scope": scope}))
            .json["token"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let base = fixture(&server);
    let secrets = Secrets {
        read: token("read"),
        write: token("write"),
        cookie: session_cookie(&server),
        share: base.share.clone(),
    };

    // Act + Assert
    let mut checked = 0;
    let mut failures = Vec::new();
    for (template, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let method = method.to_uppercase();
            let need = need_of(&method, template);
            for credential in ALL {
                // Changes get fresh targets, so an allowed one cannot hide a refused one.
                let f = if method == "GET" {
                    None
                } else {
                    Some(fixture(&server))
                };
                let target = f.as_ref().unwrap_or(&base);
                let id = if template.contains("/runs/") {
                    &target.run
                } else if template.starts_with("/api/tokens/") {
                    &target.token_id
                } else if template.ends_with("/events") {
                    &target.ended
                } else {
                    &target.experiment
                };
                let path = template
                    .replace("{id}", id)
                    .replace("{token}", &target.share);
                // Logging out ends the session it is sent with: give it one of its own.
                let own;
                let secrets = if template == "/api/logout" {
                    own = Secrets {
                        cookie: session_cookie(&server),
                        read: secrets.read.clone(),
                        write: secrets.write.clone(),
                        share: secrets.share.clone(),
                    };
                    &own
                } else {
                    &secrets
                };
                let r = request(&server, secrets, credential, &method, &path);
                checked += 1;
                let fine = match expected(need, credential) {
                    Some(statuses) => statuses.contains(&r.status),
                    None => !matches!(r.status, 401 | 403) && r.status < 500,
                };
                let refused = matches!(r.status, 401 | 403 | 429);
                if !fine {
                    failures.push(format!(
                        "{method} {template} as {credential:?} ({need}) → {} {}",
                        r.status, r.text
                    ));
                } else if refused && f.as_ref().is_some_and(|f| !intact(&server, f)) {
                    failures.push(format!(
                        "{method} {template} as {credential:?} was refused ({}) but changed something",
                        r.status
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 29 * 7, "{checked} requests");
    assert!(intact(&server, &base));
    eprintln!("access matrix: {checked} requests, all as specified");
}

#[test]
fn the_four_findings_are_closed_no_anonymous_changes_no_revoking_by_holders_no_cross_site_no_foreign_host(
) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), &["--workers", "0"]);
    let f = fixture(&server);
    let anonymous = |method: &str, path: &str, headers: &[(&str, &str)]| {
        server.send_with(
            method,
            path,
            headers,
            if method == "POST" { b"{}" } else { b"" },
        )
    };

    // 1. Nobody without credentials can submit, cancel or delete.
    let json = [("content-type", "application/json")];
    assert_eq!(anonymous("POST", "/api/experiments", &json).status, 401);
    let cancel = format!("/api/experiments/{}/cancel", f.experiment);
    assert_eq!(anonymous("POST", &cancel, &[]).status, 401);
    let experiment = format!("/api/experiments/{}", f.experiment);
    assert_eq!(anonymous("DELETE", &experiment, &[]).status, 401);
    // 2. A share link's holder can read it, not revoke it.
    let shared = format!("/api/shared/{}", f.share);
    assert_eq!(anonymous("GET", &shared, &[]).status, 200);
    assert_eq!(
        anonymous("DELETE", &format!("/api/shares/{}", f.share), &[]).status,
        401
    );
    // 3. A "simple" cross-site POST (text/plain, foreign Origin) with the owner's cookie.
    let cookie = session_cookie(&server);
    let cross_site = [
        ("cookie", cookie.as_str()),
        ("origin", "http://evil.example"),
        ("content-type", "text/plain"),
    ];
    let share = format!("/api/experiments/{}/share", f.experiment);
    assert_eq!(anonymous("POST", &share, &cross_site).status, 403);
    assert_eq!(anonymous("POST", &cancel, &cross_site).status, 403);
    // 4. A foreign Host (DNS rebinding) is refused; the server's own names are served.
    let bearer = format!("Bearer {}", server.token);
    let evil = anonymous(
        "GET",
        "/api/experiments",
        &[("host", "evil.example"), ("authorization", &bearer)],
    );
    assert_eq!(evil.status, 421, "{}", evil.text);
    let port = server.base.rsplit(':').next().unwrap().to_string();
    for host in [format!("localhost:{port}"), format!("127.0.0.1:{port}")] {
        let ok = anonymous("GET", "/api/health", &[("host", &host)]);
        assert_eq!(ok.status, 200, "{host}");
    }

    // Nothing changed.
    assert!(intact(&server, &f));
    assert_eq!(anonymous("GET", &shared, &[]).status, 200);
}

/// `POST /api/login` with `token`, from the client a trusted proxy names in `forwarded_for`
/// (when given).
fn login_as(server: &Server, token: &str, forwarded_for: Option<&str>) -> u16 {
    let mut headers = vec![("content-type", "application/json")];
    if let Some(client) = forwarded_for {
        headers.push(("x-forwarded-for", client));
    }
    let body = json!({ "token": token }).to_string();
    server
        .send_with("POST", "/api/login", &headers, body.as_bytes())
        .status
}

#[test]
fn failed_logins_past_the_limit_get_429_but_the_owner_from_the_same_address_gets_in() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), &["--workers", "0"]);
    for attempt in 1..=10 {
        assert_eq!(login_as(&server, "wrong", None), 401, "attempt {attempt}");
    }
    assert_eq!(login_as(&server, "wrong", None), 429, "guessing is refused");
    let bearer = format!("Bearer {}", "1".repeat(64));
    let guess = server.send_with(
        "GET",
        "/api/experiments",
        &[("authorization", &bearer)],
        b"",
    );
    assert_eq!(guess.status, 429, "{}", guess.text);

    assert_eq!(login_as(&server, &server.token.clone(), None), 204);
    let owner = format!("Bearer {}", server.token);
    let listed = server.send_with("GET", "/api/experiments", &[("authorization", &owner)], b"");
    assert_eq!(listed.status, 200, "{}", listed.text);
    let page = server.send_with("GET", &format!("/?token={}", server.token), &[], b"");
    assert_eq!(page.status, 303);
    assert!(page.headers.contains_key("set-cookie"));
}

#[test]
fn behind_a_trusted_proxy_failures_count_per_forwarded_client() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(
        dir.path(),
        &["--workers", "0", "--trusted-proxy", "127.0.0.1"],
    );
    let attacker = Some("203.0.113.9");
    for _ in 1..=10 {
        assert_eq!(login_as(&server, "wrong", attacker), 401);
    }
    assert_eq!(login_as(&server, "wrong", attacker), 429);
    // Another client behind the same proxy is not held to the attacker's failures.
    assert_eq!(login_as(&server, "wrong", Some("198.51.100.7")), 401);
    assert_eq!(login_as(&server, &server.token.clone(), attacker), 204);
}

#[test]
fn without_a_trusted_proxy_a_forwarded_address_is_not_believed() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), &["--workers", "0"]);
    for attempt in 1..=10 {
        let invented = format!("192.0.2.{attempt}");
        assert_eq!(login_as(&server, "wrong", Some(&invented)), 401);
    }
    assert_eq!(
        login_as(&server, "wrong", Some("192.0.2.99")),
        429,
        "a client cannot escape the limit by inventing X-Forwarded-For"
    );
}

#[test]
fn the_printed_login_url_sets_a_session_cookie_and_takes_the_token_out_of_the_address() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_in(dir.path(), &["--workers", "0"]);
    let path = format!("/experiments?token={}&status=running", server.token);
    let r = server.send_with("GET", &path, &[], b"");
    assert_eq!(r.status, 303);
    assert_eq!(r.headers["location"], "/experiments?status=running");
    let cookie = r.headers["set-cookie"]
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let with_cookie = server.send_with("GET", "/api/session", &[("cookie", &cookie)], b"");
    assert_eq!(with_cookie.json["role"], "owner");
    let wrong = server.send_with("GET", "/?token=not-it", &[], b"");
    assert_eq!(wrong.status, 303);
    assert!(!wrong.headers.contains_key("set-cookie"));
    // Logging out ends the session.
    let out = server.send_with(
        "POST",
        "/api/logout",
        &[("cookie", &cookie), ("origin", &server.base)],
        b"",
    );
    assert_eq!(out.status, 204);
    let after = server.send_with("GET", "/api/experiments", &[("cookie", &cookie)], b"");
    assert_eq!(after.status, 401);
}

#[test]
fn serving_without_authentication_is_refused_off_loopback() {
    let home = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(distill_tests::distill_binary())
        .args([
            "serve",
            "--addr",
            "0.0.0.0:0",
            "--no-auth",
            "--backend",
            "cpu",
        ])
        .env("HOME", home.path())
        .env("BURN_DEVICE", "flex")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        distill_tests::stderr(&output).contains("--no-auth"),
        "{}",
        distill_tests::stderr(&output)
    );
}
