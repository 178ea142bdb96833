//! Pure types and rules of the tracker: banks, cities, channels, statuses, incidents, the
//! banks' own statements, corrections of published entries. No IO here.

pub mod account;
pub mod bank;
pub mod channel;
pub mod city;
pub mod correction;
pub mod expect;
pub mod fact;
pub mod incident;
pub mod lang;
pub mod mailbox;
pub mod probe;
pub mod statement;
pub mod status;
pub mod symptom;
pub mod text;

pub use account::OpenSpans;
pub use bank::{Bank, Names};
pub use channel::Channel;
pub use city::City;
pub use correction::{corrected, Corrected, Correction};
pub use expect::{Expect, JsonCheck, Pattern, Redirects};
pub use fact::{Affected, FactKind, IncidentFact, Logged, Step, WindowFact};
pub use incident::{IncidentKind, IncidentState, OpenKey, Source};
pub use lang::Lang;
pub use mailbox::{mail_address, MailAddress};
pub use probe::{
    region_name_ok, CheckEvidence, ErrorClass, Hop, Outcome, ProbeResult, ProbeSpec, ProbeTarget,
};
pub use statement::{quote_fault, SourceKind, Statement};
pub use status::{Confidence, Status};
pub use symptom::Symptom;
pub use text::{invisible, one_kind_of_break, web_url};

/// A closed set of words of the public contract, parsed from queries and bodies.
pub trait Vocabulary: std::str::FromStr {
    /// Every word, in the order errors list them.
    const NAMES: &'static [&'static str];
}
