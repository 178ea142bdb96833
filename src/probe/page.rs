//! What an HTML answer looks like, and what a bank's page usually looks like.
//!
//! A [`Page`] is read once per check: the text a visitor sees, how many words it has, and
//! its landmarks (a password field, forms, links, scripts). [`Usual`] learns a probe's
//! ordinary page from its healthy checks, as an exponential average, so that a page much
//! shorter than usual, or without the usual login form or menu, stands out. It is kept in
//! memory ([`UsualPages`]): after a restart three healthy checks teach it again, and until
//! then the detector falls back to absolute sizes.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Mutex;

use super::normalise::visible_text;

/// One HTML answer as the maintenance detector reads it.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// The visible text, entities decoded, not folded.
    pub text: String,
    /// Visible words (runs of text holding a letter or a digit).
    pub words: u32,
    pub landmarks: Landmarks,
}

/// The parts of a page that show a working site: a login form, its menu, its application.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Landmarks {
    /// An `<input type="password">`: the page lets a customer sign in.
    pub password: bool,
    pub forms: u32,
    /// `<a>` elements: a site's menu and footer hold dozens, a notice a few.
    pub links: u32,
    /// `<script>` elements: a banking application loads several, a static notice few.
    pub scripts: u32,
}

impl Page {
    pub fn read(html: &str) -> Page {
        let mut landmarks = Landmarks::default();
        let text = visible_text(html, |name, attrs| {
            if name.eq_ignore_ascii_case("a") {
                landmarks.links += 1;
            } else if name.eq_ignore_ascii_case("form") {
                landmarks.forms += 1;
            } else if name.eq_ignore_ascii_case("script") {
                landmarks.scripts += 1;
            } else if name.eq_ignore_ascii_case("input") && is_password(attrs) {
                landmarks.password = true;
            }
        });
        let words = text
            .split_whitespace()
            .filter(|w| w.chars().any(char::is_alphanumeric))
            .count();
        Page {
            text,
            words: u32::try_from(words).unwrap_or(u32::MAX),
            landmarks,
        }
    }
}

/// A body as text: UTF-8 (a sequence cut by the read cap at the end is dropped), or, for a
/// body whose first byte past ASCII is not UTF-8, ISO-8859-1 as older French pages are
/// written, so that their accents fold like any other instead of turning into replacement
/// characters. A UTF-8 page with a stray bad byte further on stays UTF-8.
pub fn decode(body: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(body) {
        Ok(text) => Cow::Borrowed(text),
        Err(e) if e.error_len().is_none() => String::from_utf8_lossy(&body[..e.valid_up_to()]),
        Err(e) if body[..e.valid_up_to()].is_ascii() => {
            Cow::Owned(body.iter().map(|&b| char::from(b)).collect())
        }
        Err(_) => String::from_utf8_lossy(body),
    }
}

/// `type=password` among an `<input>`'s attributes, quoted or not, in any case.
fn is_password(attrs: &str) -> bool {
    let lower = attrs.to_ascii_lowercase();
    let Some(at) = lower.find("type") else {
        return false;
    };
    let value = lower[at + 4..]
        .trim_start()
        .strip_prefix('=')
        .map(|v| v.trim_start().trim_start_matches(['"', '\'']));
    value.is_some_and(|v| v.starts_with("password"))
}

/// Healthy checks before the usual page is trusted.
const READY_AFTER: u32 = 3;
/// The weight of each new healthy check in the average: about the last ten count.
const WEIGHT: f32 = 0.2;

/// A probe's ordinary page, learned from its healthy checks.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usual {
    samples: u32,
    words: f32,
    links: f32,
    scripts: f32,
    forms: f32,
    /// The share of healthy pages that had a password field.
    password: f32,
}

impl Usual {
    /// Takes one healthy page into the average.
    pub fn learn(&mut self, page: &Page) {
        let l = page.landmarks;
        let now = [
            page.words as f32,
            l.links as f32,
            l.scripts as f32,
            l.forms as f32,
            if l.password { 1.0 } else { 0.0 },
        ];
        let fields = [
            &mut self.words,
            &mut self.links,
            &mut self.scripts,
            &mut self.forms,
            &mut self.password,
        ];
        for (field, value) in fields.into_iter().zip(now) {
            *field = if self.samples == 0 {
                value
            } else {
                *field + WEIGHT * (value - *field)
            };
        }
        self.samples = self.samples.saturating_add(1);
    }

    /// Enough healthy checks seen to judge a page against.
    pub fn ready(&self) -> bool {
        self.samples >= READY_AFTER
    }

