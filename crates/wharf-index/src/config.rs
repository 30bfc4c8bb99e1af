//! `config.json` of a registry, and download URLs built from a `dl` value.

use serde::{Deserialize, Serialize};

/// The body of `config.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryConfig {
    pub dl: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<String>,
    #[serde(rename = "auth-required", default, skip_serializing_if = "std::ops::Not::not")]
    pub auth_required: bool,
}

/// An upstream's `dl`: a URL template with cargo's markers, or a base to which cargo
/// appends `/{crate}/{version}/download`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DlTemplate(String);

const MARKERS: [&str; 5] = ["{crate}", "{version}", "{prefix}", "{lowerprefix}", "{sha256-checksum}"];

impl DlTemplate {
    pub fn new(dl: &str) -> Self {
        DlTemplate(dl.to_owned())
    }

    /// The download URL of one version, substituted as cargo does (raw, no escaping).
    pub fn url(&self, name: &str, version: &str, cksum: &str) -> String {
        if !MARKERS.iter().any(|m| self.0.contains(m)) {
            return format!("{}/{name}/{version}/download", self.0.trim_end_matches('/'));
        }
        let prefix_of = |n: &str| match n.len() {
            1 => "1".to_owned(),
            2 => "2".to_owned(),
            3 => format!("3/{}", &n[..1]),
            _ => format!("{}/{}", &n[..2], &n[2..4]),
        };
        self.0
            .replace("{crate}", name)
            .replace("{version}", version)
            .replace("{prefix}", &prefix_of(name))
            .replace("{lowerprefix}", &prefix_of(&name.to_ascii_lowercase()))
            .replace("{sha256-checksum}", cksum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn append_rule_without_markers() {
        let dl = DlTemplate::new("https://static.example/crates/");
        assert_eq!(dl.url("serde", "1.0.0+b1", "ff"), "https://static.example/crates/serde/1.0.0+b1/download");
    }

    #[test]
    fn markers_are_substituted() {
        let dl = DlTemplate::new(
            "https://dl.example/{prefix}/{lowerprefix}/{crate}/{crate}-{version}.crate?sum={sha256-checksum}",
        );
        assert_eq!(
            dl.url("AbCd", "0.2.0-beta.1", "aa"),
            "https://dl.example/Ab/Cd/ab/cd/AbCd/AbCd-0.2.0-beta.1.crate?sum=aa"
        );
    }

    #[test]
    fn config_json_shape() {
        let c = RegistryConfig { dl: "http://h/dl".into(), api: Some("http://h".into()), auth_required: false };
        assert_eq!(serde_json::to_string(&c).unwrap(), r#"{"dl":"http://h/dl","api":"http://h"}"#);
        let c = RegistryConfig { auth_required: true, ..c };
        assert!(serde_json::to_string(&c).unwrap().ends_with(r#""auth-required":true}"#));
        let parsed: RegistryConfig = serde_json::from_str(r#"{"dl":"x","extra":1}"#).unwrap();
        assert_eq!(parsed.api, None);
    }
}
