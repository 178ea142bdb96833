//! Maintenance pages: how an answer is judged to be one. Pure.
//!
//! Text is normalised first (`normalise.rs`), then matched in two ways, on a page shaped like
//! a notice (see [`Detector::judge`]):
//! - the phrases of `config/maintenance_phrases.txt` and the config's own, each enough
//!   alone;
//! - the words of `config/maintenance_words.txt`: a word of trouble ("maintenance",
//!   "indisponible", "صيانة", "upgrade"...) within [`NEAR`] words of a word of time
//!   ("momentanément", "حاليا", "later"...), so that a wording no phrase foresaw is caught
//!   by what it says.
//!
//! A phrase or a word of trouble does not count inside a wording that means something else
//! ("maintenance de votre carte", "update available", "dernière maintenance": the file's
//! `[not]`).
//!
//! Both sides are folded the same way, and words are matched as words: a term's word of
//! four letters or more matches the page's words it starts; Arabic words also after the
//! article and the common proclitics, and a long Arabic word also behind up to two letters
//! of a verb's prefix ("ستتوقف" holds "توقف", Moroccan "كيتجدد" holds "تجدد").

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::normalise::fold;
use super::page::{Page, Usual};

/// The phrases shipped with the service, one per line of the file, without comments.
pub fn builtin_phrases() -> Vec<String> {
    lines(include_str!("../../config/maintenance_phrases.txt"))
        .map(str::to_owned)
        .collect()
}

/// The shipped words by section, as `(kind, word)`.
fn builtin_words() -> Vec<(Kind, &'static str)> {
    let mut kind = Kind::Trouble;
    let mut words = Vec::new();
    for line in lines(include_str!("../../config/maintenance_words.txt")) {
        match line {
            "[trouble]" => kind = Kind::Trouble,
            "[time]" => kind = Kind::Time,
            "[not]" => kind = Kind::Not,
            word => words.push((kind, word)),
        }
    }
    words
}

fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// Whether a redirect target points at a maintenance page.
pub fn maintenance_target(location: &str) -> bool {
    location.to_lowercase().contains("maintenance")
}

/// What a term of the lexicon says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A phrase: enough alone.
    Phrase,
    /// The service is down, unavailable, under maintenance, being upgraded.
    Trouble,
    /// Now, for a while, soon, later, in progress, with apologies.
    Time,
    /// A wording that holds a word of trouble but means something else.
    Not,
}

/// One phrase or word, folded into words, with how it was written.
#[derive(Debug, Clone)]
struct Term {
    words: Vec<String>,
    /// Whether each word is long enough to match the words it starts.
    long: Vec<bool>,
    kind: Kind,
    written: String,
}

/// A word of trouble and a word of time count together this many words apart at most: in
/// the same sentence or the next.
pub const NEAR: usize = 12;
/// Before the usual page is known: a notice has fewer links than a site's menu...
const COLD_MAX_LINKS: u32 = 15;
/// ...and a notice caught by its words alone has at most this many words.
const COLD_MAX_WORDS: u32 = 150;
/// A page that says the service is down fits in a few sentences, even in two languages
/// under the site's header and footer; a longer page is a site (a FAQ, news), whatever it
/// mentions.
const NOTICE_MAX_WORDS: u32 = 400;

/// The phrases and words a page is read for, indexed by their first word.
#[derive(Debug, Clone, Default)]
pub struct Detector {
    terms: Vec<Term>,
    /// [`key`] of a term's first word to the terms that start with it.
    index: HashMap<String, Vec<usize>, BuildHasherDefault<KeyHasher>>,
}

/// A hasher for the index's keys, a few letters each, looked up several times per word of
/// every page read: a multiply-rotate over their bytes (as rustc's `FxHasher` does), far
/// cheaper than the default SipHash. The keys are the service's own words, so no one can
/// choose them to collide.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Why a page was judged a maintenance page: a phrase, or the words found together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// As written in the list: the phrase, or `"word + word"`.
    pub evidence: String,
}

/// The key a word is indexed by: its first four letters, or the whole of a shorter word.
fn key(word: &str) -> &str {
    word.char_indices().nth(4).map_or(word, |(i, _)| &word[..i])
}

