//! What a config mistake looks like when it is shown: one line, `PATH:LINE:COL: message`,
//! whatever the file held, with echoed values cut short.

use std::fmt;

/// One mistake in a config file, with its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub path: String,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl fmt::Display for ConfigError {
    /// Always one line, `PATH:LINE:COL: message`, free of control characters, whatever the
    /// file held: scripts split the output on newlines.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            one_line(&self.path, usize::MAX),
            self.line,
            self.col,
            one_line(&self.message, MAX_MESSAGE)
        )
    }
}

/// Every mistake found in a config file; displayed one per line.
#[derive(Debug, Clone)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&lines.join("\n"))
    }
}

impl std::error::Error for ConfigErrors {}

/// The longest quoted value a message echoes, in characters.
const MAX_ECHO: usize = 80;
/// The longest message, in characters.
const MAX_MESSAGE: usize = 400;

/// `text` on one line: each run of control characters (line breaks included) becomes one
/// space, invisible formatting characters are dropped, a value quoted in backticks or
/// double quotes (as the TOML parser quotes them) is cut at [`MAX_ECHO`] characters and the
/// whole at `max`; an empty message says that the file could not be read there.
fn one_line(text: &str, max: usize) -> String {
    let mut out = String::new();
    let mut len = 0;
    // The quote that opened the value being echoed, and its length so far.
    let mut quoted = None::<(char, usize)>;
    let mut gap = false;
    for c in text.chars() {
        if c.is_control() {
            gap = true;
            continue;
        }
        if crate::domain::invisible(c) {
            continue;
        }
        if gap && !out.is_empty() {
            out.push(' ');
            if let Some((_, n)) = quoted.as_mut() {
                *n += 1;
            }
        }
        gap = false;
        match quoted {
            None if c == '`' || c == '"' => quoted = Some((c, 0)),
            Some((open, _)) if c == open => quoted = None,
            Some((open, n)) if n >= MAX_ECHO => {
                if n == MAX_ECHO {
                    out.push('…');
                    quoted = Some((open, n + 1));
                }
                continue;
            }
            Some((open, n)) => quoted = Some((open, n + 1)),
            None => {}
        }
        out.push(c);
        len += 1;
        if len >= max {
            out.push('…');
            break;
        }
    }
    let out = out.trim().to_owned();
    if out.is_empty() {
        "this cannot be read as TOML".to_owned()
    } else {
        out
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub(super) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

/// An IO error as a sentence without the OS's error number.
pub(super) fn io_words(e: &std::io::Error) -> &'static str {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file",
        std::io::ErrorKind::PermissionDenied => "permission denied",
        std::io::ErrorKind::IsADirectory => "it is a directory",
        _ => "it cannot be read",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_one_clean_line_with_short_echoes() {
        let long = "x".repeat(10_000_000);
        let e = super::ConfigError {
            path: "a\nb.toml".to_owned(),
            line: 3,
            col: 7,
            message: format!("bad URL `{long}`:\r\n  relative URL\u{1b}[31m"),
        };
        let shown = e.to_string();
        assert!(!shown.chars().any(char::is_control), "{shown:?}");
        assert!(shown.len() < 300, "{} bytes", shown.len());
        assert!(shown.starts_with("a b.toml:3:7: bad URL `xxx"), "{shown}");
        assert!(shown.contains("x…`:"), "{shown}");
        assert!(shown.ends_with("relative URL [31m"), "{shown}");
        let empty = super::ConfigError {
            message: "\r".to_owned(),
            ..e
        };
        assert_eq!(
            empty.to_string(),
            "a b.toml:3:7: this cannot be read as TOML"
        );
        let parsed = crate::config::parse("x = \"a\nb\"", "c.toml").unwrap_err();
        assert_eq!(parsed.to_string().lines().count(), 1, "{parsed}");
        // A value the TOML parser quotes itself is cut too, and invisible characters go.
        let quoted = super::ConfigError {
            message: format!("invalid type: string \"{long}\", expected \u{202e}an integer"),
            ..empty
        };
        let shown = quoted.to_string();
        assert!(shown.len() < 200, "{} bytes", shown.len());
        assert!(shown.ends_with("x…\", expected an integer"), "{shown}");
    }

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("ab\ncé=x", 7), (2, 4));
        assert_eq!(line_col("", 0), (1, 1));
    }
}
