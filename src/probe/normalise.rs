//! Text as people write it, made comparable. A page is read for what a visitor sees (no
//! script, style, `<noscript>`, `<template>` or `<svg>`, no comment, no attribute), its
//! entities decoded, then folded the way the phrases it is matched against are folded:
//!
//! - Unicode compatibility normalisation (NFKD: what NFKC composes back, taken apart so the
//!   marks can go), so presentation forms, ligatures and full-width letters read as the
//!   letters they are;
//! - lower case; `ß`, `œ` and `æ` written out;
//! - French accents and the cedilla dropped (`momentanément` and `momentanement` meet);
//! - Arabic diacritics dropped (tashkeel, shadda, tanwin, sukun, the dagger alef, Quranic
//!   marks) with the tatweel, and the letter forms people mix unified: every alef and hamza
//!   seat to its bare letter (`أ إ آ ٱ` to `ا`, `ؤ` to `و`, `ئ` to `ي`), alef maqsura to ya,
//!   ta marbuta to ha, the Persian ya and kaf to the Arabic ones;
//! - Arabic-Indic digits to ASCII;
//! - everything that is not a letter or a digit (punctuation, apostrophes, the Arabic
//!   comma) to a space, zero-width characters removed, and whitespace runs made one space.
//!
//! Pure, and cheap on ASCII: the normalisation is skipped for text that has nothing to
//! normalise.

use std::borrow::Cow;

use unicode_normalization::char::decompose_compatible;

/// Elements whose content a visitor does not read as text. `<noscript>` is left out too:
/// its content shows only to a browser without script (the bank's customers run its script),
/// and on single-page apps it is the "enable JavaScript" boilerplate.
const HIDDEN: [&str; 5] = ["script", "style", "noscript", "template", "svg"];

/// The text a visitor sees in `html`, entities decoded, not yet folded; every tag is a word
/// break. `tag` is told each opening tag: its name as written and its attributes.
pub fn visible_text(html: &str, mut tag: impl FnMut(&str, &str)) -> String {
    let mut out = String::with_capacity(html.len() / 4);
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        push_text(&mut out, &rest[..lt]);
        rest = &rest[lt..];
        if let Some(comment) = rest.strip_prefix("<!--") {
            rest = comment.find("-->").map_or("", |end| &comment[end + 3..]);
            continue;
        }
        let Some(gt) = rest.find('>') else {
            // An unfinished tag at the end: a cut body.
            rest = "";
            break;
        };
        let inner = &rest[1..gt];
        rest = &rest[gt + 1..];
        out.push(' ');
        if inner.starts_with(['/', '!', '?']) {
            continue;
        }
        let name_end = inner
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(inner.len());
        let (name, attrs) = inner.split_at(name_end);
        if name.is_empty() {
            // `a < b` in text: not a tag.
            push_text(&mut out, "<");
            push_text(&mut out, inner);
            continue;
        }
        tag(name, attrs);
        if HIDDEN.iter().any(|h| name.eq_ignore_ascii_case(h)) && !attrs.ends_with('/') {
            rest = after_closing(rest, name);
        }
    }
    push_text(&mut out, rest);
    out
}

/// What follows `</name>` (any case), or nothing when the element is never closed.
fn after_closing<'a>(html: &'a str, name: &str) -> &'a str {
    let mut from = 0;
    while let Some(i) = html[from..].find("</") {
        let at = from + i + 2;
        let candidate = html.get(at..at + name.len());
        if candidate.is_some_and(|c| c.eq_ignore_ascii_case(name)) {
            let close = &html[at + name.len()..];
            return close.find('>').map_or("", |gt| &close[gt + 1..]);
        }
        from = at;
    }
    ""
}

fn push_text(out: &mut String, text: &str) {
    if !text.is_empty() {
        out.push_str(&decode_entities(text));
    }
}

/// Named entities that French and Arabic pages use; any other is decoded when numeric and
/// left as written when named.
const ENTITIES: &[(&str, &str)] = &[
    ("amp", "&"),
    ("lt", "<"),
    ("gt", ">"),
    ("quot", "\""),
    ("apos", "'"),
    ("nbsp", " "),
    ("shy", ""),
    ("zwnj", ""),
    ("zwj", ""),
    ("lrm", ""),
    ("rlm", ""),
    ("rsquo", "’"),
    ("lsquo", "‘"),
    ("rdquo", "”"),
    ("ldquo", "“"),
    ("laquo", "«"),
    ("raquo", "»"),
    ("hellip", "…"),
    ("ndash", "–"),
    ("mdash", "—"),
    ("middot", "·"),
    ("bull", "•"),
    ("copy", "©"),
    ("reg", "®"),
    ("trade", "™"),
    ("euro", "€"),
    ("deg", "°"),
    ("agrave", "à"),
    ("aacute", "á"),
    ("acirc", "â"),
    ("auml", "ä"),
    ("ccedil", "ç"),
    ("egrave", "è"),
    ("eacute", "é"),
    ("ecirc", "ê"),
    ("euml", "ë"),
    ("icirc", "î"),
    ("iuml", "ï"),
    ("ocirc", "ô"),
    ("ouml", "ö"),
    ("ugrave", "ù"),
    ("uacute", "ú"),
    ("ucirc", "û"),
    ("uuml", "ü"),
    ("yuml", "ÿ"),
    ("oelig", "œ"),
    ("aelig", "æ"),
    ("szlig", "ß"),
    ("Agrave", "À"),
    ("Acirc", "Â"),
    ("Ccedil", "Ç"),
    ("Egrave", "È"),
    ("Eacute", "É"),
    ("Ecirc", "Ê"),
    ("Euml", "Ë"),
    ("Icirc", "Î"),
    ("Iuml", "Ï"),
    ("Ocirc", "Ô"),
    ("Ugrave", "Ù"),
    ("Ucirc", "Û"),
    ("OElig", "Œ"),
];

