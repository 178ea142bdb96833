//! The log's signing key: made on first start and kept in the file `[log] key_file` names
//! (readable by the service alone) or, without one, in the database. Every instance on a
//! database must sign with the same key: the first key a database saw is recorded there,
//! and an instance with another one refuses to start.

use std::io::Write as _;
use std::path::Path;

use crate::config::LogConfig;
use crate::store::{DynStore, StoreError};
use crate::tlog::note::LogKey;

/// The database setting holding the secret key when no file is named.
const SECRET_SETTING: &str = "log_signing_key";
/// The database setting holding the verifier key of the log's first key.
const VERIFIER_SETTING: &str = "log_verifier_key";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the log's key file {path}: {why}")]
    File { path: String, why: String },
    #[error("the log's key is named `{key}` but [log] origin is `{origin}`: a log's origin never changes; set origin back, or start a new log with a new key and database")]
    Renamed { key: String, origin: String },
    #[error("this instance's log key ({mine}) is not the one the log is signed with ({theirs}); every instance must use the same key")]
    Another { mine: String, theirs: String },
    #[error("the stored log key cannot be read: {0}")]
    Unreadable(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The key to sign with, made and kept on first use.
pub async fn load(config: &LogConfig, store: &DynStore) -> Result<LogKey, KeyError> {
    let key = match &config.key_file {
        Some(path) => from_file(path, &config.origin)?,
        None => {
            let fresh = LogKey::generate(&config.origin)
                .map_err(|e| KeyError::Unreadable(e.to_string()))?;
            let kept = store
                .setting_or_insert(SECRET_SETTING, fresh.secret())
                .await?;
            LogKey::from_secret(&kept).map_err(|e| KeyError::Unreadable(e.to_string()))?
        }
    };
    if key.name() != config.origin {
        return Err(KeyError::Renamed {
            key: key.name().to_owned(),
            origin: config.origin.clone(),
        });
    }
    let first = store
        .setting_or_insert(VERIFIER_SETTING, key.verifier_key())
        .await?;
    if first != key.verifier_key() {
        return Err(KeyError::Another {
            mine: key.verifier_key().to_owned(),
            theirs: first,
        });
    }
    Ok(key)
}

/// The key in `path`, or a new one written there (mode 0600) when the file does not exist.
fn from_file(path: &Path, origin: &str) -> Result<LogKey, KeyError> {
    let shown = path.display().to_string();
    let fail = |why: String| KeyError::File {
        path: shown.clone(),
        why,
    };
    match std::fs::read_to_string(path) {
        Ok(text) => LogKey::from_secret(&text).map_err(|e| fail(e.to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = LogKey::generate(origin).map_err(|e| fail(e.to_string()))?;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options
                .open(path)
                .map_err(|e| fail(format!("cannot create it: {e}")))?;
            writeln!(file, "{}", key.secret())
                .and_then(|()| file.sync_all())
                .map_err(|e| fail(format!("cannot write it: {e}")))?;
            tracing::info!(file = %shown, verifier = key.verifier_key(), "made the log's signing key");
            Ok(key)
        }
        Err(e) => Err(fail(format!("cannot read it: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_file_is_made_once_and_read_back() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("log.key");
        let made = from_file(&path, "status.example.ma").expect("made");
        let read = from_file(&path, "status.example.ma").expect("read back");
        assert_eq!(made.verifier_key(), read.verifier_key());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "the service's alone");
        }
        std::fs::write(&path, "not a key").expect("spoil");
        assert!(matches!(
            from_file(&path, "status.example.ma"),
            Err(KeyError::File { .. })
        ));
        let missing_dir = dir.path().join("nowhere/log.key");
        assert!(matches!(
            from_file(&missing_dir, "x"),
            Err(KeyError::File { .. })
        ));
    }
}
