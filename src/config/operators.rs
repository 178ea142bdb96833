//! `[[operators]]`: the people who may use the operator API and the desk besides
//! `BANKSTATUS_ADMIN_TOKEN`, each with a name for the audit log and a token given either as
//! its SHA-256 or as the environment variable that holds it.

use std::collections::HashSet;
use std::fmt;

use serde::Deserialize;
use toml::Spanned;

use super::validator::Validator;
use crate::keys;

/// The longest operator name, in characters.
const MAX_NAME_CHARS: usize = 64;
/// The name `BANKSTATUS_ADMIN_TOKEN` signs in under; no declared operator may take it.
const ADMIN_NAME: &str = "admin";
/// The fewest characters a token in the environment may have.
const MIN_TOKEN_CHARS: usize = 32;
/// The fewest distinct characters a token in the environment may have: `aaaa…` and
/// `abababab…` are long but guessed at once.
const MIN_TOKEN_DISTINCT: usize = 10;
/// How to make a token that passes, said beside every refusal.
const HOW_TO_MAKE: &str = "`openssl rand -hex 32` makes one";

/// An operator from the config file.
#[derive(Debug, Clone)]
pub struct OperatorDecl {
    /// Shown in the audit log, never to the public: 1 to 64 printable characters, unique,
    /// never `admin`.
    pub name: String,
    pub token: OperatorToken,
}

/// Where an operator's token is known from. `Debug` never shows a digest.
#[derive(Clone)]
pub enum OperatorToken {
    /// The SHA-256 of the token's UTF-8 bytes (`token_sha256`); the token itself is not in
    /// the file.
    Sha256([u8; 32]),
    /// The name of the environment variable holding the token (`token_env`), read when the
    /// service starts.
    Env(String),
}

impl fmt::Debug for OperatorToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OperatorToken::Sha256(_) => f.write_str("Sha256(<hidden>)"),
            OperatorToken::Env(var) => f.debug_tuple("Env").field(var).finish(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOperator {
    name: Option<Spanned<String>>,
    token_sha256: Option<Spanned<String>>,
    token_env: Option<Spanned<String>>,
}

impl Validator<'_> {
    /// Every operator whose name and token are right, in file order.
    pub(super) fn operators(&mut self, raw: Vec<Spanned<RawOperator>>) -> Vec<OperatorDecl> {
        let mut names = HashSet::new();
        raw.into_iter()
            .filter_map(|op| {
                let span = op.span();
                let op = op.into_inner();
                let name = self.operator_name(op.name, span.clone(), &mut names);
                let token = match (op.token_sha256, op.token_env) {
                    (Some(digest), None) => self.token_digest(&digest),
                    (None, Some(var)) => self.token_env(var, name.as_deref()),
                    (Some(_), Some(var)) => {
                        self.error(
                            var.span(),
                            "an operator takes `token_sha256` or `token_env`, not both",
                        );
                        None
                    }
                    (None, None) => {
                        self.error(
                            span,
                            "an operator needs `token_sha256` (the hex SHA-256 of its token) or `token_env` (the environment variable holding its token)",
                        );
                        None
                    }
                };
                Some(OperatorDecl {
                    name: name?,
                    token: token?,
                })
            })
            .collect()
    }

    fn operator_name(
        &mut self,
        raw: Option<Spanned<String>>,
        table: std::ops::Range<usize>,
        names: &mut HashSet<String>,
    ) -> Option<String> {
        let Some(raw) = raw else {
            self.error(table, "an operator needs a `name`, shown in the audit log");
            return None;
        };
        let name = raw.get_ref();
        let chars = name.chars().count();
        let hidden = name
            .chars()
            .find(|&c| c.is_control() || crate::domain::invisible(c));
        let problem = if name.trim().is_empty() {
            Some("an operator's `name` is empty".to_owned())
        } else if let Some(c) = hidden {
            Some(format!(
                "an operator's `name` holds U+{:04X}, a control or invisible character; use printable characters only",
                u32::from(c)
            ))
        } else if chars > MAX_NAME_CHARS {
            Some(format!(
                "an operator's `name` has {chars} characters; use at most {MAX_NAME_CHARS}"
            ))
        } else if name == ADMIN_NAME {
            Some(format!(
                "operator name `{ADMIN_NAME}` is the one BANKSTATUS_ADMIN_TOKEN signs in under; choose another"
            ))
        } else if !names.insert(name.clone()) {
            Some(format!("duplicate operator name `{name}`"))
        } else {
            None
        };
        match problem {
            Some(message) => {
                self.error(raw.span(), message);
                None
            }
            None => Some(raw.into_inner()),
        }
    }

    /// The digest in `token_sha256`; the message never echoes it, in case the token itself
    /// was pasted there.
    fn token_digest(&mut self, raw: &Spanned<String>) -> Option<OperatorToken> {
        let hex = raw.get_ref().trim();
        let problem = if let Some(at) = hex.chars().position(|c| !c.is_ascii_hexdigit()) {
            Some(format!("character {} is not a hex digit", at + 1))
        } else if hex.len() != 64 {
            Some(format!("it has {} characters", hex.len()))
        } else {
            None
        };
        let digest: Option<[u8; 32]> = keys::unhex(hex).and_then(|d| d.try_into().ok());
        let digest = match (problem, digest) {
            (None, Some(digest)) => digest,
            (problem, _) => {
                self.error(
                    raw.span(),
                    format!(
                        "bad `token_sha256`: {}; write the token's SHA-256 as 64 hex characters (`printf %s \"$TOKEN\" | sha256sum`)",
                        problem.as_deref().unwrap_or("it is not hex")
                    ),
                );
                return None;
            }
        };
        if digest == keys::sha256(b"") {
            self.error(
                raw.span(),
                format!("`token_sha256` is the SHA-256 of an empty token; {HOW_TO_MAKE}"),
            );
            return None;
        }
        Some(OperatorToken::Sha256(digest))
    }

    /// The variable's name, and the strength of the token it holds when it is set here.
    fn token_env(&mut self, raw: Spanned<String>, operator: Option<&str>) -> Option<OperatorToken> {
        let var = raw.get_ref();
        if !env_name_ok(var) {
            self.error(
                raw.span(),
                format!(
                    "bad `token_env` `{var}`: the name of an environment variable, such as BANKSTATUS_DESK_1"
                ),
            );
            return None;
        }
        match (self.env)(var) {
            None => self.warn(
                raw.span(),
                format!(
                    "{var} is not set here: operator `{}` cannot sign in until it is",
                    operator.unwrap_or("?")
                ),
            ),
            Some(value) => match value.to_str() {
                None => self.error(
                    raw.span(),
                    format!("the token in {var} is not UTF-8 text; {HOW_TO_MAKE}"),
                ),
                Some(token) => {
                    if let Some(why) = weakness(var, token.trim()) {
                        self.error(raw.span(), why);
                    }
                }
            },
        }
        Some(OperatorToken::Env(raw.into_inner()))
    }
}

