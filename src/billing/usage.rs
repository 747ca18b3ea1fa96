//! Usage events: ingest (validated one by one, idempotent by the sender's
//! id, durable once the call returns) and aggregates per period and per day.

use super::period::{day_of, Period};
use crate::entities::tenant::usage_event;
use crate::error::{Error, Result};
use crate::plans::meters::{property_name, Aggregation, Meter};
use crate::tenancy::TenantDb;
use chrono::{DateTime, Duration, SubsecRound, Utc};
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Set, Statement, Value as SqlValue};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashSet};

/// The most events one request may carry.
pub const MAX_BATCH: usize = 1000;
const MAX_QUANTITY: i64 = 1_000_000_000_000;
const MAX_PROPERTIES: usize = 20;
/// Clocks differ: an event this far ahead of ours is still accepted.
const FUTURE_SKEW_SECS: i64 = 300;

/// Why one event of a batch was refused.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rejection {
    pub index: usize,
    pub id: Option<String>,
    pub field: &'static str,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IngestReport {
    /// New events stored.
    pub accepted: u64,
    /// Valid events already stored under the same id (a retry), not counted
    /// again.
    pub duplicates: u64,
    pub rejected: Vec<Rejection>,
}

/// What ingest checks an event against.
pub struct Rules<'a> {
    pub meters: &'a BTreeMap<String, Meter>,
    pub now: DateTime<Utc>,
    pub late_hours: u32,
    /// The platform may record its own meters; senders may not.
    pub platform: bool,
}

/// One checked event, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: String,
    pub meter: String,
    pub quantity: i64,
    pub occurred_at: DateTime<Utc>,
    pub properties: BTreeMap<String, String>,
}

fn reject(field: &'static str, reason: impl Into<String>) -> (&'static str, String) {
    (field, reason.into())
}

fn check(raw: &Value, rules: &Rules<'_>) -> std::result::Result<Event, (&'static str, String)> {
    let object = raw
        .as_object()
        .ok_or_else(|| reject("event", "must be a JSON object"))?;
    if let Some(unknown) = object.keys().find(|k| {
        !matches!(
            k.as_str(),
            "id" | "meter" | "quantity" | "timestamp" | "properties"
        )
    }) {
        return Err(reject("event", format!("unknown field {unknown:?}")));
    }
    let id = match object.get("id") {
        Some(Value::String(id))
            if (1..=200).contains(&id.chars().count()) && !id.chars().any(char::is_control) =>
        {
            id.clone()
        }
        Some(Value::String(_)) => {
            return Err(reject("id", "must be 1 to 200 printable characters"))
        }
        _ => {
            return Err(reject(
                "id",
                "is required: a string that identifies this event (its idempotency key)",
            ))
        }
    };
    let meter = match object.get("meter") {
        Some(Value::String(m)) => m.clone(),
        _ => return Err(reject("meter", "is required")),
    };
    let Some(definition) = rules.meters.get(&meter) else {
        return Err(reject("meter", format!("there is no meter {meter:?}")));
    };
    if definition.built_in() && !rules.platform {
        return Err(reject(
            "meter",
            format!("{meter:?} is recorded by the platform itself"),
        ));
    }
    let quantity = match object.get("quantity") {
        None => 1,
        Some(Value::Number(n)) => match n.as_i64() {
            Some(q) if (0..=MAX_QUANTITY).contains(&q) => q,
            _ => {
                return Err(reject(
                    "quantity",
                    format!("must be a whole number from 0 to {MAX_QUANTITY}"),
                ))
            }
        },
        Some(_) => return Err(reject("quantity", "must be a number")),
    };
    let occurred_at = match object.get("timestamp") {
        None => rules.now,
        Some(Value::String(t)) => DateTime::parse_from_rfc3339(t)
            .map_err(|_| {
                reject(
                    "timestamp",
                    "must be an RFC 3339 time such as 2026-11-29T10:00:00Z",
                )
            })?
            .with_timezone(&Utc),
        Some(_) => return Err(reject("timestamp", "must be an RFC 3339 string")),
    }
    .trunc_subsecs(0);
    if occurred_at > rules.now + Duration::seconds(FUTURE_SKEW_SECS) {
        return Err(reject("timestamp", "is more than 5 minutes in the future"));
    }
    if occurred_at < rules.now - Duration::hours(rules.late_hours.into()) {
        return Err(reject(
            "timestamp",
            format!("is older than the {}-hour late window", rules.late_hours),
        ));
    }
    let properties = match object.get("properties") {
        None | Some(Value::Null) => BTreeMap::new(),
        Some(Value::Object(map)) => properties(map)?,
        Some(_) => return Err(reject("properties", "must be a JSON object")),
    };
    Ok(Event {
        id,
        meter,
        quantity,
        occurred_at,
        properties,
    })
}

