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
