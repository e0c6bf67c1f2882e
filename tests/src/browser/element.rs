//! An element of the page: click it, type into it, read its text and properties.

use serde_json::{json, Value};

use super::Browser;

/// The W3C WebDriver key of element references.
pub(super) const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// WebDriver key codes.
const CONTROL: char = '\u{E009}';
const BACKSPACE: char = '\u{E003}';

/// An element found in a [`Browser`].
pub struct Element<'b> {
    browser: &'b Browser,
    id: String,
}

impl<'b> Element<'b> {
    pub(super) fn new(browser: &'b Browser, id: &str) -> Element<'b> {
        Element {
            browser,
            id: id.to_string(),
        }
    }

    pub(super) fn id(&self) -> &str {
        &self.id
    }

    fn path(&self, rest: &str) -> String {
        format!("/element/{}{rest}", self.id)
    }

    /// Clicks it (scrolled into view first).
    pub fn click(&self) {
        self.browser
            .command("POST", &self.path("/click"), Some(json!({})));
    }

    /// Replaces its text with `text` as a user would: select all, delete, type — so the page
    /// sees input events.
    pub fn fill(&self, text: &str) {
        self.click();
        let keys = format!("{CONTROL}a{CONTROL}{BACKSPACE}{text}");
        self.browser
            .command("POST", &self.path("/value"), Some(json!({"text": keys})));
    }

    /// Chooses the file at `path` in a file input, as the file picker would.
    pub fn choose_file(&self, path: &std::path::Path) {
        let text = path.to_str().expect("a UTF-8 path");
        self.browser
            .command("POST", &self.path("/value"), Some(json!({"text": text})));
    }

    /// Its rendered text.
    pub fn text(&self) -> String {
        self.browser
            .command("GET", &self.path("/text"), None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// A DOM property (`value`, `checked`, ...).
    pub fn property(&self, name: &str) -> Value {
        self.browser
            .command("GET", &self.path(&format!("/property/{name}")), None)
    }

    /// An attribute as the markup has it (`d` of an SVG path), empty when absent.
    pub fn attribute(&self, name: &str) -> String {
        self.browser
            .command("GET", &self.path(&format!("/attribute/{name}")), None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Dispatches the mouse event `kind` (`mousemove`, `mousedown`, `dblclick`, ...) at
    /// `fraction` of its width and half its height, as a pointer there would.
    pub fn mouse(&self, kind: &str, fraction: f64) {
        self.browser.execute(
            "const [element, kind, fraction] = arguments;
             const box = element.getBoundingClientRect();
             element.dispatchEvent(new MouseEvent(kind, {
                 bubbles: true, cancelable: true,
                 clientX: box.left + fraction * box.width, clientY: box.top + box.height / 2,
             }));",
            json!([{ ELEMENT_KEY: self.id }, kind, fraction]),
        );
    }

    /// Elements matching `css` inside it.
    pub fn find_all(&self, css: &str) -> Vec<Element<'b>> {
        find_elements(self.browser, &self.path("/elements"), css)
    }
}

/// The elements matching `css` that the WebDriver command at `path` (`/elements` under the
/// page or under an element) finds now.
pub(super) fn find_elements<'b>(browser: &'b Browser, path: &str, css: &str) -> Vec<Element<'b>> {
    let found = browser.command(
        "POST",
        path,
        Some(json!({"using": "css selector", "value": css})),
    );
    found
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e[ELEMENT_KEY].as_str())
        .map(|id| Element::new(browser, id))
        .collect()
}
