//! What the pages say of a bank's word: the "What {bank} says" panel of the bank and
//! incident pages (the latest statement quoted verbatim, earlier ones below, or the silence
//! since the outage began), the line of each bank card on `/`, and the bank's promise as a
//! channel's "until when". The rules are `record/word.rs`'s; this is their wording.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::domain::{Lang, Statement};
use crate::i18n::{duration, duration_seconds, Arg, Msg};
use crate::record::word::{back_at, bank_word, verdict, Verdict, WordFigures};
use crate::store::{IncidentRow, StatementFilter};
use crate::web::error::AppError;
use crate::web::AppState;

/// One statement as a page quotes it.
pub struct QuoteView {
    pub id: i64,
    /// The bank's words to show, each with its language, direction and, when it is not the
    /// reader's language, the label that says which it is.
    pub words: Vec<Words>,
    /// A translation made here into the reader's language, shown as such.
    pub translation: Option<Words>,
    pub said: String,
    /// When it was put on the record, if well after it was said.
    pub recorded: Option<String>,
    pub source: String,
    pub source_url: String,
    /// The promise against what happened, in words.
    pub promise: Option<String>,
}

/// A text with its language (`lang` and `dir` attributes) and what to say before it.
pub struct Words {
    pub lang: &'static str,
    pub dir: &'static str,
    pub label: Option<String>,
    pub text: String,
}

impl Words {
    fn new(lang: Lang, label: Option<String>, text: &str) -> Words {
        Words {
            lang: lang.as_str(),
            dir: if lang.is_rtl() { "rtl" } else { "ltr" },
            label,
            text: text.to_owned(),
        }
    }
}

/// The "What {bank} says" panel.
pub struct SaysPanel {
    /// The id of its heading, one per bank on a page.
    pub anchor: String,
    pub title: String,
    /// "No word from {bank} since the outage began, 2 h 15 min ago."
    pub silence: Option<String>,
    /// The latest first; the earlier ones follow under `earlier_title`.
    pub quotes: Vec<QuoteView>,
    pub earlier_title: String,
}

/// A statement recorded later than this after it was said says when it was recorded.
const RECORDED_LATER: chrono::Duration = chrono::Duration::minutes(10);

/// How the page words things: the zone, the reader's language, the bank, and now.
pub struct Wording<'a> {
    pub tz: Tz,
    pub lang: Lang,
    pub slug: &'a str,
    /// Its name in `lang`.
    pub bank: &'a str,
    pub now: DateTime<Utc>,
}

impl Wording<'_> {
    /// `s` quoted for the reader; `incidents` holds those it speaks of, for its promise.
    pub fn quote(&self, s: &Statement, incidents: &[IncidentRow]) -> QuoteView {
        let lang = self.lang;
        let (words, translation) = match s.in_reader_lang(lang) {
            Some(q) if !q.translated => (vec![Words::new(lang, None, q.text)], None),
            reader => (
                s.originals()
                    .iter()
                    .map(|o| {
                        let label = Msg::new(words_label(o.lang)).text(lang);
                        Words::new(o.lang, Some(label), o.text)
                    })
                    .collect(),
                reader.map(|q| {
                    Words::new(lang, Some(Msg::new("says-translation").text(lang)), q.text)
                }),
            ),
        };
        QuoteView {
            id: s.id,
            words,
            translation,
            said: Msg::new("says-said")
                .with("time", Arg::Time(s.said_at, self.tz))
                .text(lang),
            recorded: (s.recorded_at - s.said_at > RECORDED_LATER).then(|| {
                Msg::new("says-recorded")
                    .with("time", Arg::Time(s.recorded_at, self.tz))
                    .text(lang)
            }),
            source: Msg::new("says-source")
                .arg("kind", source_kind_words(s, lang))
                .text(lang),
            source_url: s.source_url.clone(),
            promise: s
                .expected_back_at
                .map(|promised| self.promise(promised, back_at(s, incidents))),
        }
    }

    /// A promise against the return, in words.
    pub fn promise(&self, promised: DateTime<Utc>, back: Option<DateTime<Utc>>) -> String {
        let time = Arg::Time(promised, self.tz);
        match verdict(promised, back, self.now) {
            Verdict::Pending => Msg::new("promise-pending")
                .arg("bank", self.bank)
                .with("time", time),
            Verdict::Overdue { .. } => Msg::new("promise-overdue")
                .with("time", time)
                .with("late", Arg::Elapsed(promised, self.now)),
            Verdict::Kept { back_at } => {
                Msg::new("promise-kept").with("back", Arg::Time(back_at, self.tz))
            }
            Verdict::Missed { back_at, .. } => Msg::new("promise-missed")
                .with("late", Arg::Elapsed(promised, back_at))
                .with("time", time),
        }
        .text(self.lang)
    }

    /// The panel of `statements` (newest said first); `silent_since` is the start of the
    /// open outage the bank has said nothing about, if there is one.
    pub fn panel(
        &self,
        statements: &[Statement],
        incidents: &[IncidentRow],
        silent_since: Option<DateTime<Utc>>,
    ) -> Option<SaysPanel> {
        if statements.is_empty() && silent_since.is_none() {
            return None;
        }
        Some(SaysPanel {
            anchor: format!("says-{}", self.slug),
            title: Msg::new("says-title")
                .arg("bank", self.bank)
                .text(self.lang),
            silence: silent_since.map(|since| {
                Msg::new("says-silence")
                    .arg("bank", self.bank)
                    .arg("duration", duration(since, self.now, self.lang))
                    .text(self.lang)
            }),
            quotes: statements
                .iter()
                .map(|s| self.quote(s, incidents))
                .collect(),
            earlier_title: Msg::new("says-earlier").text(self.lang),
        })
    }
}

