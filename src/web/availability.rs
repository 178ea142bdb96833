//! How every page writes an availability: the scorecard's channels and banks, the bank
//! page's 90 days and each of its day bars. One function, so the same time reads the same
//! everywhere: truncated to the hundredth and never rounded up (a channel with any downtime
//! never reads 100.00 %), "< 0.01 % down" beside a 99.99 % that would otherwise hide a
//! sliver of downtime, "partial" when too little of the period was watched, and "no data"
//! rather than 100 % without a check.

use crate::domain::Lang;
use crate::i18n::{text, Msg};
use crate::record::availability::Availability;

/// The figure in words, in `lang`.
pub fn availability_text(a: &Availability, lang: Lang) -> String {
    let Some(percent) = a.percent else {
        return text(lang).no_data.to_owned();
    };
    let figure = if a.down_under_a_hundredth() {
        Msg::new("availability-sliver")
            .arg("percent", format!("{percent:.2} %"))
            .text(lang)
    } else {
        format!("{percent:.2} %")
    };
    if a.partial {
        Msg::new("availability-partial")
            .arg("percent", figure)
            .text(lang)
    } else {
        figure
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_a_hundred_with_downtime_and_a_sliver_is_said_in_every_language() {
        let year = 365 * 86_400;
        let sliver = Availability::from_totals(year, year - 3, year);
        assert_eq!(
            availability_text(&sliver, Lang::En),
            "99.99 % (< 0.01 % down)"
        );
        for lang in Lang::ALL {
            let words = availability_text(&sliver, lang);
            assert!(words.starts_with("99.99 %"), "{words}");
            assert!(words.contains("0.01"), "{lang:?}: {words}");
            assert!(!words.contains("availability-sliver"), "{words}");
        }
        let whole = Availability::whole(100, 100);
        assert_eq!(availability_text(&whole, Lang::Fr), "100.00 %");
        let some = Availability::whole(10_000, 9_990);
        assert_eq!(availability_text(&some, Lang::En), "99.90 %");
        let none = Availability::default();
        assert_eq!(availability_text(&none, Lang::En), text(Lang::En).no_data);
        let partial = Availability::from_totals(9, 9, 100);
        assert_eq!(
            availability_text(&partial, Lang::En),
            "partial: 100.00 % of the time monitored"
        );
    }
}