/// Properties as strings, so that filters compare the same on every backend.
fn properties(
    map: &Map<String, Value>,
) -> std::result::Result<BTreeMap<String, String>, (&'static str, String)> {
    if map.len() > MAX_PROPERTIES {
        return Err(reject(
            "properties",
            format!("at most {MAX_PROPERTIES} properties"),
        ));
    }
    let mut out = BTreeMap::new();
    for (key, value) in map {
        property_name("properties", key).map_err(|_| {
            reject(
                "properties",
                format!("{key:?} is not a property name (letters, digits, _)"),
            )
        })?;
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => {
                return Err(reject(
                    "properties",
                    format!("{key}: values must be strings, numbers or booleans"),
                ))
            }
        };
        if text.chars().count() > 200 {
            return Err(reject(
                "properties",
                format!("{key}: at most 200 characters"),
            ));
        }
        out.insert(key.clone(), text);
    }
    Ok(out)
}

/// Checks a batch: the events to store, and why each other one was refused.
pub fn validate(batch: &[Value], rules: &Rules<'_>) -> Result<(Vec<Event>, Vec<Rejection>)> {
    if batch.is_empty() {
        return Err(Error::invalid("events", "send at least one event"));
    }
    if batch.len() > MAX_BATCH {
        return Err(Error::invalid(
            "events",
            format!("at most {MAX_BATCH} events per request"),
        ));
    }
    let mut events = Vec::with_capacity(batch.len());
    let mut rejected = Vec::new();
    for (index, raw) in batch.iter().enumerate() {
        match check(raw, rules) {
            Ok(event) => events.push(event),
            Err((field, reason)) => rejected.push(Rejection {
                index,
                id: raw.get("id").and_then(Value::as_str).map(str::to_owned),
                field,
                reason,
            }),
        }
    }
    Ok((events, rejected))
}

/// Stores checked events in the caller's transaction; an id already stored
/// (or repeated in the batch) is skipped. Returns how many were new.
pub async fn store(db: &TenantDb, events: &[Event]) -> Result<u64> {
    let received_at = Utc::now();
    let mut seen = HashSet::new();
    let rows: Vec<usage_event::ActiveModel> = events
        .iter()
        .filter(|e| seen.insert(e.id.as_str()))
        .map(|e| usage_event::ActiveModel {
            id: Set(e.id.clone()),
            meter: Set(e.meter.clone()),
            quantity: Set(e.quantity),
            occurred_at: Set(e.occurred_at),
            day: Set(day_of(e.occurred_at)),
            properties: Set(serde_json::to_string(&e.properties).unwrap_or_else(|_| "{}".into())),
            received_at: Set(received_at),
            ..Default::default()
        })
        .collect();
    if rows.is_empty() {
        return Ok(0);
    }
    Ok(db.insert_new(rows).await?)
}

/// Validates and stores a batch in the caller's transaction.
pub async fn ingest(db: &TenantDb, batch: &[Value], rules: &Rules<'_>) -> Result<IngestReport> {
    let (events, rejected) = validate(batch, rules)?;
    let accepted = store(db, &events).await?;
    Ok(IngestReport {
        accepted,
        duplicates: events.len() as u64 - accepted,
        rejected,
    })
}

/// Deletes the tenant's events that occurred before `cutoff` (past the
/// retention window). Returns how many went.
pub async fn purge_before(db: &TenantDb, cutoff: DateTime<Utc>) -> Result<u64> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let gone = usage_event::Entity::delete_many()
        .filter(usage_event::Column::OccurredAt.lt(cutoff))
        .exec(db)
        .await?;
    Ok(gone.rows_affected)
}

