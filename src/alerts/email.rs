//! Email: the messages (plain text and HTML, Arabic right-to-left, one-click unsubscribe by
//! RFC 8058) and the SMTP transport from `[email]`.

use std::time::Duration;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::EmailConfig;
use crate::domain::Lang;

/// The environment variable that holds the SMTP password.
pub const PASSWORD_ENV: &str = "BANKSTATUS_SMTP_PASSWORD";

pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The domain of the sender, for Message-IDs.
    domain: String,
}

/// What one message says; the links are absolute.
pub struct Mail<'a> {
    pub to: &'a str,
    /// Stable across retries: the Message-ID is made from it.
    pub id: &'a str,
    pub lang: Lang,
    pub subject: &'a str,
    /// Paragraphs of plain text.
    pub paragraphs: &'a [String],
    /// The main link, if any, with its words.
    pub link: Option<(&'a str, &'a str)>,
    /// The one-click unsubscribe URL and the manage page, with the footer's words.
    pub unsubscribe: Option<&'a str>,
    pub footer: &'a str,
}

impl Mailer {
    pub fn new(config: &EmailConfig, timeout: Duration) -> Result<Mailer, String> {
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(&config.smtp_url)
            .map_err(|e| format!("smtp_url: {e}"))?
            .timeout(Some(timeout));
        if let Ok(password) = std::env::var(PASSWORD_ENV) {
            let user = reqwest::Url::parse(&config.smtp_url)
                .ok()
                .map(|u| u.username().to_owned())
                .unwrap_or_default();
            builder = builder.credentials(Credentials::new(user, password));
        }
        let from: Mailbox = config.from.parse().map_err(|e| format!("from: {e}"))?;
        let domain = from.email.domain().to_owned();
        Ok(Mailer {
            transport: builder.build(),
            from,
            domain,
        })
    }

    pub async fn send(&self, mail: &Mail<'_>) -> Result<(), String> {
        let message = self.build(mail)?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    fn build(&self, mail: &Mail<'_>) -> Result<Message, String> {
        let to: Mailbox = mail.to.parse().map_err(|e| format!("address: {e}"))?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject)
            .message_id(Some(format!("<{}@{}>", mail.id, self.domain)))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Content-Language"),
                mail.lang.as_str().to_owned(),
            ))
            // RFC 3834: sent by a machine, so auto-responders do not answer it.
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("Auto-Submitted"),
                "auto-generated".to_owned(),
            ));
        if let Some(url) = mail.unsubscribe {
            builder = builder
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{url}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".to_owned(),
                ));
        }
        builder
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(plain(mail)),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(html(mail)),
                    ),
            )
            .map_err(|e| e.to_string())
    }
}

/// Whether the mailer can address a message to `address`: checked when someone subscribes,
/// so an address it cannot build a message for is refused then, not retried until it expires.
pub fn sendable(address: &str) -> bool {
    address.parse::<lettre::Address>().is_ok() && address.parse::<Mailbox>().is_ok()
}

fn plain(mail: &Mail<'_>) -> String {
    let mut out: Vec<String> = mail.paragraphs.to_vec();
    if let Some((url, words)) = mail.link {
        out.push(format!("{words}: {url}"));
    }
    out.push("--".to_owned());
    out.push(mail.footer.to_owned());
    if let Some(url) = mail.unsubscribe {
        out.push(url.to_owned());
    }
    out.join("\n\n")
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn html(mail: &Mail<'_>) -> String {
    let dir = if mail.lang.is_rtl() { "rtl" } else { "ltr" };
    let mut body = String::new();
    for p in mail.paragraphs {
        body.push_str(&format!("<p>{}</p>\n", escape(p)));
    }
    if let Some((url, words)) = mail.link {
        body.push_str(&format!(
            "<p><a href=\"{}\">{}</a></p>\n",
            escape(url),
            escape(words)
        ));
    }
    let footer = match mail.unsubscribe {
        Some(url) => format!(
            "<p style=\"color:#555;font-size:small\"><a href=\"{}\">{}</a></p>",
            escape(url),
            escape(mail.footer)
        ),
        None => format!(
            "<p style=\"color:#555;font-size:small\">{}</p>",
            escape(mail.footer)
        ),
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\" dir=\"{dir}\"><head><meta charset=\"utf-8\">\
         <title>{title}</title></head>\n<body dir=\"{dir}\" style=\"font-family:sans-serif\">\n\
         {body}<hr>{footer}\n</body></html>\n",
        lang = mail.lang.as_str(),
        title = escape(mail.subject),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mailer() -> Mailer {
        Mailer::new(
            &EmailConfig {
                smtp_url: "smtp://127.0.0.1:2525".into(),
                from: "bankstatus <alerts@example.org>".into(),
            },
            Duration::from_secs(5),
        )
        .expect("mailer")
    }

    #[test]
    fn arabic_mail_reads_right_to_left_with_one_click_unsubscribe() {
        let paragraphs = vec!["تعطل <الشبابيك>".to_owned()];
        let mail = Mail {
            to: "a@example.org",
            id: "msg_1_s",
            lang: Lang::Ar,
            subject: "بنك",
            paragraphs: &paragraphs,
            link: Some(("https://s.example/incidents/1", "التفاصيل")),
            unsubscribe: Some("https://s.example/subscriptions/s/unsubscribe?token=t"),
            footer: "إلغاء الاشتراك",
        };
        let raw =
            String::from_utf8(mailer().build(&mail).expect("build").formatted()).expect("utf8");
        assert!(raw
            .contains("List-Unsubscribe: <https://s.example/subscriptions/s/unsubscribe?token=t>"));
        assert!(raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
        assert!(raw.contains("Message-ID: <msg_1_s@example.org>"));
        assert!(raw.contains("multipart/alternative"));
        assert!(html(&mail).contains("dir=\"rtl\""));
        assert!(html(&mail).contains("&lt;الشبابيك&gt;"));
        assert!(plain(&mail).contains("https://s.example/incidents/1"));
    }
}
