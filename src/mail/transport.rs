//! The SMTP side: one pooled lettre transport from `smtp_url`, and turning a
//! queued row into a MIME message (HTML with a plain-text alternative).

use crate::config::Settings;
use crate::entities::tenant::mail_message;
use crate::outbound::Destination;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;
use std::time::Duration;

#[derive(Clone)]
pub struct Transport {
    smtp: AsyncSmtpTransport<Tokio1Executor>,
    from: lettre::Address,
    /// The relay's address without its credentials, checked under the
    /// outbound policy before each message (lettre connects by itself).
    relay: url::Url,
    relay_must_be_public: bool,
}

impl Transport {
    /// The configured transport, or `None` when mail stays in the mailbox.
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Option<Self>> {
        let Some(url) = &settings.smtp_url else {
            return Ok(None);
        };
        // The URL may hold a password: its parse error is reported without it.
        let smtp = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
            .map_err(|_| anyhow::anyhow!("smtp_url is not a valid smtp:// or smtps:// URL"))?
            .timeout(Some(Duration::from_secs(20)))
            .build();
        let from = settings
            .mail_from
            .parse()
            .map_err(|_| anyhow::anyhow!("mail_from: not a valid email address"))?;
        let mut relay = url::Url::parse(url.expose_secret())
            .map_err(|_| anyhow::anyhow!("smtp_url is not a valid smtp:// or smtps:// URL"))?;
        let _ = relay.set_password(None);
        let _ = relay.set_username("");
        Ok(Some(Self {
            smtp,
            from,
            relay,
            relay_must_be_public: !Destination::Mail.private_allowed(settings),
        }))
    }

    /// Sends one queued message; the error says why, without the body.
    pub async fn send(&self, row: &mail_message::Model) -> Result<(), String> {
        if self.relay_must_be_public {
            crate::outbound::admit_public_only(Destination::Mail, &self.relay)
                .await
                .map_err(|e| e.to_string())?;
        }
        let to: Mailbox = row
            .to_address
            .parse()
            .map_err(|_| "the recipient address is not valid".to_owned())?;
        let message = Message::builder()
            .from(Mailbox::new(Some(row.from_name.clone()), self.from.clone()))
            .to(to)
            .subject(row.subject.clone())
            .multipart(MultiPart::alternative_plain_html(
                row.text_body.clone(),
                row.html_body.clone(),
            ))
            .map_err(|e| format!("the message could not be built: {e}"))?;
        self.smtp
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| format!("SMTP: {e}"))
    }
}