/// The SQL reading one property of the JSON `properties` column as text.
fn property_sql(backend: DbBackend, placeholder: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("(properties::jsonb ->> {placeholder})"),
        _ => format!("json_extract(properties, '$.' || {placeholder})"),
    }
}

/// The meter's aggregate and its `WHERE` clause over `[from, to)`, with the
/// values to bind. Property names are bound, never spliced.
fn aggregate_sql(
    backend: DbBackend,
    meter: &Meter,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> (String, String, Vec<SqlValue>) {
    let pg = backend == DbBackend::Postgres;
    let mut values: Vec<SqlValue> = Vec::new();
    let next = |v: SqlValue, values: &mut Vec<SqlValue>| {
        values.push(v);
        if pg {
            format!("${}", values.len())
        } else {
            "?".to_owned()
        }
    };
    let aggregate = match meter.aggregation {
        Aggregation::Count => "COUNT(*)".to_owned(),
        Aggregation::Sum => "COALESCE(SUM(quantity), 0)".to_owned(),
        Aggregation::Max => "COALESCE(MAX(quantity), 0)".to_owned(),
        Aggregation::UniqueCount => {
            let p = next(
                meter.property.clone().unwrap_or_default().into(),
                &mut values,
            );
            format!("COUNT(DISTINCT {})", property_sql(backend, &p))
        }
    };
    let mut filter = format!(
        "meter = {} AND occurred_at >= {} AND occurred_at < {}",
        next(meter.key.clone().into(), &mut values),
        next(from.into(), &mut values),
        next(to.into(), &mut values),
    );
    for (key, value) in &meter.filters {
        let k = next(key.clone().into(), &mut values);
        let v = next(value.clone().into(), &mut values);
        filter.push_str(&format!(" AND {} = {v}", property_sql(backend, &k)));
    }
    (aggregate, filter, values)
}

#[derive(FromQueryResult)]
struct Total {
    total: i64,
}

#[derive(FromQueryResult)]
struct DayTotal {
    day: String,
    total: i64,
}

/// The meter's aggregate over `[from, to)`.
pub async fn total(
    db: &TenantDb,
    meter: &Meter,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<i64> {
    let backend = db.get_database_backend();
    let (aggregate, filter, values) = aggregate_sql(backend, meter, from, to);
    let sql =
        format!("SELECT CAST({aggregate} AS BIGINT) AS total FROM usage_events WHERE {filter}");
    let row = Total::find_by_statement(Statement::from_sql_and_values(backend, sql, values))
        .one(db)
        .await?;
    Ok(row.map(|r| r.total).unwrap_or(0))
}

/// The meter's aggregate for each day of the period (days without events
/// read 0).
pub async fn daily(db: &TenantDb, meter: &Meter, period: Period) -> Result<Vec<(String, i64)>> {
    let backend = db.get_database_backend();
    let (aggregate, filter, values) = aggregate_sql(backend, meter, period.start, period.end);
    let sql = format!(
        "SELECT day, CAST({aggregate} AS BIGINT) AS total FROM usage_events WHERE {filter} GROUP BY day"
    );
    let rows = DayTotal::find_by_statement(Statement::from_sql_and_values(backend, sql, values))
        .all(db)
        .await?;
    let by_day: BTreeMap<String, i64> = rows.into_iter().map(|r| (r.day, r.total)).collect();
    Ok(period
        .days()
        .into_iter()
        .map(|day| {
            let total = by_day.get(&day).copied().unwrap_or(0);
            (day, total)
        })
        .collect())
}

/// One meter over a period: its total and its daily series.
#[derive(Debug, Clone, Serialize)]
pub struct MeterUsage {
    pub key: String,
    pub name: String,
    pub unit: String,
    pub aggregation: Aggregation,
    pub total: i64,
    pub daily: Vec<(String, i64)>,
}

/// Every meter's usage over the period.
pub async fn summary(
    meters: &BTreeMap<String, Meter>,
    db: &TenantDb,
    period: Period,
) -> Result<Vec<MeterUsage>> {
    let mut out = Vec::with_capacity(meters.len());
    for meter in meters.values() {
        out.push(MeterUsage {
            key: meter.key.clone(),
            name: meter.name.clone(),
            unit: meter.unit.clone(),
            aggregation: meter.aggregation,
            total: total(db, meter, period.start, period.end).await?,
            daily: daily(db, meter, period).await?,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
