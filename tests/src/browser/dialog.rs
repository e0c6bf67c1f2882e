//! The page's own dialogs (`window.confirm`, `alert`): read what they ask, then answer.

use super::Browser;

impl Browser {
    /// The text of the dialog the page opened, waiting for it to open.
    pub fn dialog_text(&self) -> String {
        let mut text = String::new();
        self.wait_until("a dialog", || {
            match self.try_command("GET", "/alert/text", None) {
                Ok(value) => {
                    text = value.as_str().unwrap_or_default().to_string();
                    true
                }
                Err(_) => false,
            }
        });
        text
    }

    /// Answers the open dialog: OK when `accept`, Cancel otherwise.
    pub fn answer_dialog(&self, accept: bool) {
        let answer = if accept { "accept" } else { "dismiss" };
        self.command("POST", &format!("/alert/{answer}"), None);
    }
}