/// The bearer tokens read from the environment at start, besides `[[operators]]`' own.
const ENV_TOKENS: [&str; 2] = ["BANKSTATUS_ADMIN_TOKEN", "BANKSTATUS_AGENT_TOKEN"];

impl Validator<'_> {
    /// `BANKSTATUS_ADMIN_TOKEN` and `BANKSTATUS_AGENT_TOKEN`, when set, must be as strong as
    /// an operator's: a short token is guessed online. The environment has no line of its
    /// own, so a weak one is placed at the file's start.
    pub(super) fn env_tokens(&mut self) {
        for var in ENV_TOKENS {
            let Some(value) = (self.env)(var) else {
                continue;
            };
            let why = match value.to_str() {
                None => Some(format!(
                    "the token in {var} is not UTF-8 text; {HOW_TO_MAKE}"
                )),
                Some(token) if token.trim().is_empty() => None,
                Some(token) => weakness(var, token.trim()),
            };
            if let Some(why) = why {
                self.error(0..0, why);
            }
        }
    }
}

/// What makes `token` (held in the variable `var`) too weak to guard the operator API, or
/// `None` when it is strong enough. The message never shows the token.
fn weakness(var: &str, token: &str) -> Option<String> {
    token_weakness(&format!("the token in {var}"), token)
}

/// What makes `token` too weak to guard an API, said of `subject` ("the token in ..."), or
/// `None` when it is strong enough: the rule of every bearer token, the server's and the
/// agent's alike. The message never shows the token.
pub fn token_weakness(subject: &str, token: &str) -> Option<String> {
    let chars = token.chars().count();
    if chars < MIN_TOKEN_CHARS {
        return Some(format!(
            "{subject} has {chars} characters; use at least {MIN_TOKEN_CHARS} ({HOW_TO_MAKE})"
        ));
    }
    let distinct = token.chars().collect::<HashSet<_>>().len();
    (distinct < MIN_TOKEN_DISTINCT).then(|| {
        format!(
            "{subject} has only {distinct} distinct characters; use at least {MIN_TOKEN_DISTINCT} ({HOW_TO_MAKE})"
        )
    })
}

