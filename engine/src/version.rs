//! Versions: the heads of a document, written as lists of hex change hashes.

use std::fmt;

use automerge::ChangeHash;

/// A document's version: the hashes of its head changes, sorted.
///
/// The empty version is the version before a file existed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Version(Vec<ChangeHash>);

/// A version string that is not a list of 64-digit hex change hashes.
#[derive(Debug, thiserror::Error)]
#[error("invalid version hash {value:?}: expected 64 hex digits, as returned in a `version` field")]
pub struct VersionError {
    /// The rejected hash text.
    pub value: String,
}

impl Version {
    /// Builds a version from heads, sorting them so equal versions compare
    /// equal.
    pub fn from_heads(mut heads: Vec<ChangeHash>) -> Version {
        heads.sort();
        heads.dedup();
        Version(heads)
    }

    /// Parses hex hashes.
    pub fn parse<S: AsRef<str>>(hashes: &[S]) -> Result<Version, VersionError> {
        let mut heads = Vec::with_capacity(hashes.len());
        for hash in hashes {
            let text = hash.as_ref();
            let parsed = text
                .parse::<ChangeHash>()
                .ok()
                .filter(|_| text.len() == 64)
                .ok_or_else(|| VersionError {
                    value: text.to_owned(),
                })?;
            heads.push(parsed);
        }
        Ok(Version::from_heads(heads))
    }

    /// The head hashes.
    pub fn heads(&self) -> &[ChangeHash] {
        &self.0
    }

    /// Whether this is the version before the file existed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The hashes as hex strings.
    pub fn to_hex(&self) -> Vec<String> {
        self.0.iter().map(|hash| hash.to_string()).collect()
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex().join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_round_trips_through_hex() {
        let hash = ChangeHash([7; 32]);
        let version = Version::from_heads(vec![hash]);
        let parsed = Version::parse(&version.to_hex()).expect("own output parses");
        assert_eq!(parsed, version);
    }

    #[test]
    fn short_hash_is_rejected() {
        let err = Version::parse(&["abcd"]).expect_err("too short");
        assert!(err.to_string().contains("\"abcd\""));
    }
}
