//! A rules file as written: the serde shape of `data/rules/*.toml` and of
//! user rules files, before any field is checked.
//!
//! Shared with `build.rs` (through `#[path]`), which reads the built-in
//! files with it at build time, so both read exactly the same format.

use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RulesFile {
    #[serde(default)]
    #[allow(dead_code)]
    pub(crate) meta: Option<toml::Table>,
    #[serde(default)]
    pub(crate) rule: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRule {
    pub(crate) id: String,
    pub(crate) reason: String,
    #[serde(default = "default_priority")]
    pub(crate) priority: u8,
    #[serde(default)]
    pub(crate) phrases: Vec<String>,
    #[serde(default)]
    pub(crate) patterns: Vec<String>,
    #[serde(default)]
    pub(crate) status: Option<String>,
    #[serde(default)]
    pub(crate) bounce_type: Option<String>,
    #[serde(default)]
    pub(crate) class: Option<u8>,
    #[serde(default)]
    pub(crate) in_report: Option<String>,
    #[serde(default)]
    pub(crate) examples: Vec<String>,
}

fn default_priority() -> u8 {
    50
}
