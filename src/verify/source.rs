//! Where `bankstatus verify` reads a log from: a running instance over HTTP(S), or a copy
//! saved in a directory with the same paths (`DIR/log/checkpoint`, `DIR/log/tile/...`).
//! What is fetched from an instance can be kept in such a directory as it is read.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// A log to read.
#[derive(Clone)]
pub enum Source {
    Url {
        base: reqwest::Url,
        client: reqwest::Client,
        /// Where to keep a copy of everything read.
        save: Option<PathBuf>,
    },
    Dir(PathBuf),
}

/// Why something could not be read at all (a missing file is not an error: `None`).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ReadError(pub String);

impl Source {
    /// `URL` (http or https) or an existing directory; `None` for anything else.
    pub fn open(place: &str, save: Option<PathBuf>) -> Option<Source> {
        if let Ok(url) = reqwest::Url::parse(place) {
            if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() {
                let base = if url.path().ends_with('/') {
                    url
                } else {
                    reqwest::Url::parse(&format!("{}/", url.as_str())).ok()?
                };
                let client = reqwest::Client::builder()
                    .timeout(Duration::from_secs(30))
                    .user_agent(concat!("bankstatus-verify/", env!("CARGO_PKG_VERSION")))
                    .build()
                    .ok()?;
                return Some(Source::Url { base, client, save });
            }
        }
        let dir = Path::new(place);
        dir.is_dir().then(|| Source::Dir(dir.to_path_buf()))
    }

    pub fn is_site(&self) -> bool {
        matches!(self, Source::Url { .. })
    }

    /// What lives at each of `paths`, fetched a few at a time, in the order asked.
    pub async fn get_many(
        &self,
        paths: Vec<String>,
    ) -> Vec<(String, Result<Option<Vec<u8>>, ReadError>)> {
        const AT_ONCE: usize = 16;
        let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(AT_ONCE));
        let mut tasks = tokio::task::JoinSet::new();
        for (i, path) in paths.into_iter().enumerate() {
            let source = self.clone();
            let permits = permits.clone();
            tasks.spawn(async move {
                let _permit = permits.acquire_owned().await;
                let got = source.get(&path).await;
                (i, path, got)
            });
        }
        let mut out = Vec::new();
        while let Some(done) = tasks.join_next().await {
            if let Ok(item) = done {
                out.push(item);
            }
        }
        out.sort_by_key(|(i, _, _)| *i);
        out.into_iter().map(|(_, p, g)| (p, g)).collect()
    }

    /// What lives at `path` (relative, e.g. `log/checkpoint`), or `None` when there is
    /// nothing there (404, no such file).
    pub async fn get(&self, path: &str) -> Result<Option<Vec<u8>>, ReadError> {
        match self {
            Source::Url { base, client, save } => {
                let url = base
                    .join(path)
                    .map_err(|e| ReadError(format!("{path}: {e}")))?;
                let res = client
                    .get(url.clone())
                    .send()
                    .await
                    .map_err(|e| ReadError(format!("{url}: {e}")))?;
                if res.status() == reqwest::StatusCode::NOT_FOUND {
                    return Ok(None);
                }
                if !res.status().is_success() {
                    return Err(ReadError(format!("{url}: HTTP {}", res.status())));
                }
                let body = res
                    .bytes()
                    .await
                    .map_err(|e| ReadError(format!("{url}: {e}")))?
                    .to_vec();
                if let Some(dir) = save {
                    keep(dir, path, &body)?;
                }
                Ok(Some(body))
            }
            Source::Dir(dir) => {
                let file = dir.join(strip_query(path));
                match std::fs::read(&file) {
                    Ok(body) => Ok(Some(body)),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(ReadError(format!("{}: {e}", file.display()))),
                }
            }
        }
    }
}

/// A saved copy has no query strings: `scorecard/2026-02?format=json` is kept as
/// `scorecard/2026-02.json`.
fn strip_query(path: &str) -> String {
    match path.split_once("?format=") {
        Some((p, ext)) => format!("{p}.{ext}"),
        None => path.to_owned(),
    }
}

fn keep(dir: &Path, path: &str, body: &[u8]) -> Result<(), ReadError> {
    let file = dir.join(strip_query(path));
    if let Some(parent) = file.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| ReadError(format!("{}: {e}", parent.display())))?;
    }
    std::fs::write(&file, body).map_err(|e| ReadError(format!("{}: {e}", file.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_is_a_site_or_a_directory() {
        let dir = tempfile::tempdir().expect("dir");
        assert!(matches!(
            Source::open("https://status.example.ma", None),
            Some(Source::Url { ref base, .. }) if base.as_str() == "https://status.example.ma/"
        ));
        assert!(matches!(
            Source::open(&dir.path().display().to_string(), None),
            Some(Source::Dir(_))
        ));
        assert!(Source::open("ftp://x", None).is_none());
        assert!(Source::open("/no/such/place", None).is_none());
        assert_eq!(
            strip_query("scorecard/2026-02?format=json"),
            "scorecard/2026-02.json"
        );
    }
}
