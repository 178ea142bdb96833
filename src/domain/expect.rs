//! What a probe expects of an answer beyond its status: words the body must or must not
//! hold, a pattern, a JSON value, how redirects are taken, and the maintenance pages and
//! certificates it watches for. Checked in `probe::check`; parsed and validated in
//! `config`.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How a probe takes redirects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Redirects {
    /// Follow up to this many hops; past that the check fails with class `redirect`. Zero
    /// judges the redirect itself as the answer.
    Follow(u8),
    /// A redirect fails the check with class `redirect`.
    Refuse,
}

/// Hops followed when a probe does not say.
pub const DEFAULT_REDIRECTS: u8 = 5;

impl Default for Redirects {
    fn default() -> Self {
        Redirects::Follow(DEFAULT_REDIRECTS)
    }
}

/// A regular expression that travels as its source text (the server hands probes to its
/// agents); it was checked when the config was read.
#[derive(Debug, Clone)]
pub struct Pattern(regex::Regex);

impl Pattern {
    pub fn new(source: &str) -> Result<Pattern, regex::Error> {
        regex::RegexBuilder::new(source)
            .size_limit(1 << 20)
            .build()
            .map(Pattern)
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.0.is_match(text)
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Serialize for Pattern {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let source = String::deserialize(d)?;
        Pattern::new(&source).map_err(serde::de::Error::custom)
    }
}

/// One step of a JSON path: a member or an array index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// A value an app back-end's JSON answer must hold at a path, e.g. `$.status` = `"UP"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonCheck {
    /// The path as written, for evidence.
    pub path: String,
    pub steps: Vec<Step>,
    pub equals: serde_json::Value,
}

impl JsonCheck {
    /// Reads a path of the form `$`, `$.a.b`, `$.items[0].state`, `$['a key']`.
    pub fn parse_path(path: &str) -> Result<Vec<Step>, String> {
        let bad = |why: &str| Err(format!("bad JSON path `{path}`: {why}"));
        let Some(mut rest) = path.strip_prefix('$') else {
            return bad("it must start with `$`");
        };
        let mut steps = Vec::new();
        while !rest.is_empty() {
            if let Some(r) = rest.strip_prefix('.') {
                let end = r.find(['.', '[']).unwrap_or(r.len());
                let key = &r[..end];
                if key.is_empty() {
                    return bad("a member name is empty");
                }
                steps.push(Step::Key(key.to_owned()));
                rest = &r[end..];
            } else if let Some(r) = rest.strip_prefix("['") {
                let Some(end) = r.find("']") else {
                    return bad("a quoted member is not closed with `']`");
                };
                steps.push(Step::Key(r[..end].to_owned()));
                rest = &r[end + 2..];
            } else if let Some(r) = rest.strip_prefix('[') {
                let Some(end) = r.find(']') else {
                    return bad("an index is not closed with `]`");
                };
                let Ok(i) = r[..end].parse::<usize>() else {
                    return bad("an index must be a whole number");
                };
                steps.push(Step::Index(i));
                rest = &r[end + 1..];
            } else {
                return bad("expected `.name`, `['name']` or `[index]`");
            }
        }
        Ok(steps)
    }

    /// The value at the path, if there is one.
    pub fn find<'a>(&self, doc: &'a serde_json::Value) -> Option<&'a serde_json::Value> {
        self.steps.iter().try_fold(doc, |v, step| match step {
            Step::Key(k) => v.get(k),
            Step::Index(i) => v.get(i),
        })
    }
}

/// Everything a probe checks beyond the status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Expect {
    /// Text that must be in the body.
    pub body_contains: Option<String>,
    /// Texts any of which in the body fails the check.
    pub body_not_contains: Vec<String>,
    pub body_matches: Option<Pattern>,
    pub json: Option<JsonCheck>,
    pub redirects: Redirects,
    /// URL substrings: a redirect to a matching URL fails the check.
    pub redirect_not_to: Vec<String>,
    /// Whether HTML answers are read for maintenance phrases.
    pub detect_maintenance_page: bool,
    /// A certificate closer than this to its expiry is a notice.
    pub tls_expiry_warning: Duration,
}

/// How close to its expiry a certificate is shown as a notice, when a probe does not say.
pub const DEFAULT_TLS_WARNING: Duration = Duration::from_secs(14 * 86_400);

impl Default for Expect {
    fn default() -> Self {
        Expect {
            body_contains: None,
            body_not_contains: Vec::new(),
            body_matches: None,
            json: None,
            redirects: Redirects::default(),
            redirect_not_to: Vec::new(),
            detect_maintenance_page: true,
            tls_expiry_warning: DEFAULT_TLS_WARNING,
        }
    }
}

impl Expect {
    /// Whether any check needs the body.
    pub fn reads_body(&self) -> bool {
        self.body_contains.is_some()
            || !self.body_not_contains.is_empty()
            || self.body_matches.is_some()
            || self.json.is_some()
            || self.detect_maintenance_page
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_paths_read_members_and_indexes() {
        let steps = JsonCheck::parse_path("$.data['the state'][1].code").expect("path");
        assert_eq!(
            steps,
            [
                Step::Key("data".into()),
                Step::Key("the state".into()),
                Step::Index(1),
                Step::Key("code".into())
            ]
        );
        let check = JsonCheck {
            path: "$.data['the state'][1].code".into(),
            steps,
            equals: serde_json::json!("UP"),
        };
        let doc = serde_json::json!({"data": {"the state": [{}, {"code": "UP"}]}});
        assert_eq!(check.find(&doc), Some(&serde_json::json!("UP")));
        assert_eq!(JsonCheck::parse_path("$").expect("root"), []);
        for bad in ["status", "$.", "$[x]", "$['open", "$..a", "$[1"] {
            assert!(JsonCheck::parse_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn patterns_travel_as_text() {
        let p = Pattern::new("(?i)attijari").expect("pattern");
        let json = serde_json::to_string(&p).expect("json");
        let back: Pattern = serde_json::from_str(&json).expect("back");
        assert!(back.is_match("ATTIJARINET"));
        assert!(serde_json::from_str::<Pattern>("\"(\"").is_err());
    }
}