    /// Whether `page` is the bank's ordinary page: at least half its usual length, and
    /// with its usual landmarks (at least half its links and scripts, a form and a password
    /// field where it usually has them). A maintenance notice replaces the page: it is much
    /// shorter, or it lacks the login form, the menu or the application.
    pub fn looks_like(&self, page: &Page) -> bool {
        let l = page.landmarks;
        let kept = |usual: f32, now: u32, floor: f32| usual < floor || now as f32 >= usual * 0.5;
        page.words as f32 >= self.words * 0.5
            && kept(self.links, l.links, 8.0)
            && kept(self.scripts, l.scripts, 4.0)
            && (self.forms < 0.5 || l.forms > 0)
            && (self.password < 0.5 || l.password)
    }
}

/// Every probe's usual page, shared by the checks (which may run on any task).
#[derive(Debug, Default)]
pub struct UsualPages(Mutex<HashMap<String, Usual>>);

impl UsualPages {
    /// The usual page of `probe`, once it is trusted.
    pub fn get(&self, probe: &str) -> Option<Usual> {
        let map = self.0.lock().ok()?;
        map.get(probe).copied().filter(Usual::ready)
    }

    /// Takes a healthy page of `probe` into its usual page.
    pub fn learn(&self, probe: &str, page: &Page) {
        if let Ok(mut map) = self.0.lock() {
            match map.get_mut(probe) {
                Some(u) => u.learn(page),
                None => {
                    let mut u = Usual::default();
                    u.learn(page);
                    map.insert(probe.to_owned(), u);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOGIN: &str = "<html><head><script src=a.js></script><script src=b.js></script>\
        <script src=c.js></script><script src=d.js></script></head><body><nav>\
        <a href=/>Accueil</a><a href=/p>Particuliers</a><a href=/e>Entreprises</a>\
        <a href=/c>Cartes</a><a href=/cr>Crédits</a><a href=/ep>Épargne</a>\
        <a href=/a>Agences</a><a href=/f>FAQ</a><a href=/ct>Contact</a></nav>\
        <form action=/login><label>Identifiant</label><input name=u>\
        <label>Mot de passe</label><input type='PASSWORD' name=p></form>\
        <p>Bienvenue dans votre espace client. Consultez vos comptes, vos cartes et vos \
        virements en toute sécurité, où que vous soyez.</p></body></html>";

    const NOTICE: &str = "<html><body><img src=logo.png alt=Banque>\
        <h1>Maintenance en cours</h1><p>Merci de revenir plus tard.</p></body></html>";

    #[test]
    fn a_page_is_read_for_its_words_and_landmarks() {
        let p = Page::read(LOGIN);
        assert_eq!(
            p.landmarks,
            Landmarks {
                password: true,
                forms: 1,
                links: 9,
                scripts: 4
            }
        );
        assert_eq!(p.words, 33, "{}", p.text);
        let n = Page::read(NOTICE);
        assert_eq!(n.words, 8);
        assert!(!n.landmarks.password);
        assert!(!is_password("type=\"text\" name=password"));
        assert!(is_password(" type = password"));
    }

    #[test]
    fn bodies_are_read_as_utf8_or_latin1() {
        assert_eq!(decode("Indisponible é".as_bytes()), "Indisponible é");
        let cut = &"مؤقتا".as_bytes()[..5];
        assert_eq!(decode(cut), "مؤ");
        assert_eq!(
            decode(b"Momentan\xe9ment indisponible"),
            "Momentanément indisponible"
        );
        let stray = ["صيانة ".as_bytes(), b"\xff"].concat();
        assert_eq!(decode(&stray), "صيانة \u{fffd}");
    }

    #[test]
    fn the_usual_page_is_learned_from_healthy_checks() {
        let pages = UsualPages::default();
        let login = Page::read(LOGIN);
        for _ in 0..2 {
            pages.learn("bmce/web/0", &login);
        }
        assert!(pages.get("bmce/web/0").is_none(), "not trusted yet");
        pages.learn("bmce/web/0", &login);
        let usual = pages.get("bmce/web/0").expect("trusted after three");
        assert!(usual.looks_like(&login));
        assert!(!usual.looks_like(&Page::read(NOTICE)));
        // The same page without its login form, or without its menu, is not the usual one.
        let no_form = LOGIN.replace("type='PASSWORD'", "type=hidden");
        assert!(!usual.looks_like(&Page::read(&no_form)));
        let no_menu = LOGIN.replace("<a href", "<span data-href");
        assert!(!usual.looks_like(&Page::read(&no_menu)));
        assert!(pages.get("bmce/web/1").is_none());
    }

    #[test]
    fn the_average_follows_a_lasting_change_slowly() {
        let mut u = Usual::default();
        let big = Page {
            words: 500,
            ..Page::default()
        };
        let small = Page {
            words: 100,
            ..Page::default()
        };
        for _ in 0..5 {
            u.learn(&big);
        }
        u.learn(&small);
        assert!((u.words - 420.0).abs() < 0.01, "{}", u.words);
        for _ in 0..30 {
            u.learn(&small);
        }
        assert!(u.looks_like(&small));
    }
}