/// A term's word matches a page's word when it starts it (four letters or more) or is it;
/// a long Arabic word also one or two letters into it, behind a verb's prefix.
fn word_matches(page_word: &str, term_word: &str, long: bool) -> bool {
    bases(page_word).any(|b| {
        if !long {
            b == term_word
        } else {
            b.starts_with(term_word)
                || (arabic(b)
                    && b.char_indices()
                        .skip(1)
                        .take(2)
                        .any(|(i, _)| b[i..].starts_with(term_word)))
        }
    })
}

fn arabic(word: &str) -> bool {
    word.starts_with(|c: char| ('\u{0600}'..='\u{06ff}').contains(&c))
}

/// A page's word as written, and, for Arabic, without the conjunction (و، ف) and the
/// article or a preposition (ال، بال، لل، كال، ب، ل، ك), when at least three letters
/// remain.
fn bases(word: &str) -> impl Iterator<Item = &str> {
    let strip = |w: &'static [&'static str], from: &str| -> Option<usize> {
        w.iter()
            .find(|p| from.starts_with(**p) && from[p.len()..].chars().count() >= 3)
            .map(|p| p.len())
    };
    let (mut second, mut third) = (None, None);
    if arabic(word) {
        let after_conjunction = strip(&["و", "ف"], word).map(|n| &word[n..]);
        let from = after_conjunction.unwrap_or(word);
        let after_article =
            strip(&["بال", "كال", "ال", "لل", "ب", "ل", "ك"], from).map(|n| &from[n..]);
        second = after_conjunction;
        third = after_article;
    }
    std::iter::once(word).chain(second).chain(third)
}

/// Calls `f` with each key a page's word may be indexed under: each base's, and for Arabic
/// the keys one and two letters in, where a long word may start behind a verb's prefix.
fn each_key<'w>(word: &'w str, mut f: impl FnMut(&'w str)) {
    for b in bases(word) {
        f(key(b));
        if arabic(b) {
            for (i, _) in b.char_indices().skip(1).take(2) {
                f(key(&b[i..]));
            }
        }
    }
}

impl Detector {
    /// The shipped words and `phrases` (the shipped phrases and the config's own).
    pub fn new(phrases: &[String]) -> Detector {
        let mut d = Detector::default();
        for p in phrases {
            d.add(Kind::Phrase, p);
        }
        for (kind, w) in builtin_words() {
            d.add(kind, w);
        }
        d
    }

    fn add(&mut self, kind: Kind, written: &str) {
        let folded = fold(written);
        let words: Vec<String> = folded.split(' ').map(str::to_owned).collect();
        let Some(first) = words.first().filter(|w| !w.is_empty()) else {
            return;
        };
        let known = self
            .terms
            .iter()
            .any(|t| t.kind == kind && t.words == words);
        if known {
            return;
        }
        self.index
            .entry(key(first).to_owned())
            .or_default()
            .push(self.terms.len());
        self.terms.push(Term {
            long: words.iter().map(|w| w.chars().count() >= 4).collect(),
            words,
            kind,
            written: written.to_owned(),
        });
    }