/// A portable environment variable name: a letter or `_`, then letters, digits and `_`.
fn env_name_ok(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;

    use super::*;
    use crate::config::{parse, parse_in, Config};

    /// A strong token: 64 hex characters.
    const STRONG: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    /// The config `text` read with only the variables `vars` set; its errors as shown.
    fn read(text: &str, vars: &[(&str, OsString)]) -> Result<Config, Vec<String>> {
        let env = |name: &str| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
        };
        parse_in(text, "t.toml", &env).map_err(|e| e.0.iter().map(ToString::to_string).collect())
    }

    fn errors(text: &str, vars: &[(&str, OsString)]) -> Vec<String> {
        read(text, vars).err().unwrap_or_default()
    }

    #[test]
    fn operators_are_declared_by_digest_or_by_variable() {
        assert!(parse("", "t.toml").expect("valid").operators.is_empty());
        let text = format!(
            "[[operators]]\nname = \"desk-1\"\ntoken_sha256 = \"{}\"\n[[operators]]\nname = \"Nadia B.\"\ntoken_env = \"BANKSTATUS_DESK_2\"\n",
            STRONG.to_uppercase()
        );
        let c = read(&text, &[("BANKSTATUS_DESK_2", STRONG.into())]).expect("valid");
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        assert_eq!(c.operators.len(), 2);
        assert_eq!(c.operators[0].name, "desk-1");
        let OperatorToken::Sha256(digest) = &c.operators[0].token else {
            panic!("{:?}", c.operators[0]);
        };
        assert_eq!(keys::hex(digest), STRONG);
        assert!(matches!(&c.operators[1].token, OperatorToken::Env(v) if v == "BANKSTATUS_DESK_2"));
        assert!(c.summary().contains("2 operators"), "{}", c.summary());
        // Neither the digest nor the token shows in a debug print of the whole config.
        let shown = format!("{c:?}");
        assert!(!shown.to_lowercase().contains(&STRONG[..16]), "{shown}");
        assert!(shown.contains("Sha256(<hidden>)"), "{shown}");
    }

    #[test]
    fn every_operator_mistake_is_placed() {
        let text = format!(
            "[[operators]]\ntoken_sha256 = \"{STRONG}\"\n\
             [[operators]]\nname = \"desk-2\"\n\
             [[operators]]\nname = \"desk-3\"\ntoken_sha256 = \"{STRONG}\"\ntoken_env = \"DESK_3\"\n\
             [[operators]]\nname = \"desk-4\"\ntoken_sha256 = \"{}\"\n\
             [[operators]]\nname = \"desk-5\"\ntoken_sha256 = \"{}\"\n\
             [[operators]]\nname = \"desk-\u{202e}6\"\ntoken_sha256 = \"{STRONG}\"\n\
             [[operators]]\nname = \"desk-4\"\ntoken_sha256 = \"{STRONG}\"\n\
             [[operators]]\nname = \"admin\"\ntoken_env = \"ADMIN\"\n\
             [[operators]]\nname = \"{}\"\ntoken_env = \"not a name\"\n\
             [[operators]]\nname = \" \"\ntoken_sha256 = \"{}\"\n",
            &STRONG[..40],
            STRONG.replace('9', "g"),
            "x".repeat(65),
            keys::hex(&keys::sha256(b"")),
        );
        let e = errors(&text, &[]);
        let digest_hint =
            "write the token's SHA-256 as 64 hex characters (`printf %s \"$TOKEN\" | sha256sum`)";
        assert_eq!(
            e,
            vec![
                "t.toml:1:1: an operator needs a `name`, shown in the audit log".to_owned(),
                "t.toml:3:1: an operator needs `token_sha256` (the hex SHA-256 of its token) or `token_env` (the environment variable holding its token)".to_owned(),
                "t.toml:8:13: an operator takes `token_sha256` or `token_env`, not both".to_owned(),
                format!("t.toml:11:16: bad `token_sha256`: it has 40 characters; {digest_hint}"),
                format!("t.toml:14:16: bad `token_sha256`: character 1 is not a hex digit; {digest_hint}"),
                "t.toml:16:8: an operator's `name` holds U+202E, a control or invisible character; use printable characters only".to_owned(),
                "t.toml:19:8: duplicate operator name `desk-4`".to_owned(),
                "t.toml:22:8: operator name `admin` is the one BANKSTATUS_ADMIN_TOKEN signs in under; choose another".to_owned(),
                "t.toml:25:8: an operator's `name` has 65 characters; use at most 64".to_owned(),
                "t.toml:26:13: bad `token_env` `not a name`: the name of an environment variable, such as BANKSTATUS_DESK_1".to_owned(),
                "t.toml:28:8: an operator's `name` is empty".to_owned(),
                "t.toml:29:16: `token_sha256` is the SHA-256 of an empty token; `openssl rand -hex 32` makes one".to_owned(),
            ]
        );
        assert!(errors(
            "[[operators]]\nname = \"a\"\ntoken_env = \"A\"\npassword = \"x\"\n",
            &[]
        )[0]
        .starts_with("t.toml:4:1: unknown field `password`"));
    }

    #[test]
    fn a_weak_token_in_the_environment_is_refused() {
        let desk = |var: &str| format!("[[operators]]\nname = \"desk-1\"\ntoken_env = \"{var}\"\n");
        let text = desk("BANKSTATUS_DESK_1");
        let e = errors(&text, &[("BANKSTATUS_DESK_1", "correct-horse".into())]);
        assert_eq!(
            e,
            vec!["t.toml:3:13: the token in BANKSTATUS_DESK_1 has 13 characters; use at least 32 (`openssl rand -hex 32` makes one)"]
        );
        let e = errors(&text, &[("BANKSTATUS_DESK_1", "ab".repeat(20).into())]);
        assert_eq!(
            e,
            vec!["t.toml:3:13: the token in BANKSTATUS_DESK_1 has only 2 distinct characters; use at least 10 (`openssl rand -hex 32` makes one)"]
        );
        // Blanks around the token are not counted: they are not part of it.
        let padded = format!("   {}   ", &STRONG[..31]);
        let e = errors(&text, &[("BANKSTATUS_DESK_1", padded.into())]);
        assert!(e[0].contains("has 31 characters"), "{e:?}");
        assert!(!e[0].contains(&STRONG[..31]), "{e:?}");
        let e = errors(&text, &[("BANKSTATUS_DESK_1", "".into())]);
        assert!(e[0].contains("has 0 characters"), "{e:?}");
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStringExt as _;
            let e = errors(
                &text,
                &[("BANKSTATUS_DESK_1", OsString::from_vec(vec![0xff; 40]))],
            );
            assert_eq!(
                e,
                vec!["t.toml:3:13: the token in BANKSTATUS_DESK_1 is not UTF-8 text; `openssl rand -hex 32` makes one"]
            );
        }
        // Not set here (a config checked away from its secrets): said, not refused.
        let c = read(&text, &[]).expect("valid");
        let warned: Vec<String> = c.warnings.iter().map(ToString::to_string).collect();
        assert_eq!(
            warned,
            vec!["t.toml:3:13: warning: BANKSTATUS_DESK_1 is not set here: operator `desk-1` cannot sign in until it is"]
        );
    }

    #[test]
    fn weak_admin_and_agent_tokens_stop_the_start() {
        let e = errors("", &[("BANKSTATUS_ADMIN_TOKEN", "1234".into())]);
        assert_eq!(
            e,
            vec!["t.toml:1:1: the token in BANKSTATUS_ADMIN_TOKEN has 4 characters; use at least 32 (`openssl rand -hex 32` makes one)"]
        );
        let e = errors("", &[("BANKSTATUS_AGENT_TOKEN", "a".into())]);
        assert!(
            e[0].starts_with("t.toml:1:1: the token in BANKSTATUS_AGENT_TOKEN has 1 characters"),
            "{e:?}"
        );
        // Set empty is unset, as the service reads it.
        assert!(read("", &[("BANKSTATUS_ADMIN_TOKEN", " ".into())]).is_ok());
        assert!(read(
            "",
            &[
                ("BANKSTATUS_ADMIN_TOKEN", STRONG.into()),
                ("BANKSTATUS_AGENT_TOKEN", STRONG.into())
            ]
        )
        .is_ok());
    }

    #[test]
    fn weakness_counts_characters_not_bytes() {
        assert_eq!(weakness("T", STRONG), None);
        assert_eq!(weakness("T", "abcdefghij".repeat(4).as_str()), None);
        // 32 Arabic letters are 64 bytes but 32 characters, with 10 distinct.
        let arabic: String = "ابتثجحخدذر".chars().cycle().take(32).collect();
        assert_eq!(weakness("T", &arabic), None);
        let short: String = arabic.chars().take(31).collect();
        assert!(weakness("T", &short).is_some_and(|w| w.contains("31 characters")));
        assert!(weakness("T", &"abcdefghi".repeat(4)).is_some_and(|w| w.contains("9 distinct")));
    }
}
