//! A real SMTP server for the mail tests: `aiosmtpd` (PyPI; scripts/setup
//! installs it into ~/.cache/tenantry/venv) on a free port, storing what it
//! receives in a maildir the test reads.

use crate::peer::{free_port, wait_listening};
use std::time::Duration;

pub struct SmtpSink {
    child: std::process::Child,
    dir: tempfile::TempDir,
    pub url: String,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One received message: the envelope recipient and the raw text.
#[derive(Debug, Clone)]
pub struct Received {
    pub to: String,
    pub raw: String,
}

impl Received {
    /// The raw message with quoted-printable soft line breaks joined, so a
    /// long link reads as one.
    pub fn joined(&self) -> String {
        self.raw.replace("=\r\n", "").replace("=\n", "")
    }

    /// The 64-hex-digit token after `marker` (`/invite/`, `/reset/`).
    pub fn token_after(&self, marker: &str) -> Option<String> {
        let text = self.joined();
        let at = text.find(marker)? + marker.len();
        let token: String = text[at..]
            .chars()
            .take_while(|c| c.is_ascii_hexdigit())
            .collect();
        (token.len() == 64).then_some(token)
    }
}

fn bin() -> String {
    std::env::var("TENANTRY_AIOSMTPD_BIN").unwrap_or_else(|_| {
        let home = std::env::var("HOME").unwrap_or_default();
        format!("{home}/.cache/tenantry/venv/bin/aiosmtpd")
    })
}

/// An aiosmtpd handler that keeps the first message's DATA unanswered
/// (it was never accepted) and stores the rest like `Mailbox`.
const STALL_ONCE: &str = r#"
import asyncio, os
from aiosmtpd.handlers import Mailbox

class StallOnce(Mailbox):
    def __init__(self, maildir, flag):
        super().__init__(maildir)
        self.flag = flag

    @classmethod
    def from_cli(cls, parser, *args):
        return cls(args[0], args[1])

    async def handle_DATA(self, server, session, envelope):
        if not os.path.exists(self.flag):
            open(self.flag, "w").close()
            await asyncio.sleep(3600)
        return await super().handle_DATA(server, session, envelope)
"#;

impl SmtpSink {
    pub async fn start() -> Self {
        Self::start_with(false).await
    }

    /// A sink that never answers the first message's data: the sender sees
    /// no acceptance, and the sink keeps nothing of it.
    pub async fn stalling_first() -> Self {
        Self::start_with(true).await
    }

    /// Whether the first message's data has arrived (and is held).
    pub fn stalled(&self) -> bool {
        self.dir.path().join("stalled").exists()
    }

    async fn start_with(stall_first: bool) -> Self {
        let port = free_port();
        let dir = tempfile::tempdir().expect("maildir");
        let maildir = dir.path().join("mail");
        let mut command = std::process::Command::new(bin());
        command.args(["-n", "-l", &format!("127.0.0.1:{port}")]);
        if stall_first {
            std::fs::write(dir.path().join("stall_once.py"), STALL_ONCE).expect("handler");
            command
                .env("PYTHONPATH", dir.path())
                .args(["-c", "stall_once.StallOnce"])
                .arg(&maildir)
                .arg(dir.path().join("stalled"));
        } else {
            command
                .args(["-c", "aiosmtpd.handlers.Mailbox"])
                .arg(&maildir);
        }
        let child = command
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("aiosmtpd runs (scripts/setup installs it)");
        // Owned (and so killed on drop) from here on, even if it never answers.
        let sink = Self {
            child,
            dir,
            url: format!("smtp://127.0.0.1:{port}"),
        };
        wait_listening(port, "aiosmtpd").await;
        sink
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<Received> {
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            let Ok(entries) = std::fs::read_dir(self.dir.path().join("mail").join(sub)) else {
                continue;
            };
            for entry in entries.flatten() {
                let raw = std::fs::read_to_string(entry.path()).unwrap_or_default();
                let to = raw
                    .lines()
                    .find_map(|l| l.strip_prefix("X-RcptTo: "))
                    .unwrap_or_default()
                    .to_owned();
                out.push(Received { to, raw });
            }
        }
        out
    }

    /// Waits for a message to `to` whose text contains `marker`.
    pub async fn wait_for(&self, to: &str, marker: &str) -> Received {
        for _ in 0..100 {
            if let Some(found) = self
                .received()
                .into_iter()
                .find(|m| m.to == to && m.joined().contains(marker))
            {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no mail to {to} containing {marker}: {:?}", self.received());
    }
}