/// The catalogue id of the label before the bank's words in `lang`.
pub fn words_label(lang: Lang) -> &'static str {
    match lang {
        Lang::Ar => "says-words-ar",
        Lang::Fr => "says-words-fr",
        Lang::En => "says-words-en",
    }
}

/// The bank's words in one line of plain text for a reader of `lang`: as it said them in
/// `lang`, else as it said them, followed by a translation made here, said to be one.
pub fn plain_quote(s: &Statement, lang: Lang) -> String {
    match s.in_reader_lang(lang) {
        Some(q) if !q.translated => q.text.to_owned(),
        reader => {
            let mut out: Vec<String> = s.originals().iter().map(|q| q.text.to_owned()).collect();
            if let Some(q) = reader {
                out.push(format!(
                    "({} {})",
                    Msg::new("says-translation").text(lang),
                    q.text
                ));
            }
            out.join(" ")
        }
    }
}

/// Where the bank said it, in words: "Facebook", "SMS to customers".
pub fn source_kind_words(s: &Statement, lang: Lang) -> &'static str {
    crate::i18n::source_kind_name(s.source_kind, lang)
}

/// The outages open now and what the banks said of them: what `/`, the embed and the
/// channels' "until when" need.
pub struct Said {
    pub open: Vec<IncidentRow>,
    pub statements: Vec<Statement>,
}

impl Said {
    /// Read for every bank, or for `only` one.
    pub async fn load(state: &AppState, only: Option<&str>) -> Result<Said, AppError> {
        let open = state
            .store
            .incidents(&crate::store::IncidentFilter {
                bank: only.map(str::to_owned),
                open_only: true,
                limit: 200,
                ..Default::default()
            })
            .await?;
        let statements = Self::statements(state, only).await?;
        Ok(Said { open, statements })
    }

    /// The statements about incidents open now, of every bank or of `only` one.
    pub async fn statements(
        state: &AppState,
        only: Option<&str>,
    ) -> Result<Vec<Statement>, AppError> {
        Ok(state
            .store
            .statements(&StatementFilter {
                bank: only.map(str::to_owned),
                open_incidents: true,
                limit: 500,
                ..Default::default()
            })
            .await?)
    }

    /// The bank's promise for the open incident `incident`, if it gave one.
    pub fn promise(&self, incident: Option<i64>) -> Option<DateTime<Utc>> {
        crate::record::word::promise_for(incident?, &self.statements)
    }

    /// The line of a bank card in trouble: since when, and whether the bank has spoken.
    pub fn card_lines(
        &self,
        bank: &str,
        tz: Tz,
        lang: Lang,
        now: DateTime<Utc>,
    ) -> Option<(String, String)> {
        let w = bank_word(bank, &self.open, &self.statements)?;
        let trouble = Msg::new("card-trouble")
            .with("time", Arg::Time(w.down_since, tz))
            .arg("duration", duration(w.down_since, now, lang))
            .text(lang);
        let word = match (w.promise, w.latest) {
            (Some(p), _) if now <= p => Msg::new("card-promise").with("time", Arg::Time(p, tz)),
            (Some(p), _) => Msg::new("card-promise-overdue").with("time", Arg::Time(p, tz)),
            (None, Some(s)) => Msg::new("card-spoke").with("time", Arg::Time(s.said_at, tz)),
            (None, None) => Msg::new("card-silent"),
        }
        .text(lang);
        Some((trouble, word))
    }
}

/// The incidents `statements` speak of: those in `known`, and the others read by id.
pub async fn incidents_of(
    state: &AppState,
    statements: &[Statement],
    known: &[IncidentRow],
) -> Result<Vec<IncidentRow>, AppError> {
    let mut out: Vec<IncidentRow> = Vec::new();
    for id in statements.iter().flat_map(|s| s.incidents.iter().copied()) {
        if out.iter().any(|i| i.id == id) {
            continue;
        }
        match known.iter().find(|i| i.id == id) {
            Some(row) => out.push(row.clone()),
            None => {
                if let Some((row, _)) = state.store.incident(id).await? {
                    out.push(row);
                }
            }
        }
    }
    Ok(out)
}

/// Until when a channel is expected back by the bank's promise: by its time while it is
/// ahead, and how late once it has passed. Said as the bank's.
pub fn until_promised(promised: DateTime<Utc>, tz: Tz, lang: Lang, now: DateTime<Utc>) -> String {
    if now <= promised {
        Msg::new("until-bank").with("time", Arg::Time(promised, tz))
    } else {
        Msg::new("until-bank-overdue")
            .with("time", Arg::Time(promised, tz))
            .with("late", Arg::Elapsed(promised, now))
    }
    .text(lang)
}

/// A bank's word over a month, as the scorecard says it: its outages with a statement, the
/// median time to its first word, its promises kept and missed.
pub fn score_lines(f: &WordFigures, lang: Lang) -> Vec<String> {
    if f.outages == 0 && f.promises == 0 {
        return Vec::new();
    }
    let median = f
        .median_first_word_seconds
        .map_or_else(|| "–".to_owned(), |s| duration_seconds(s, lang));
    vec![
        Msg::new("score-word-outages")
            .arg("with", f.outages_with_statement)
            .arg("outages", f.outages)
            .text(lang),
        Msg::new("score-word-first")
            .arg("median", median)
            .text(lang),
        Msg::new("score-word-promises")
            .arg("given", f.promises)
            .arg("kept", f.promises_kept)
            .arg("missed", f.promises_missed)
            .arg("past", duration_seconds(f.seconds_past_promises, lang))
            .text(lang),
    ]
}
