//! `[email]`: the SMTP server alerts go out through, and the sender they come from.

use serde::Deserialize;
use toml::Spanned;

use super::validator::Validator;

/// `[email]`: the SMTP server alerts go out through. The password, if any, comes from
/// `BANKSTATUS_SMTP_PASSWORD`, never from the file.
#[derive(Debug, Clone)]
pub struct EmailConfig {
    /// `smtp://host:587` (STARTTLS with `?tls=required`), `smtps://host:465`; a user name
    /// may be in it.
    pub smtp_url: String,
    /// The sender, e.g. `bankstatus <alerts@example.org>`.
    pub from: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEmail {
    smtp_url: Spanned<String>,
    from: Spanned<String>,
}

impl Validator<'_> {
    /// The section, when present and right; `has_public_url` says whether the file sets
    /// `public_url`, which email needs.
    pub(super) fn email(
        &mut self,
        raw: Option<Spanned<RawEmail>>,
        has_public_url: bool,
    ) -> Option<EmailConfig> {
        let raw = raw?;
        if !has_public_url {
            // A confirmation goes to an address someone else typed: a link taken from that
            // request's Host header would let anyone send phishing links in our name.
            self.error(
                raw.span(),
                "[email] needs `public_url`: the links in alert emails cannot come from the Host header of whoever subscribed the address",
            );
        }
        self.smtp(raw.into_inner())
    }

    fn smtp(&mut self, raw: RawEmail) -> Option<EmailConfig> {
        let url = raw.smtp_url.get_ref();
        let scheme_ok = reqwest::Url::parse(url)
            .ok()
            .filter(|u| matches!(u.scheme(), "smtp" | "smtps") && u.host_str().is_some());
        if scheme_ok.is_none() {
            self.error(
                raw.smtp_url.span(),
                format!("bad smtp_url `{url}`: use smtp://HOST:PORT or smtps://HOST:PORT"),
            );
        }
        if scheme_ok.as_ref().is_some_and(|u| u.password().is_some()) {
            self.error(
                raw.smtp_url.span(),
                "smtp_url holds a password: put it in BANKSTATUS_SMTP_PASSWORD instead",
            );
            return None;
        }
        if raw
            .from
            .get_ref()
            .parse::<lettre::message::Mailbox>()
            .is_err()
        {
            self.error(
                raw.from.span(),
                format!(
                    "bad from `{}`: use an address such as `bankstatus <alerts@example.org>`",
                    raw.from.get_ref()
                ),
            );
            return None;
        }
        scheme_ok?;
        Some(EmailConfig {
            smtp_url: url.clone(),
            from: raw.from.into_inner(),
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{errors, parse};

    #[test]
    fn email_and_alerts_are_checked() {
        let ok = parse(
            "public_url = \"https://status.example.ma\"\n[email]\nsmtp_url = \"smtp://mail.example.org:587\"\nfrom = \"bankstatus <a@example.org>\"\n[alerts]\nallow_private_targets = true\n",
            "t.toml",
        )
        .expect("valid");
        assert!(ok.email.is_some() && ok.alerts.allow_private_targets);
        assert!(parse("", "t.toml").expect("valid").email.is_none());
        let e = errors(
            "public_url = \"https://status.example.ma\"\n[email]\nsmtp_url = \"smtp://u:secret@mail.example.org\"\nfrom = \"nobody\"\n[alerts]\nsubscriptions_per_hour = 0\n",
        );
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(
            e[0].starts_with("t.toml:3:12: smtp_url holds a password"),
            "{e:?}"
        );
        assert!(e[1].contains("subscriptions_per_hour"), "{e:?}");
        let e = errors(
            "public_url = \"https://status.example.ma\"\n[email]\nsmtp_url = \"http://x\"\nfrom = \"nobody\"\n",
        );
        assert_eq!(e.len(), 2, "{e:?}");
        let e =
            errors("[email]\nsmtp_url = \"smtp://mail.example.org\"\nfrom = \"a@example.org\"\n");
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].contains("[email] needs `public_url`"), "{e:?}");
        assert!(errors("[alerts]\nallow_private = true\n")[0].contains("unknown field"));
    }
}
