//! What a customer says fails, by channel: the codes a report may carry. Each channel has
//! its own short list and every channel also takes `other`.

use std::str::FromStr;

use serde::Serialize;

use super::Channel;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Symptom {
    NoCash,
    CardRetained,
    OutOfService,
    RefusedInStore,
    RefusedOnline,
    TerminalDown,
    NotSent,
    NotReceived,
    Delayed,
    CannotLogIn,
    Error,
    WrongBalance,
    OperationFails,
    SystemDown,
    ChequeRefused,
    Other,
}

impl Symptom {
    pub fn as_str(self) -> &'static str {
        match self {
            Symptom::NoCash => "no_cash",
            Symptom::CardRetained => "card_retained",
            Symptom::OutOfService => "out_of_service",
            Symptom::RefusedInStore => "refused_in_store",
            Symptom::RefusedOnline => "refused_online",
            Symptom::TerminalDown => "terminal_down",
            Symptom::NotSent => "not_sent",
            Symptom::NotReceived => "not_received",
            Symptom::Delayed => "delayed",
            Symptom::CannotLogIn => "cannot_log_in",
            Symptom::Error => "error",
            Symptom::WrongBalance => "wrong_balance",
            Symptom::OperationFails => "operation_fails",
            Symptom::SystemDown => "system_down",
            Symptom::ChequeRefused => "cheque_refused",
            Symptom::Other => "other",
        }
    }

    /// The symptoms a report of `channel` may name, in the order the form lists them.
    pub fn of(channel: Channel) -> &'static [Symptom] {
        use Symptom::*;
        match channel {
            Channel::Atm => &[NoCash, CardRetained, OutOfService, Other],
            Channel::Cards => &[RefusedInStore, RefusedOnline, TerminalDown, Other],
            Channel::Transfers => &[NotSent, NotReceived, Delayed, Other],
            Channel::Web | Channel::Mobile => {
                &[CannotLogIn, Error, WrongBalance, OperationFails, Other]
            }
            Channel::Branches => &[SystemDown, ChequeRefused, Other],
        }
    }

    /// The symptom `code` of `channel`, or the message that lists the channel's codes.
    pub fn parse_for(channel: Channel, code: &str) -> Result<Symptom, String> {
        code.parse::<Symptom>()
            .ok()
            .filter(|s| Symptom::of(channel).contains(s))
            .ok_or_else(|| {
                Symptom::of(channel)
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
    }
}

impl FromStr for Symptom {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Channel::ALL
            .iter()
            .flat_map(|c| Symptom::of(*c))
            .find(|x| x.as_str() == s)
            .copied()
            .ok_or_else(|| format!("unknown symptom `{s}`"))
    }
}

impl std::fmt::Display for Symptom {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_channel_has_its_own_list_and_other() {
        for c in Channel::ALL {
            assert!(Symptom::of(c).contains(&Symptom::Other), "{c:?}");
            for s in Symptom::of(c) {
                assert_eq!(s.as_str().parse::<Symptom>(), Ok(*s));
            }
        }
        assert_eq!(
            Symptom::parse_for(Channel::Atm, "no_cash"),
            Ok(Symptom::NoCash)
        );
        let refused = Symptom::parse_for(Channel::Atm, "cheque_refused").unwrap_err();
        assert_eq!(refused, "no_cash, card_retained, out_of_service, other");
        assert!(Symptom::parse_for(Channel::Web, "nope").is_err());
    }
}
