//! A real browser for the dashboard's tests: headless Chromium driven by Debian's
//! `chromedriver` over the W3C WebDriver protocol, each with a fresh profile, and cleaned up —
//! driver, browser and every child process — when dropped, even when a test panics.

mod dialog;
mod driver;
mod element;
mod screenshot;

pub use driver::Browser;
pub use element::Element;
