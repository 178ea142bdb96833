//! One mailbox, however its address is spelled: what every limit on confirmation mail
//! counts by. Case is folded and a `+tag` dropped (`Name+1@Example.org` is
//! `name@example.org`), so variants of one address share its limits. What cannot be told
//! apart from another mailbox, or shown safely, is refused: quoted local parts, control,
//! bidi and invisible characters.

use super::text::invisible;

/// The address an email subscription is stored and sent to, and the mailbox and domain its
/// limits count by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailAddress {
    /// Trimmed and lower-cased: where the mail goes.
    pub address: String,
    /// `local@domain` without the `+tag`.
    pub mailbox: String,
    pub domain: String,
}

/// `address` as [`MailAddress`], or `None` for what is refused: no single `@`, an empty
/// side, a quoted local part, a space, a control, bidi or invisible character, or nothing
/// left before the `+tag`.
pub fn mail_address(address: &str) -> Option<MailAddress> {
    let address = address.trim().to_lowercase();
    if address
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || invisible(c) || c == '"' || c == '\\')
    {
        return None;
    }
    let (local, domain) = address.rsplit_once('@')?;
    if local.is_empty() || domain.is_empty() || local.contains('@') {
        return None;
    }
    let base = local.split_once('+').map_or(local, |(base, _)| base);
    if base.is_empty() {
        return None;
    }
    Some(MailAddress {
        mailbox: format!("{base}@{domain}"),
        domain: domain.to_owned(),
        address,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_and_tags_fold_into_one_mailbox() {
        for a in [
            "salma@example.ma",
            " Salma@Example.MA ",
            "salma+1@example.ma",
            "SALMA+news+2@EXAMPLE.ma",
        ] {
            let m = mail_address(a).expect(a);
            assert_eq!(m.mailbox, "salma@example.ma", "{a}");
            assert_eq!(m.domain, "example.ma");
        }
        assert_eq!(
            mail_address("Salma+1@Example.ma").expect("valid").address,
            "salma+1@example.ma"
        );
    }

    #[test]
    fn quoted_hidden_and_malformed_addresses_are_refused() {
        for a in [
            "\"salma\"@example.ma",
            "\"sal ma\"@example.ma",
            "sal\\ma@example.ma",
            "salma\u{202e}am.elpmaxe@example.ma",
            "salma@exa\u{200b}mple.ma",
            "salma@example.ma\u{2066}",
            "sal ma@example.ma",
            "salma\r\n@example.ma",
            "+tag@example.ma",
            "salma@",
            "@example.ma",
            "salma",
            "a@b@example.ma",
        ] {
            assert_eq!(mail_address(a), None, "{a:?}");
        }
    }
}
