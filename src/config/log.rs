//! `[log]`: the log of published facts: its origin (the name on its checkpoints and key),
//! where its signing key is kept, and how often a new checkpoint may be signed.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::validator::Validator;

/// A checkpoint every this often while the log grows, when the file does not say.
const DEFAULT_CHECKPOINT_EVERY: Duration = Duration::from_secs(2);
/// The origin without `public_url`.
const DEFAULT_ORIGIN: &str = "bankstatus";

/// `[log]`.
#[derive(Debug, Clone)]
pub struct LogConfig {
    /// The log's name: the first line of its checkpoints and its key's name. It never
    /// changes once the log has a key.
    pub origin: String,
    /// The signing key's file (created on first start, readable by the service alone);
    /// without it the key is kept in the database.
    pub key_file: Option<PathBuf>,
    /// At most one checkpoint this often, and one soon after the log grew.
    pub checkpoint_every: Duration,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLog {
    origin: Option<Spanned<String>>,
    key_file: Option<Spanned<String>>,
    checkpoint_every: Option<Spanned<String>>,
}

/// Whether `origin` can name a log: what a signed-note key name may hold (no spaces, no
/// `+`), printable, at most 128 characters.
pub fn origin_ok(origin: &str) -> bool {
    (1..=128).contains(&origin.chars().count())
        && !origin
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '+')
}

/// The origin a log takes from the service's address: its host, e.g. `status.example.ma`.
fn origin_of(public_url: Option<&str>) -> String {
    public_url
        .and_then(|u| reqwest::Url::parse(u).ok())
        .and_then(|u| u.host_str().map(str::to_owned))
        .filter(|h| origin_ok(h))
        .unwrap_or_else(|| DEFAULT_ORIGIN.to_owned())
}

impl Validator<'_> {
    pub(super) fn log(&mut self, raw: Option<RawLog>, public_url: Option<&str>) -> LogConfig {
        let raw = raw.unwrap_or_default();
        let origin = match raw.origin {
            Some(o) if !origin_ok(o.get_ref()) => {
                self.error(
                    o.span(),
                    format!(
                        "bad origin `{}`: 1 to 128 printable characters, no spaces and no `+`",
                        o.get_ref()
                    ),
                );
                DEFAULT_ORIGIN.to_owned()
            }
            Some(o) => o.into_inner(),
            None => origin_of(public_url),
        };
        let key_file = raw.key_file.and_then(|f| {
            if f.get_ref().trim().is_empty() {
                self.error(f.span(), "`key_file` is empty: name a file, or leave it out to keep the key in the database");
                return None;
            }
            let base = Path::new(self.path).parent().unwrap_or(Path::new(""));
            Some(base.join(f.get_ref()))
        });
        LogConfig {
            origin,
            key_file,
            checkpoint_every: self.duration_in(
                raw.checkpoint_every,
                DEFAULT_CHECKPOINT_EVERY,
                Duration::from_millis(100)..=Duration::from_secs(3600),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{errors, parse};

    #[test]
    fn the_log_takes_its_defaults_and_its_mistakes_are_placed() {
        let l = parse("", "t.toml").expect("valid").log;
        assert_eq!(l.origin, "bankstatus");
        assert_eq!(l.key_file, None);
        assert_eq!(l.checkpoint_every, DEFAULT_CHECKPOINT_EVERY);
        let l = parse(
            "public_url = \"https://status.example.ma/x\"\n[log]\nkey_file = \"keys/log.key\"\n",
            "/etc/bankstatus/banks.toml",
        )
        .expect("valid")
        .log;
        assert_eq!(l.origin, "status.example.ma");
        assert_eq!(
            l.key_file,
            Some(PathBuf::from("/etc/bankstatus/keys/log.key"))
        );
        let l = parse("[log]\norigin = \"status.example.ma/log\"\n", "t.toml")
            .expect("valid")
            .log;
        assert_eq!(l.origin, "status.example.ma/log");
        let e = errors(
            "[log]\norigin = \"my log\"\nkey_file = \" \"\ncheckpoint_every = \"2h\"\nwitness = 1\n",
        );
        assert_eq!(e, vec!["t.toml:5:1: unknown field `witness`, expected one of `origin`, `key_file`, `checkpoint_every`"]);
        let e = errors("[log]\norigin = \"my log\"\nkey_file = \" \"\ncheckpoint_every = \"2h\"\n");
        assert_eq!(
            e,
            vec![
                "t.toml:2:10: bad origin `my log`: 1 to 128 printable characters, no spaces and no `+`",
                "t.toml:3:12: `key_file` is empty: name a file, or leave it out to keep the key in the database",
                "t.toml:4:20: duration `2h` is out of range (100ms to 1h)",
            ]
        );
        assert!(!origin_ok("a+b"));
        assert!(origin_ok("status.example.ma"));
    }
}
