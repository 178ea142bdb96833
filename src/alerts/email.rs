//! Email: the messages (plain text and HTML, Arabic right-to-left, one-click unsubscribe by
//! RFC 8058) and the SMTP transport from `[email]`.
//!
//! Every confirmation a subscriber asks for opens a connection to the relay, so the relay's
//! name is resolved as the probes resolve theirs: asynchronously, through `[dns]`, with a
//! deadline. The SMTP client would otherwise resolve it on the runtime's blocking pool with
//! no deadline at all, one thread per message while the relay's name server is slow.

use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{DnsConfig, EmailConfig};
use crate::dns::{full_deadline, Resolver};
use crate::domain::Lang;

/// The environment variable that holds the SMTP password.
pub const PASSWORD_ENV: &str = "BANKSTATUS_SMTP_PASSWORD";

type Transport = AsyncSmtpTransport<Tokio1Executor>;

pub struct Mailer {
    relay: Relay,
    from: Mailbox,
    /// The domain of the sender, for Message-IDs.
    domain: String,
}

/// How the relay of `smtp_url` is reached.
enum Relay {
    /// The URL names an address: one transport for good.
    Address(Transport),
    /// The URL names a host, resolved before each message; the transport connects to the
    /// address found and checks the relay's certificate against the name.
    Name {
        smtp: url::Url,
        host: String,
        resolver: Resolver,
        timeout: Duration,
        /// The transport for the address found last, kept while the name still resolves to
        /// it.
        current: Mutex<Option<(IpAddr, Transport)>>,
    },
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
    /// The mailer of `[email]`; the relay's name, if it has one, is resolved through `dns`.
    pub fn new(config: &EmailConfig, dns: &DnsConfig, timeout: Duration) -> Result<Mailer, String> {
        let smtp = url::Url::parse(&config.smtp_url).map_err(|e| format!("smtp_url: {e}"))?;
        // `smtp:` is not a special scheme: its host is a domain to `url` even when it is
        // written as an IPv4 address.
        let relay = match smtp.host() {
            Some(url::Host::Domain(host)) if host.parse::<IpAddr>().is_err() => Relay::Name {
                host: host.to_owned(),
                resolver: Resolver::new(dns, full_deadline(dns))
                    .map_err(|e| format!("smtp_url: {e}"))?,
                smtp: smtp.clone(),
                timeout,
                current: Mutex::new(None),
            },
            _ => Relay::Address(transport(&smtp, None, timeout)?),
        };
        let from: Mailbox = config.from.parse().map_err(|e| format!("from: {e}"))?;
        let domain = from.email.domain().to_owned();
        Ok(Mailer {
            relay,
            from,
            domain,
        })
    }

    pub async fn send(&self, mail: &Mail<'_>) -> Result<(), String> {
        let message = self.build(mail)?;
        self.transport()
            .await?
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// The transport to the relay as its name resolves now (within the resolver's
    /// deadline).
    async fn transport(&self) -> Result<Transport, String> {
        let (smtp, host, resolver, timeout, current) = match &self.relay {
            Relay::Address(t) => return Ok(t.clone()),
            Relay::Name {
                smtp,
                host,
                resolver,
                timeout,
                current,
            } => (smtp, host, resolver, *timeout, current),
        };
        let found = resolver.lookup(host).await.map_err(|e| e.to_string())?;
        let mut current = current
            .lock()
            .map_err(|_| "the mailer's state is poisoned".to_owned())?;
        if let Some((known, t)) = current.as_ref() {
            if found.contains(known) {
                return Ok(t.clone());
            }
        }
        let ip = *found
            .first()
            .ok_or_else(|| format!("{host} has no address"))?;
        let t = transport(smtp, Some((host, ip)), timeout)?;
        *current = Some((ip, t.clone()));
        Ok(t)
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

/// The transport `url` describes, connecting to `to`'s address when given (its name then
/// stays the one TLS checks the certificate against).
fn transport(
    smtp: &url::Url,
    to: Option<(&str, IpAddr)>,
    timeout: Duration,
) -> Result<Transport, String> {
    let mut target = smtp.clone();
    if let Some((_, ip)) = to {
        target
            .set_ip_host(ip)
            .map_err(|()| format!("smtp_url: cannot connect to {ip}"))?;
    }
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(target.as_str())
        .map_err(|e| format!("smtp_url: {e}"))?
        .timeout(Some(timeout));
    if let Some((host, _)) = to {
        let tls = || TlsParameters::new(host.to_owned()).map_err(|e| format!("smtp_url: {e}"));
        let mode = smtp
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        builder = match (smtp.scheme(), mode.as_deref()) {
            ("smtps", _) => builder.tls(Tls::Wrapper(tls()?)),
            ("smtp", Some("required")) => builder.tls(Tls::Required(tls()?)),
            ("smtp", Some("opportunistic")) => builder.tls(Tls::Opportunistic(tls()?)),
            _ => builder,
        };
    }
    if let Ok(password) = std::env::var(PASSWORD_ENV) {
        builder = builder.credentials(Credentials::new(smtp.username().to_owned(), password));
    }
    Ok(builder.build())
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
            &DnsConfig::default(),
            Duration::from_secs(5),
        )
        .expect("mailer")
    }

    #[test]
    fn a_named_relay_is_reached_at_its_address_with_tls_for_its_name() {
        let ip: IpAddr = "192.0.2.25".parse().expect("ip");
        for url in [
            "smtp://relay.example:2525",
            "smtp://relay.example?tls=required",
            "smtp://relay.example?tls=opportunistic",
            "smtps://user@relay.example",
        ] {
            let smtp = url::Url::parse(url).expect("url");
            transport(&smtp, Some(("relay.example", ip)), Duration::from_secs(5))
                .unwrap_or_else(|e| panic!("{url}: {e}"));
        }
        let named = |url: &str| {
            let config = EmailConfig {
                smtp_url: url.into(),
                from: "bankstatus <alerts@example.org>".into(),
            };
            let m = Mailer::new(&config, &DnsConfig::default(), Duration::from_secs(5));
            matches!(m.expect("mailer").relay, Relay::Name { .. })
        };
        assert!(named("smtps://relay.example"));
        assert!(!named("smtp://127.0.0.1:25"));
        assert!(!named("smtp://[::1]:25"));
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
