//! The Fluent catalogues, compiled in: one bundle per language. Messages without
//! arguments are formatted once and kept for the life of the process, so pages borrow
//! them; a message missing in a language falls back to English, then to its id.

use std::collections::HashMap;
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use fluent_syntax::ast::Entry;
use unic_langid::LanguageIdentifier;

use crate::domain::Lang;

// One file per area under `locales/{lang}/`, so work on one area never touches another's.
include!(concat!(env!("OUT_DIR"), "/locales.rs"));

struct Language {
    bundle: FluentBundle<FluentResource>,
    /// Every message without arguments, formatted.
    fixed: HashMap<String, &'static str>,
}

fn languages() -> &'static [Language; 3] {
    static LANGUAGES: OnceLock<[Language; 3]> = OnceLock::new();
    LANGUAGES.get_or_init(|| SOURCES.map(|(tag, files)| load(tag, files)))
}

fn load(tag: &str, files: &[(&str, &str)]) -> Language {
    let lang: LanguageIdentifier = tag.parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![lang]);
    // Pages isolate mixed-direction text with <bdi>; marks in feeds and CSV would be noise.
    bundle.set_use_isolating(false);
    let mut ids: Vec<String> = Vec::new();
    for (file, source) in files {
        let resource =
            FluentResource::try_new((*source).to_owned()).unwrap_or_else(|(r, errors)| {
                tracing::error!(
                    tag,
                    file,
                    ?errors,
                    "translation catalogue has syntax errors"
                );
                r
            });
        ids.extend(resource.entries().filter_map(|e| match e {
            Entry::Message(m) => Some(m.id.name.to_owned()),
            _ => None,
        }));
        if let Err(errors) = bundle.add_resource(resource) {
            tracing::error!(
                tag,
                file,
                ?errors,
                "translation catalogue could not be loaded whole"
            );
        }
    }
    let mut fixed = HashMap::with_capacity(ids.len());
    for id in ids {
        // Messages that take arguments are formatted on each use, never cached blank.
        let Some(pattern) = bundle.get_message(&id).and_then(|m| m.value()) else {
            continue;
        };
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, None, &mut errors);
        if errors.is_empty() {
            fixed.insert(id, &*Box::leak(text.into_owned().into_boxed_str()));
        }
    }
    Language { bundle, fixed }
}

fn format(
    bundle: &FluentBundle<FluentResource>,
    id: &str,
    args: Option<&FluentArgs<'_>>,
) -> Option<String> {
    let pattern = bundle.get_message(id)?.value()?;
    let mut errors = Vec::new();
    let text = bundle.format_pattern(pattern, args, &mut errors);
    if !errors.is_empty() {
        tracing::warn!(id, ?errors, "translation could not be formatted");
    }
    Some(text.into_owned())
}

/// The message `id` without arguments in `lang`, if this language has it.
pub(super) fn lookup(lang: Lang, id: &str) -> Option<&'static str> {
    languages()[lang.index()].fixed.get(id).copied()
}

/// The message `id` in `lang`, else in English, else the id itself.
pub fn message(lang: Lang, id: &str) -> &'static str {
    lookup(lang, id)
        .or_else(|| lookup(Lang::En, id))
        .unwrap_or_else(|| {
            tracing::warn!(id, "no translation");
            Box::leak(id.to_owned().into_boxed_str())
        })
}

/// The message `id` with its arguments in `lang`, else in English, else the id itself.
pub fn message_with(lang: Lang, id: &str, args: &[(&str, &str)]) -> String {
    let mut fluent_args = FluentArgs::with_capacity(args.len());
    for (name, value) in args {
        fluent_args.set(*name, *value);
    }
    let all = languages();
    format(&all[lang.index()].bundle, id, Some(&fluent_args))
        .or_else(|| format(&all[Lang::En.index()].bundle, id, Some(&fluent_args)))
        .unwrap_or_else(|| id.to_owned())
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;

    fn ids(source: &str) -> BTreeSet<String> {
        let resource = FluentResource::try_new(source.to_owned())
            .unwrap_or_else(|(_, errors)| panic!("syntax errors: {errors:?}"));
        resource
            .entries()
            .filter_map(|e| match e {
                Entry::Message(m) => Some(m.id.name.to_owned()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn every_language_has_every_message_in_the_same_file() {
        let english: BTreeMap<&str, BTreeSet<String>> =
            SOURCES[2].1.iter().map(|(f, s)| (*f, ids(s))).collect();
        let mut seen = BTreeSet::new();
        for set in english.values() {
            for id in set {
                assert!(seen.insert(id.clone()), "{id} is defined in two files");
            }
        }
        for (tag, files) in SOURCES {
            let these: BTreeMap<&str, BTreeSet<String>> =
                files.iter().map(|(f, s)| (*f, ids(s))).collect();
            assert_eq!(these, english, "{tag} differs from en");
        }
        for lang in Lang::ALL {
            for id in super::super::TEXT_IDS {
                assert!(lookup(lang, id).is_some(), "{id} missing in {lang:?}");
            }
        }
    }

    #[test]
    fn arguments_are_filled_in() {
        let text = message_with(
            Lang::Fr,
            "probe-failing",
            &[
                ("channel", "Banque en ligne"),
                ("status", "Panne majeure"),
                ("detail", "HTTP 503"),
            ],
        );
        assert_eq!(
            text,
            "Les vérifications de « Banque en ligne » échouent (Panne majeure) : HTTP 503"
        );
        assert_eq!(message(Lang::Ar, "no-such-id"), "no-such-id");
    }
}
