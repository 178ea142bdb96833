//! Maintenance pages: the built-in phrases (`config/maintenance_phrases.txt`, compiled in)
//! and how an answer is read for them. Pure.

/// The phrases shipped with the service, one per line of the file, without comments.
pub fn builtin_phrases() -> Vec<String> {
    include_str!("../../config/maintenance_phrases.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// Phrases made ready to look for: each normalised as a page is.
#[derive(Debug, Clone, Default)]
pub struct Phrases(Vec<(String, String)>);

impl Phrases {
    pub fn new(phrases: &[String]) -> Phrases {
        Phrases(
            phrases
                .iter()
                .map(|p| (normalise(p), p.clone()))
                .filter(|(n, _)| !n.is_empty())
                .collect(),
        )
    }

    /// The first phrase found in `page`, as written in the list.
    pub fn find(&self, page: &str) -> Option<&str> {
        let page = normalise(page);
        self.0
            .iter()
            .find(|(n, _)| page.contains(n.as_str()))
            .map(|(_, p)| p.as_str())
    }
}

/// Whether a redirect target points at a maintenance page.
pub fn maintenance_target(location: &str) -> bool {
    location.to_lowercase().contains("maintenance")
}

/// Lower case, the entities of French accents and spaces decoded, whitespace runs made one
/// space and typographic apostrophes plain: the same sentence matches however it was
/// typeset.
fn normalise(text: &str) -> String {
    const ENTITIES: [(&str, &str); 14] = [
        ("&eacute;", "é"),
        ("&egrave;", "è"),
        ("&ecirc;", "ê"),
        ("&agrave;", "à"),
        ("&acirc;", "â"),
        ("&ccedil;", "ç"),
        ("&ocirc;", "ô"),
        ("&ucirc;", "û"),
        ("&icirc;", "î"),
        ("&nbsp;", " "),
        ("&#233;", "é"),
        ("&#232;", "è"),
        ("&#39;", "'"),
        ("&rsquo;", "'"),
    ];
    let mut lower = text.to_lowercase();
    if lower.contains('&') {
        for (entity, plain) in ENTITIES {
            lower = lower.replace(entity, plain);
        }
    }
    let mut out = String::with_capacity(lower.len());
    let mut space = false;
    for c in lower.chars() {
        let c = if c == '\u{2019}' { '\'' } else { c };
        if c.is_whitespace() {
            if !space && !out.is_empty() {
                out.push(' ');
            }
            space = true;
        } else {
            out.push(c);
            space = false;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_in_three_languages_are_recognised() {
        let phrases = Phrases::new(&builtin_phrases());
        for page in [
            "<h1>Service\n   momentan&eacute;ment INDISPONIBLE</h1>",
            "<p>الخدمة غير متوفرة حاليا، المرجو المحاولة لاحقا</p>",
            "<title>Down for maintenance</title>",
            "<p>We\u{2019}ll be back soon!</p>",
        ] {
            assert!(phrases.find(page).is_some(), "{page}");
        }
        assert!(phrases
            .find("<h1>Bienvenue sur votre espace client</h1>")
            .is_none());
        assert!(maintenance_target("https://bank.example/Maintenance.html"));
        assert!(!maintenance_target("https://bank.example/login"));
    }
}