/// `&eacute;`, `&#233;` and `&#xE9;` as the character they stand for.
pub fn decode_entities(text: &str) -> Cow<'_, str> {
    if !text.contains('&') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        // Entities are short: a `;` further than this ends something else.
        let semi = rest
            .char_indices()
            .take(12)
            .find(|(_, c)| *c == ';')
            .map(|(i, _)| i);
        let decoded = semi.and_then(|semi| entity(&rest[1..semi]).map(|c| (c, semi)));
        match decoded {
            Some((text, semi)) => {
                out.push_str(&text);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

fn entity(name: &str) -> Option<Cow<'static, str>> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(code).map(|c| Cow::Owned(c.to_string()));
    }
    ENTITIES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| Cow::Borrowed(*v))
}

/// `text` folded (see the module's doc): words separated by one space, no space at either
/// end.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = true;
    let mut put = |c: char, out: &mut String| {
        if c == ' ' {
            if !space {
                out.push(' ');
                space = true;
            }
        } else {
            out.push(c);
            space = false;
        }
    };
    let mut emit = |l: Letter, out: &mut String| match l {
        Letter::Drop => {}
        Letter::One(c) => put(c, out),
        Letter::Two(a, b) => {
            put(a, out);
            put(b, out);
        }
    };
    // Character by character: the marks NFKD takes apart are dropped anyway, so their
    // canonical order does not matter. ASCII has nothing to decompose, and Arabic letters
    // have no case and only their hamza seats to take apart, which `arabic` does itself.
    for c in text.chars() {
        if c.is_ascii() {
            emit(Letter::One(ascii(c)), &mut out);
        } else if let Some(l) = arabic(c) {
            emit(l, &mut out);
        } else {
            decompose_compatible(c, |d| {
                for lower in d.to_lowercase() {
                    emit(letter(lower), &mut out);
                }
            });
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

fn ascii(c: char) -> char {
    if c.is_ascii_alphanumeric() {
        c.to_ascii_lowercase()
    } else {
        ' '
    }
}

/// An Arabic-block character folded directly, without going through NFKD; `None` for the
/// few compatibility forms of that block (high hamza, Persian and Urdu letters) that NFKD
/// must take apart.
fn arabic(c: char) -> Option<Letter> {
    match c {
        'آ' | 'أ' | 'إ' => Some(Letter::One('ا')),
        'ؤ' => Some(Letter::One('و')),
        'ئ' => Some(Letter::One('ي')),
        '\u{0675}'..='\u{0678}' | '\u{06c0}' | '\u{06c2}' | '\u{06d3}' => None,
        // The plain letters, the most frequent by far: kept as they are.
        '\u{0621}'..='\u{063a}' | '\u{0641}'..='\u{064a}' => Some(match c {
            'ى' => Letter::One('ي'),
            'ة' => Letter::One('ه'),
            c => Letter::One(c),
        }),
        '\u{0600}'..='\u{06ff}' => Some(letter(c)),
        _ => None,
    }
}

/// What one lower-case, decomposed character becomes.
enum Letter {
    Drop,
    One(char),
    Two(char, char),
}

fn letter(c: char) -> Letter {
    match c {
        // Combining marks: Latin accents and the cedilla, then Arabic tashkeel, shadda,
        // tanwin, sukun, the hamza and madda that NFKD takes off their seats, the dagger
        // alef, Quranic marks; and the tatweel, which only stretches a word.
        '\u{0300}'..='\u{036f}'
        | '\u{064b}'..='\u{065f}'
        | '\u{0670}'
        | '\u{06d6}'..='\u{06ed}'
        | '\u{0640}' => Letter::Drop,
        c if crate::domain::invisible(c) || c == '\u{00ad}' => Letter::Drop,
        'ٱ' => Letter::One('ا'),
        'ى' | 'ی' => Letter::One('ي'),
        'ة' => Letter::One('ه'),
        'ک' => Letter::One('ك'),
        '\u{0660}'..='\u{0669}' => Letter::One(shift(c, 0x0660)),
        '\u{06f0}'..='\u{06f9}' => Letter::One(shift(c, 0x06f0)),
        'ß' => Letter::Two('s', 's'),
        'œ' => Letter::Two('o', 'e'),
        'æ' => Letter::Two('a', 'e'),
        c if c.is_alphanumeric() => Letter::One(c),
        _ => Letter::One(' '),
    }
}

/// An Arabic-Indic digit as its ASCII digit; `zero` is the code of its zero.
fn shift(c: char, zero: u32) -> char {
    char::from_digit(u32::from(c) - zero, 10).unwrap_or(' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(html: &str) -> String {
        fold(&visible_text(html, |_, _| {}))
    }

    #[test]
    fn french_accents_case_and_entities_fold_away() {
        for written in [
            "Service momentanément INDISPONIBLE",
            "Service momentanement indisponible",
            "Service momentan&eacute;ment indisponible",
            "Service momentan&#233;ment indisponible",
            "Service momentan&#xE9;ment\u{a0}indisponible.",
            "SERVICE MOMENTANÉMENT INDISPONIBLE !",
            "Service  momentane\u{301}ment\n\tindisponible",
        ] {
            assert_eq!(
                text(written),
                "service momentanement indisponible",
                "{written}"
            );
        }
        assert_eq!(
            fold("Nous serons bientôt de retour"),
            fold("nous serons bientot de retour")
        );
        assert_eq!(fold("Cœur ŒUVRE"), "coeur oeuvre");
        assert_eq!(fold("We’ll be back"), fold("We'll be back"));
        assert_eq!(fold("We’ll be back"), "we ll be back");
        assert_eq!(fold("d’amélioration"), "d amelioration");
    }

    #[test]
    fn arabic_diacritics_and_letter_forms_fold_away() {
        // Shadda and tanwin, as designers write them, and without.
        assert_eq!(
            fold("الخدمة غير متوفّرة حالياً"),
            fold("الخدمة غير متوفرة حاليا")
        );
        assert_eq!(fold("الخدمة غير متوفّرة حالياً"), "الخدمه غير متوفره حاليا");
        // Hamza seats, with and without.
        assert_eq!(fold("أعمال صيانة"), fold("اعمال صيانة"));
        assert_eq!(fold("إصلاح"), fold("اصلاح"));
        assert_eq!(fold("آخر"), fold("اخر"));
        assert_eq!(fold("مؤقتا"), fold("موقتا"));
        assert_eq!(fold("طارئ"), fold("طاري"));
        // Alef maqsura and ya, ta marbuta and ha, tatweel, full tashkeel.
        assert_eq!(fold("إلى"), fold("الي"));
        assert_eq!(fold("صيـــانة"), fold("صيانه"));
        assert_eq!(fold("الصِّيَانَةُ"), fold("الصيانة"));
        // The Arabic comma and question mark are punctuation; digits become ASCII.
        assert_eq!(
            fold("نعتذر، الموقع في طور التحديث؟"),
            "نعتذر الموقع في طور التحديث"
        );
        assert_eq!(fold("من ١٦:٠٠ إلى ۱۸:۰۰"), "من 16 00 الي 18 00");
        // Presentation forms (old converted pages) read as letters.
        assert_eq!(
            fold("\u{fed7}\u{feae}\u{fef3}\u{fe91}\u{fe8e}"),
            fold("قريبا")
        );
        assert_eq!(fold("\u{fefb}"), "لا");
        // Bidi marks and zero-width joiners vanish.
        assert_eq!(fold("متو\u{200c}فرة\u{200f}"), fold("متوفرة"));
    }

    #[test]
    fn only_visible_text_is_read() {
        let html = "<html><head><title>Maintenance</title><style>.a{content:'hidden'}</style>\
            <script>var x = '<p>not text</p>'; if (a < b) {}</script></head>\
            <body><!-- a comment --><p class=\"indisponible\" title='travaux'>Bonjour</p>\
            <noscript>Activez JavaScript</noscript><SCRIPT type=x>caché</SCRIPT>\
            <svg><title>icon</title></svg><p>a &lt; b &amp; c</p><br/>fin";
        assert_eq!(text(html), "maintenance bonjour a b c fin");
        let mut tags = Vec::new();
        visible_text(
            "<form action=x><input type=\"password\"><a href=/>x</a>",
            |n, a| {
                tags.push((n.to_owned(), a.trim().to_owned()));
            },
        );
        assert_eq!(
            tags,
            [
                ("form".into(), "action=x".into()),
                ("input".into(), "type=\"password\"".into()),
                ("a".into(), "href=/".into())
            ]
        );
        // A cut body and an unknown entity stay readable.
        assert_eq!(
            text("<p>Service &unknown; indisponible <scr"),
            "service unknown indisponible"
        );
        assert_eq!(text("<script>never closed"), "");
    }
}
