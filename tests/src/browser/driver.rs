//! Starting `chromedriver` and a headless Chromium session, navigating, finding elements,
//! waiting for conditions, running scripts and taking full-page screenshots.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::element::{find_elements, Element, ELEMENT_KEY};

/// How long a lookup or condition is retried before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// Chromium's flags on these machines (no sandbox in containers, nothing fetched from outside).
const CHROMIUM_FLAGS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1400,1000",
];

/// A headless Chromium with its own profile.
pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    profile: tempfile::TempDir,
    agent: ureq::Agent,
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().expect("local address").port()
}

fn require(program: &str, package: &str) -> PathBuf {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join(program))
        .find(|path| path.is_file());
    found.unwrap_or_else(|| {
        panic!("`{program}` is not installed: `apt-get install {package}` (scripts/setup.sh does)")
    })
}

impl Browser {
    /// Starts chromedriver and a browser session with a fresh profile.
    pub fn start() -> Browser {
        let driver_path = require("chromedriver", "chromium-driver");
        let chromium = require("chromium", "chromium");
        let profile = tempfile::Builder::new()
            .prefix("distill-browser-")
            .tempdir()
            .expect("a profile directory");
        let port = free_port();
        let log = std::fs::File::create(profile.path().join("chromedriver.log")).expect("log file");
        let driver = Command::new(driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("chromedriver starts");
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let mut browser = Browser {
            driver,
            base: format!("http://127.0.0.1:{port}"),
            session: String::new(),
            profile,
            agent,
        };
        browser.wait_for_driver();
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|f| f.to_string()).collect();
        args.push(format!(
            "--user-data-dir={}",
            browser.profile.path().join("chromium").display()
        ));
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            // A dialog stays open until the test answers it (see `dialog.rs`).
            "unhandledPromptBehavior": "ignore",
            "goog:chromeOptions": {"binary": chromium, "args": args}
        }}});
        let session = browser.command("POST", "/session", Some(capabilities));
        browser.session = session["sessionId"]
            .as_str()
            .expect("a session id")
            .to_string();
        browser
    }

    fn wait_for_driver(&self) {
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            let ready = self
                .agent
                .get(format!("{}/status", self.base))
                .call()
                .ok()
                .and_then(|mut r| r.body_mut().read_to_string().ok())
                .and_then(|text| serde_json::from_str::<Value>(&text).ok())
                .is_some_and(|v| v["value"]["ready"] == true);
            if ready {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("chromedriver did not become ready");
    }

    /// Sends a WebDriver command; panics with the driver's message on an error.
    pub(super) fn command(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.try_command(method, path, body)
            .unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}"))
    }

    /// Sends a WebDriver command; `Err` holds the driver's error.
    pub(super) fn try_command(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let url = if path == "/session" {
            format!("{}{path}", self.base)
        } else {
            format!("{}/session/{}{path}", self.base, self.session)
        };
        let response = match (method, body) {
            ("GET", _) => self.agent.get(&url).call(),
            ("DELETE", _) => self.agent.delete(&url).call(),
            (_, body) => self
                .agent
                .post(&url)
                .header("content-type", "application/json")
                .send(body.unwrap_or_else(|| json!({})).to_string()),
        };
        let mut response = response.map_err(|e| e.to_string())?;
        let ok = response.status().is_success();
        let text = response
            .body_mut()
            .read_to_string()
            .map_err(|e| e.to_string())?;
        let value: Value = serde_json::from_str(&text).map_err(|e| format!("{e}: {text}"))?;
        if ok {
            Ok(value["value"].clone())
        } else {
            Err(format!(
                "{}: {}",
                value["value"]["error"], value["value"]["message"]
            ))
        }
    }

    /// Opens `url` and waits for the document to load.
    pub fn goto(&self, url: &str) {
        self.command("POST", "/url", Some(json!({"url": url})));
    }

    /// The address shown in the location bar.
    pub fn url(&self) -> String {
        self.command("GET", "/url", None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Every element matching `css` now.
    pub fn find_all(&self, css: &str) -> Vec<Element<'_>> {
        find_elements(self, "/elements", css)
    }

    /// The text of the first element matching `css` now, or `None` — also when the page
    /// replaced the element between finding and reading it (live pages do).
    pub fn text_of(&self, css: &str) -> Option<String> {
        let found = self
            .try_command(
                "POST",
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .ok()?;
        let id = found[ELEMENT_KEY].as_str()?;
        let text = self
            .try_command("GET", &format!("/element/{id}/text"), None)
            .ok()?;
        text.as_str().map(str::to_string)
    }

    /// The first element matching `css`, waiting for it to appear.
    pub fn find(&self, css: &str) -> Element<'_> {
        let mut found = None;
        self.wait_until(&format!("an element matching `{css}`"), || {
            found = self
                .find_all(css)
                .into_iter()
                .next()
                .map(|e| e.id().to_string());
            found.is_some()
        });
        Element::new(self, &found.expect("found"))
    }

    /// Retries `condition` every 100 ms until it holds; fails the test after [`PATIENCE`]
    /// with a screenshot named after `what`.
    pub fn wait_until(&self, what: &str, condition: impl FnMut() -> bool) {
        self.wait_longer(what, PATIENCE, condition)
    }

    /// [`Browser::wait_until`] with its own patience (training takes minutes).
    pub fn wait_longer(&self, what: &str, patience: Duration, mut condition: impl FnMut() -> bool) {
        let deadline = Instant::now() + patience;
        while Instant::now() < deadline {
            if condition() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let shot = self.screenshot("timeout");
        panic!(
            "waited {patience:?} for {what} (page: {}; screenshot {})",
            self.url(),
            shot.display()
        );
    }

    /// Clicks the first element matching `css` whose text is `text`, waiting for one.
    pub fn click_text(&self, css: &str, text: &str) {
        self.wait_until(&format!("`{css}` reading {text:?}"), || {
            match self
                .find_all(css)
                .into_iter()
                .find(|e| e.text().trim() == text)
            {
                Some(e) => {
                    e.click();
                    true
                }
                None => false,
            }
        });
    }

    /// Runs `script` in the page with `args` and returns its result.
    pub fn execute(&self, script: &str, args: Value) -> Value {
        self.command(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self.try_command("DELETE", "", None);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        // Whatever the session left behind (a crashed test, a hung renderer) is found by the
        // unique profile directory on its command line.
        let _ = Command::new("pkill")
            .args(["-KILL", "-f"])
            .arg(self.profile.path())
            .status();
    }
}
