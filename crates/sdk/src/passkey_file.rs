//! Passkey key files: a software passkey for the CLI and servers (docs/cli.md, "Passkey
//! owners"). JSON with the relying party id, whether assertions show user verification, and the
//! P-256 secret in hex; written 0600, the secret never printed.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::passkey::SoftwarePasskey;

/// The file's contents.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasskeyFile {
    /// Always `leash-passkey-v1`.
    pub kind: String,
    /// The relying party id the passkey answers for (a domain, e.g. `localhost`).
    pub rp_id: String,
    /// Whether the wallet asks for user verification on every assertion.
    pub user_verification: bool,
    /// The P-256 secret scalar, 64 hex digits.
    pub secret: String,
}

const KIND: &str = "leash-passkey-v1";

impl PasskeyFile {
    /// A new random passkey for `rp_id`.
    pub fn generate(rp_id: &str, user_verification: bool) -> PasskeyFile {
        let key = SoftwarePasskey::generate(rp_id);
        PasskeyFile {
            kind: KIND.to_string(),
            rp_id: rp_id.to_string(),
            user_verification,
            secret: key.secret().iter().map(|b| format!("{b:02x}")).collect(),
        }
    }

    /// Reads `path`; the error says what is wrong with the file, never its secret.
    pub fn read(path: &Path) -> Result<PasskeyFile, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read passkey file {}: {e}", path.display()))?;
        let file: PasskeyFile = serde_json::from_str(&text).map_err(|e| {
            format!(
                "{} is not a Leash passkey file (line {}, column {}); make one with `leash passkey new`",
                path.display(),
                e.line(),
                e.column()
            )
        })?;
        if file.kind != KIND {
            return Err(format!(
                "{} is a {:?} file, not {KIND}",
                path.display(),
                file.kind
            ));
        }
        file.key()?;
        Ok(file)
    }

    /// Writes the file with mode 0600; refuses to overwrite one.
    pub fn write_new(&self, path: &Path) -> Result<(), String> {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut out = options
            .open(path)
            .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        let json = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        out.write_all(json.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    }

    /// The software passkey the file holds.
    pub fn key(&self) -> Result<SoftwarePasskey, String> {
        let bad = || "the passkey file's secret is not 64 hex digits of a P-256 key".to_string();
        if self.secret.len() != 64 || !self.secret.is_ascii() {
            return Err(bad());
        }
        let mut secret = [0u8; 32];
        for (i, byte) in secret.iter_mut().enumerate() {
            let pair = self.secret.get(2 * i..2 * i + 2).ok_or_else(bad)?;
            *byte = u8::from_str_radix(pair, 16).map_err(|_| bad())?;
        }
        SoftwarePasskey::from_secret(&secret, &self.rp_id).ok_or_else(bad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_round_trips_and_stays_private() {
        let dir = std::env::temp_dir().join(format!("leash-passkey-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("owner.passkey.json");
        let _ = std::fs::remove_file(&path);
        let file = PasskeyFile::generate("localhost", true);
        file.write_new(&path).unwrap();
        assert!(file.write_new(&path).is_err(), "never overwritten");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let read = PasskeyFile::read(&path).unwrap();
        assert_eq!(
            read.key().unwrap().passkey(true),
            file.key().unwrap().passkey(true)
        );
        std::fs::write(
            &path,
            r#"{"kind":"leash-passkey-v1","rp_id":"x","user_verification":false,"secret":"zz"}"#,
        )
        .unwrap();
        let err = PasskeyFile::read(&path).err().unwrap();
        assert!(err.contains("64 hex digits"), "{err}");
        assert!(!err.contains("zz"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
