//! Terminal progress for long operator commands, on stderr so that stdout
//! stays machine-readable. On a terminal the bar redraws in place; otherwise
//! (CI logs, pipes) it prints a line per tenth of the work.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use tenantry::tenancy::{fleet, moves, Engine};

const WIDTH: usize = 30;

pub struct Bar {
    label: &'static str,
    total: AtomicUsize,
    done: AtomicUsize,
    failed: AtomicUsize,
    tty: bool,
}

impl Bar {
    pub fn new(label: &'static str) -> Self {
        Self {
            label,
            total: AtomicUsize::new(0),
            done: AtomicUsize::new(0),
            failed: AtomicUsize::new(0),
            tty: std::io::stderr().is_terminal(),
        }
    }

    fn draw(&self) {
        let total = self.total.load(Ordering::Relaxed).max(1);
        let done = self.done.load(Ordering::Relaxed).min(total);
        let failed = self.failed.load(Ordering::Relaxed);
        let filled = done * WIDTH / total;
        let line = format!(
            "{} [{}{}] {done}/{total}{}",
            self.label,
            "#".repeat(filled),
            ".".repeat(WIDTH - filled),
            if failed > 0 {
                format!(" ({failed} failed)")
            } else {
                String::new()
            }
        );
        let mut err = std::io::stderr().lock();
        let _ = if self.tty {
            write!(err, "\r{line}")
        } else {
            writeln!(err, "{line}")
        };
        let _ = err.flush();
    }

    pub fn finish(&self) {
        if self.tty {
            eprintln!();
        }
    }
}

impl fleet::Progress for Bar {
    fn planned(&self, pending: usize, current: usize) {
        self.total.store(pending, Ordering::Relaxed);
        eprintln!(
            "{}: {pending} to migrate, {current} already current",
            self.label
        );
    }

    fn unit_done(&self, _unit: &str, ok: bool) {
        if !ok {
            self.failed.fetch_add(1, Ordering::Relaxed);
        }
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        let total = self.total.load(Ordering::Relaxed).max(1);
        let tenth = (total / 10).max(1);
        if self.tty || done.is_multiple_of(tenth) || done == total || !ok {
            self.draw();
        }
    }
}

/// Prints a move's step and copy progress to stderr until aborted.
pub fn watch_move(engine: Engine, id: uuid::Uuid) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut last = String::new();
        loop {
            if let Ok(Some(status)) = moves::status(&engine, id).await {
                let line = format!(
                    "move {} -> {}: {} ({}/{} rows copied)",
                    status.from.as_str(),
                    status.to.as_str(),
                    status.step,
                    status.rows_copied,
                    status.rows_total
                );
                if line != last {
                    eprintln!("{line}");
                    last = line;
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
    })
}
