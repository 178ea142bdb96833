//! Text that people wrote or that is echoed back to them.

/// Characters that change how text reads without being seen: bidi embeddings, overrides
/// and isolates (`ATM \u{202e}gnp.exe` shows as `ATM exe.png`), zero-width characters and
/// Unicode tags. Arabic needs none of them: its letters carry their own direction, and the
/// page's `dir` does the rest.
pub fn invisible(c: char) -> bool {
    matches!(c,
        '\u{061c}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}' | '\u{180e}' | '\u{feff}' | '\u{e0000}'..='\u{e007f}')
}

/// An http(s) address with a host, as the URL standard serialises it: tabs and line breaks
/// dropped, other control characters percent-encoded. The serialised form is what is
/// stored and written, so no raw input can add a line to a calendar or a header.
pub fn web_url(raw: &str) -> Option<String> {
    let u = url::Url::parse(raw.trim()).ok()?;
    (matches!(u.scheme(), "http" | "https") && u.host_str().is_some()).then(|| u.into())
}

/// Text for a line-based format (iCalendar): a line break of any kind becomes `\n`, which
/// the format escapes, and any other control character a space.
pub fn one_kind_of_break(s: &str) -> String {
    s.replace("\r\n", "\n")
        .chars()
        .map(|c| match c {
            '\r' | '\u{2028}' | '\u{2029}' | '\u{85}' => '\n',
            c if c.is_control() && c != '\n' => ' ',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_web_url_is_stored_as_serialised() {
        let u = web_url("https://bank.ma/news\r\nATTACH:https://evil.example/x").expect("url");
        assert!(!u.contains(['\r', '\n']), "{u}");
        assert_eq!(
            web_url(" http://Bank.MA/a b ").as_deref(),
            Some("http://bank.ma/a%20b")
        );
        assert_eq!(web_url("javascript:alert(1)"), None);
        assert_eq!(web_url("file:///etc/passwd"), None);
    }

    #[test]
    fn every_break_is_one_kind() {
        assert_eq!(one_kind_of_break("a\r\nb\rc\u{0}d\te"), "a\nb\nc d e");
    }
}