    /// Every term found in folded `words`, with the index of the word it starts at.
    fn scan<'t>(&'t self, words: &[&str]) -> Vec<(usize, &'t Term)> {
        let mut hits = Vec::new();
        let mut candidates: Vec<usize> = Vec::new();
        for (i, w) in words.iter().enumerate() {
            candidates.clear();
            each_key(w, |k| {
                if let Some(ids) = self.index.get(k) {
                    candidates.extend_from_slice(ids);
                }
            });
            if candidates.is_empty() {
                continue;
            }
            candidates.sort_unstable();
            candidates.dedup();
            let rest = &words[i..];
            for &id in &candidates {
                let t = &self.terms[id];
                let found = t.words.len() <= rest.len()
                    && t.words
                        .iter()
                        .zip(&t.long)
                        .zip(rest)
                        .all(|((tw, long), pw)| word_matches(pw, tw, *long));
                if found {
                    hits.push((i, t));
                }
            }
        }
        // A phrase or a word of trouble inside a wording that means something else does
        // not count.
        let other: Vec<std::ops::Range<usize>> = hits
            .iter()
            .filter(|(_, t)| t.kind == Kind::Not)
            .map(|(at, t)| *at..at + t.words.len())
            .collect();
        hits.retain(|(at, t)| {
            !matches!(t.kind, Kind::Phrase | Kind::Trouble) || !other.iter().any(|r| r.contains(at))
        });
        hits
    }

    /// Whether `page` is a maintenance page, given the probe's usual page when known.
    ///
    /// Only a page shaped like a notice can be one: no password field (a page that lets a
    /// customer sign in works), at most [`NOTICE_MAX_WORDS`] words, and unlike the usual
    /// page (much shorter, or without its login form, menu or application); before the
    /// usual page is known, fewer than [`COLD_MAX_LINKS`] links. On such a page a phrase is
    /// enough; words of trouble and of time are enough within [`NEAR`] words of each other
    /// (and, before the usual page is known, on a page of at most [`COLD_MAX_WORDS`]
    /// words). A working page that mentions maintenance (a banner, a FAQ, "maintenance of
    /// your card") is not one.
    pub fn judge(&self, page: &Page, usual: Option<&Usual>) -> Option<Finding> {
        let l = page.landmarks;
        if l.password || page.words > NOTICE_MAX_WORDS {
            return None;
        }
        let words_enough = match usual {
            Some(u) if u.looks_like(page) => return None,
            Some(_) => true,
            None if l.links >= COLD_MAX_LINKS => return None,
            None => page.words <= COLD_MAX_WORDS,
        };
        let text = fold(&page.text);
        let words: Vec<&str> = text.split(' ').collect();
        let hits = self.scan(&words);
        if let Some((_, phrase)) = hits.iter().find(|(_, t)| t.kind == Kind::Phrase) {
            return Some(Finding {
                evidence: phrase.written.clone(),
            });
        }
        if !words_enough {
            return None;
        }
        let of = |kind: Kind| hits.iter().filter(move |(_, t)| t.kind == kind);
        of(Kind::Trouble).find_map(|(at, trouble)| {
            of(Kind::Time)
                .find(|(t_at, time)| {
                    let end = |at: usize, t: &Term| at + t.words.len() - 1;
                    let gap = if t_at >= at {
                        t_at.saturating_sub(end(*at, trouble))
                    } else {
                        at.saturating_sub(end(*t_at, time))
                    };
                    gap <= NEAR && (t_at != at || time.words != trouble.words)
                })
                .map(|(_, time)| Finding {
                    evidence: format!("{} + {}", trouble.written, time.written),
                })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detector() -> Detector {
        Detector::new(&builtin_phrases())
    }

    fn found(page: &str) -> Option<String> {
        detector()
            .judge(&Page::read(page), None)
            .map(|f| f.evidence)
    }

    #[test]
    fn phrases_are_found_however_they_are_typeset() {
        for page in [
            "<h1>Service\n   momentan&eacute;ment INDISPONIBLE</h1>",
            "<p>الخدمة غير متوفرة حاليا، المرجو المحاولة لاحقا</p>",
            "<p>الخدمة غير متوفّرة حالياً</p>",
            "<title>Down for maintenance</title>",
            "<p>We\u{2019}ll be back soon!</p>",
            "<p>Nous serons bient&ocirc;t de retour</p>",
            "<p>Nous serons bient&#244;t de retour</p>",
            "<p>اعمال صيانة</p>",
        ] {
            assert!(found(page).is_some(), "{page}");
        }
        assert_eq!(
            found("<p>Site en maintenance</p>").as_deref(),
            Some("site en maintenance")
        );
        assert!(found("<h1>Bienvenue sur votre espace client</h1>").is_none());
        assert!(maintenance_target("https://bank.example/Maintenance.html"));
        assert!(!maintenance_target("https://bank.example/login"));
    }

    #[test]
    fn words_of_trouble_and_time_together_are_found() {
        for (page, evidence) in [
            (
                "<p>Le service demandé est indisponible pour le moment</p>",
                "indisponib + pour le moment",
            ),
            (
                "<p>Nous procédons à une migration de nos systèmes. Merci de votre patience.</p>",
                "migration + patience",
            ),
            (
                "<p>Our systems are being upgraded. Please try again later.</p>",
                "upgrad + try again",
            ),
            (
                "<p>نعتذر، البوابة الإلكترونية تخضع للتحيين</p>",
                "تحيين + نعتذر",
            ),
            ("<p>البوابة متوقفة دابا</p>", "متوقف + دابا"),
        ] {
            assert_eq!(found(page).as_deref(), Some(evidence), "{page}");
        }
        // Far apart, or only one kind: not enough.
        let far = format!("<p>Maintenance {} bientôt</p>", "mot ".repeat(NEAR + 1));
        assert!(found(&far).is_none());
        assert!(found("<p>Maintenance de votre carte bancaire</p>").is_none());
        assert!(found("<p>Ouvrez un compte en quelques minutes</p>").is_none());
    }

    #[test]
    fn a_working_page_that_mentions_maintenance_is_not_one() {
        let banner = "<form><input type=text><input type=password></form>\
            <p class=banner>Maintenance programmée samedi de 2h à 4h : service momentanément indisponible.</p>";
        assert!(found(banner).is_none(), "a login form is offered");
        let menu: String = (0..20)
            .map(|i| format!("<a href=/{i}>Lien {i}</a>"))
            .collect();
        let faq = format!(
            "{menu}<h2>FAQ</h2><p>Que faire si le service est momentanément indisponible ?</p>"
        );
        assert!(found(&faq).is_none(), "a site's page, with its menu");
        let long = format!(
            "<p>Service momentanément indisponible</p><p>{}</p>",
            "texte ".repeat(400)
        );
        assert!(found(&long).is_none());
    }

    #[test]
    fn the_usual_page_tells_a_notice_from_the_site() {
        let d = detector();
        let menu: String = (0..20)
            .map(|i| format!("<a href=/{i}>Lien {i}</a>"))
            .collect();
        let home = format!(
            "{menu}<form><input type=password></form><p>{}</p>",
            "Bienvenue ".repeat(200)
        );
        let mut usual = Usual::default();
        for _ in 0..3 {
            usual.learn(&Page::read(&home));
        }
        // The menu kept, the login form and the content gone: a notice, though it has
        // the links that make a page a site before the usual page is known.
        let notice = format!("{menu}<p>Travaux en cours sur notre plateforme.</p>");
        let page = Page::read(&notice);
        assert!(d.judge(&page, None).is_none(), "cold: the menu says site");
        assert_eq!(
            d.judge(&page, Some(&usual)).map(|f| f.evidence).as_deref(),
            Some("travaux en cours")
        );
        let words = format!(
            "{menu}<p>Notre plateforme fait l'objet d'une mise à niveau, revenez bientôt.</p>"
        );
        let page = Page::read(&words);
        assert!(d.judge(&page, None).is_none());
        assert_eq!(
            d.judge(&page, Some(&usual)).map(|f| f.evidence).as_deref(),
            Some("mise à niveau + bientôt")
        );
        assert!(d.judge(&Page::read(&home), Some(&usual)).is_none());
    }

    #[test]
    fn other_senses_and_finished_work_do_not_count() {
        for page in [
            "<p>Bientôt : la maintenance de vos terminaux incluse dans le pack.</p>",
            "<p>Frais de maintenance : 120 dirhams, offerts bientôt.</p>",
            "<p>Update available now: a new version of the app.</p>",
            "<h1>التحديث متوفر الآن</h1>",
            "<p>Dernière maintenance programmée : le 10 février, terminée.</p>",
        ] {
            assert!(found(page).is_none(), "{page}");
        }
        // The same words in their maintenance sense still count, an end to come too.
        assert!(found("<p>Maintenance de nos serveurs en cours.</p>").is_some());
        assert!(found("<p>Maintenance en cours. Elle sera terminée à 18h.</p>").is_some());
    }

    #[test]
    fn arabic_verbs_are_matched_behind_their_prefixes() {
        assert_eq!(
            found("<p>ستتوقف الخدمة مؤقتا</p>").as_deref(),
            Some("توقف + مؤقتا")
        );
        assert_eq!(
            found("<p>التطبيق كيتجدد، غادي يرجع قريب</p>").as_deref(),
            Some("تجدد + قريب")
        );
        // A short word of time is matched whole only: "قيد" is not in "تقييد".
        assert!(found("<p>تقييد البطاقة والصيانة</p>").is_none());
    }

    #[test]
    fn arabic_words_match_after_their_proclitics() {
        let words = |w: &str| bases(w).map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(words("والصيانة"), ["والصيانة", "الصيانة", "صيانة"]);
        assert_eq!(words("للتحديث"), ["للتحديث", "تحديث"]);
        assert_eq!(words("maintenance"), ["maintenance"]);
        assert_eq!(words("وقت"), ["وقت"]);
        assert_eq!(key("indisponible"), "indi");
        assert_eq!(key("en"), "en");
    }
}
