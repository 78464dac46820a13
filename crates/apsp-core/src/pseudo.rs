//! Keyed pseudonymisation of members of the public.
//!
//! Phone numbers of members of the public and person ids are replaced, at ingestion,
//! by HMAC-SHA256(key, domain || value), hex-encoded and truncated to 128 bits. The same
//! key gives the same pseudonym in every table and every run, so joins still work;
//! without the key a pseudonym cannot be reversed by enumerating the (small) space of
//! phone numbers, which a plain hash could. There is no default key: a missing or
//! short key is an error. Officers' ids and work numbers stay in clear.

use std::path::Path;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::{ApspError, Result};

type HmacSha256 = Hmac<Sha256>;

/// Where the key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// A file whose content (trailing newline removed) is the key.
    File(std::path::PathBuf),
    /// An environment variable holding the key.
    Env(String),
}

/// The environment variable read when pseudonymisation is on and no source is named.
pub const DEFAULT_KEY_ENV: &str = "APSP_PSEUDONYM_KEY";

/// Minimum key length in bytes.
pub const MIN_KEY_BYTES: usize = 16;

/// A loaded key, able to pseudonymise values.
#[derive(Clone)]
pub struct Pseudonymiser {
    mac: HmacSha256,
    key_id: String,
}

impl std::fmt::Debug for Pseudonymiser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        f.debug_struct("Pseudonymiser")
            .field("key_id", &self.key_id)
            .finish()
    }
}

/// What a pseudonymised value is, so that a number and an id never share a pseudonym.
#[derive(Debug, Clone, Copy)]
pub enum Domain {
    Number,
    Person,
    /// A raw cell that could not be normalised (only ever shown in quarantine).
    Raw,
    /// An officer id in a research export (officers stay in clear in the engine's
    /// outputs; research exports hide them too, with the researcher's key).
    Officer,
    /// A subject id (person id, number or ingest pseudonym) in a research export.
    Subject,
}

impl Pseudonymiser {
    /// Loads the key from its source. Errors name the source, never the key.
    pub fn load(source: &KeySource) -> Result<Self> {
        let key = match source {
            KeySource::File(p) => {
                let bytes = std::fs::read(p).map_err(|e| {
                    ApspError::Pseudonymisation(format!(
                        "cannot read key file {}: {e}",
                        p.display()
                    ))
                })?;
                let mut bytes = bytes;
                while bytes.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                    bytes.pop();
                }
                bytes
            }
            KeySource::Env(var) => match std::env::var_os(var) {
                Some(v) if !v.is_empty() => v.into_encoded_bytes(),
                _ => {
                    return Err(ApspError::Pseudonymisation(format!(
                        "pseudonymisation is on but the environment variable {var} is not set; \
                         set it or give a key file (there is no default key)"
                    )))
                }
            },
        };
        Self::from_key(&key)
    }

    /// Builds a pseudonymiser from key bytes (at least [`MIN_KEY_BYTES`]).
    pub fn from_key(key: &[u8]) -> Result<Self> {
        if key.len() < MIN_KEY_BYTES {
            return Err(ApspError::Pseudonymisation(format!(
                "key is {} bytes; at least {MIN_KEY_BYTES} are needed",
                key.len()
            )));
        }
        let mac = HmacSha256::new_from_slice(key)
            .map_err(|e| ApspError::Pseudonymisation(format!("bad key: {e}")))?;
        let mut id = mac.clone();
        id.update(b"apsp-key-id");
        let key_id = hex::encode(&id.finalize().into_bytes()[..4]);
        Ok(Pseudonymiser { mac, key_id })
    }

    /// A short public fingerprint of the key (for the manifest): tells two runs used the
    /// same key without revealing it.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The pseudonym of a value: `n_…` for numbers, `p_…` for persons, `r_…` for raw
    /// cells; `o-…` and `s-…` for officers and subjects in research exports.
    pub fn pseudonym(&self, domain: Domain, value: &str) -> String {
        let (prefix, tag): (&str, &[u8]) = match domain {
            Domain::Number => ("n_", b"number\0"),
            Domain::Person => ("p_", b"person\0"),
            Domain::Raw => ("r_", b"raw\0"),
            Domain::Officer => ("o-", b"officer\0"),
            Domain::Subject => ("s-", b"subject\0"),
        };
        let mut mac = self.mac.clone();
        mac.update(tag);
        mac.update(value.as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut out = String::with_capacity(34);
        out.push_str(prefix);
        out.push_str(&hex::encode(&digest[..16]));
        out
    }
}

/// Resolves the key source from the two user options (file wins; else env var).
pub fn key_source(key_file: Option<&Path>, key_env: Option<&str>) -> KeySource {
    match (key_file, key_env) {
        (Some(f), _) => KeySource::File(f.to_path_buf()),
        (None, Some(v)) => KeySource::Env(v.to_string()),
        (None, None) => KeySource::Env(DEFAULT_KEY_ENV.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_and_domain_separated() {
        let p = Pseudonymiser::from_key(b"0123456789abcdef-test").unwrap();
        let a = p.pseudonym(Domain::Number, "+447700900123");
        assert_eq!(a, p.pseudonym(Domain::Number, "+447700900123"));
        assert!(a.starts_with("n_") && a.len() == 34);
        assert_ne!(&a[2..], &p.pseudonym(Domain::Person, "+447700900123")[2..]);
        let q = Pseudonymiser::from_key(b"another key of 16+ bytes").unwrap();
        assert_ne!(a, q.pseudonym(Domain::Number, "+447700900123"));
    }

    #[test]
    fn known_vector() {
        // HMAC-SHA256(key="0123456789abcdef", msg="number\0+447700900123"), first 16 bytes,
        // computed independently with Python's hmac module.
        let p = Pseudonymiser::from_key(b"0123456789abcdef").unwrap();
        assert_eq!(
            p.pseudonym(Domain::Number, "+447700900123"),
            format!("n_{}", KNOWN)
        );
    }
    const KNOWN: &str = "5cdcc56f305e44ab218cf1f2e229d0a8";

    #[test]
    fn refuses_short_or_missing_key() {
        assert!(Pseudonymiser::from_key(b"short").is_err());
        let err = Pseudonymiser::load(&KeySource::Env("APSP_TEST_NO_SUCH_VAR_42".into()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("APSP_TEST_NO_SUCH_VAR_42"), "{err}");
    }
}
