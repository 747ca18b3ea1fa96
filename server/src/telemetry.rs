//! Structured logs: JSON lines in production, readable lines in development.
//!
//! In JSON, the fields that say whose work a line is about — `tenant_id`,
//! `request_id`, `job_id` and the job's `kind`, set on the request span by
//! the gateway and on the job span by the runner — are lifted to the top
//! level of every line written inside those spans, so a log search for one
//! tenant needs no knowledge of span nesting. The full span list follows.

use serde_json::{Map, Value};
use std::fmt;
use tenantry::config::LogFormat;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormattedFields};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::EnvFilter;

/// Span fields copied to the top level of each line (innermost span wins).
const LIFTED: &[&str] = &["tenant_id", "request_id", "job_id", "kind"];

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_env("TENANTRY_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,tower_sessions=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second init (tests) is harmless: the first subscriber stays.
    let _ = match format {
        LogFormat::Json => builder
            .fmt_fields(JsonFields::new())
            .event_format(JsonLines)
            .try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
}

/// One JSON object per event: time, level, target, the event's own fields,
/// the lifted span fields, then `spans` (outermost first).
pub struct JsonLines;

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'w> tracing_subscriber::fmt::FormatFields<'w> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut line = Map::new();
        line.insert("timestamp".into(), chrono::Utc::now().to_rfc3339().into());
        line.insert("level".into(), event.metadata().level().as_str().into());
        line.insert("target".into(), event.metadata().target().into());
        let mut fields = Fields(Map::new());
        event.record(&mut fields);
        let mut spans = Vec::new();
        for span in ctx.event_scope().into_iter().flat_map(|s| s.from_root()) {
            let mut entry = Map::new();
            entry.insert("name".into(), span.name().into());
            let extensions = span.extensions();
            if let Some(formatted) = extensions.get::<FormattedFields<N>>() {
                if let Ok(Value::Object(own)) = serde_json::from_str::<Value>(formatted) {
                    for (key, value) in own {
                        if LIFTED.contains(&key.as_str()) {
                            line.insert(key.clone(), value.clone());
                        }
                        entry.insert(key, value);
                    }
                }
            }
            spans.push(Value::Object(entry));
        }
        // The event's own fields win over a span's of the same name.
        line.extend(fields.0);
        if !spans.is_empty() {
            line.insert("spans".into(), Value::Array(spans));
        }
        writeln!(writer, "{}", Value::Object(line))
    }
}

struct Fields(Map<String, Value>);

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().into(), format!("{value:?}").into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("buffer").extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_jobs_lines_carry_tenant_job_and_kind_at_the_top_level() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .fmt_fields(JsonFields::new())
            .event_format(JsonLines)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let job = tracing::info_span!(
                "job",
                tenant_id = "t-1",
                job_id = "j-1",
                kind = "export.produce"
            );
            let _in_job = job.enter();
            let inner = tracing::info_span!("step", table = "projects");
            let _in_inner = inner.enter();
            tracing::info!(rows = 3u64, "read");
            drop(_in_inner);
            drop(_in_job);
            tracing::info!("outside any span");
        });
        let text = String::from_utf8(captured.0.lock().expect("buffer").clone()).expect("utf-8");
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("each line is JSON"))
            .collect();
        assert_eq!(lines.len(), 2, "{text}");
        let job_line = &lines[0];
        assert_eq!(job_line["tenant_id"], "t-1");
        assert_eq!(job_line["job_id"], "j-1");
        assert_eq!(job_line["kind"], "export.produce");
        assert_eq!(job_line["message"], "read");
        assert_eq!(job_line["rows"], 3);
        assert_eq!(job_line["spans"][1]["table"], "projects");
        assert!(
            lines[1].get("tenant_id").is_none(),
            "no tenant outside its spans"
        );
    }
}
