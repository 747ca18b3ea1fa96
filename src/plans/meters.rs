//! Meters: which usage events count, and how they add up over a period.
//! Defined on the platform (console or platform API), held in the policy
//! snapshot so that ingest checks them without a query.

use crate::audit;
use crate::entities::catalog::meter;
use crate::error::{Error, Result};
use crate::tenancy::{Engine, PlatformUse};
use sea_orm::sea_query::OnConflict;
use sea_orm::{EntityTrait, Set};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;

/// The meters the platform itself records into.
pub const SEATS: &str = "seats";
pub const API_CALLS: &str = "api_calls";
pub const STORAGE_BYTES: &str = "storage_bytes";
const BUILT_IN: &[&str] = &[SEATS, API_CALLS, STORAGE_BYTES];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregation {
    Count,
    Sum,
    Max,
    UniqueCount,
}

impl Aggregation {
    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "count" => Self::Count,
            "sum" => Self::Sum,
            "max" => Self::Max,
            "unique_count" => Self::UniqueCount,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Count => "count",
            Self::Sum => "sum",
            Self::Max => "max",
            Self::UniqueCount => "unique_count",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Meter {
    pub key: String,
    pub name: String,
    pub unit: String,
    pub aggregation: Aggregation,
    /// The property `unique_count` counts distinct values of.
    pub property: Option<String>,
    /// Property → the value an event must carry to count.
    pub filters: BTreeMap<String, String>,
}

impl Meter {
    pub fn built_in(&self) -> bool {
        BUILT_IN.contains(&self.key.as_str())
    }

    pub(crate) fn from_model(m: meter::Model) -> Option<Self> {
        let aggregation = Aggregation::parse(&m.aggregation)?;
        let filters = serde_json::from_str(&m.filters).ok()?;
        Some(Self {
            key: m.key,
            name: m.name,
            unit: m.unit,
            aggregation,
            property: m.property,
            filters,
        })
    }
}

/// A property name as events and filters may use it: it is also a JSON key
/// read in SQL, so only plain identifiers.
pub fn property_name(field: &'static str, raw: &str) -> Result<String> {
    let ok = (1..=64).contains(&raw.len())
        && raw.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && raw.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(Error::invalid(
            field,
            "1 to 64 letters, digits or _, not starting with a digit",
        ))
    }
}

/// A meter as typed into the console: `filters` is `key=value` per line.
#[derive(Debug, Clone, Default)]
pub struct MeterInput {
    pub key: String,
    pub name: String,
    pub unit: String,
    pub aggregation: String,
    pub property: String,
    pub filters: String,
}

impl MeterInput {
    pub fn parse(&self) -> Result<Meter> {
        let key = self.key.trim();
        let key_ok = (1..=40).contains(&key.len())
            && key.starts_with(|c: char| c.is_ascii_lowercase())
            && key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !key_ok {
            return Err(Error::invalid(
                "key",
                "1 to 40 lowercase letters, digits or _, starting with a letter",
            ));
        }
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 80 {
            return Err(Error::invalid(
                "name",
                "is required (at most 80 characters)",
            ));
        }
        let unit = match self.unit.trim() {
            "" => "units",
            u if u.chars().count() > 20 => {
                return Err(Error::invalid("unit", "at most 20 characters"))
            }
            u => u,
        };
        let aggregation = Aggregation::parse(self.aggregation.trim()).ok_or_else(|| {
            Error::invalid("aggregation", "must be count, sum, max or unique_count")
        })?;
        let property = match (self.property.trim(), aggregation) {
            ("", Aggregation::UniqueCount) => {
                return Err(Error::invalid(
                    "property",
                    "unique_count needs the property whose distinct values it counts",
                ))
            }
            ("", _) => None,
            (raw, _) => Some(property_name("property", raw)?),
        };
        let mut filters = BTreeMap::new();
        for line in self
            .filters
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            let (k, v) = line.split_once('=').ok_or_else(|| {
                Error::invalid("filters", format!("{line:?} is not property=value"))
            })?;
            let k = property_name("filters", k.trim())?;
            let v = v.trim();
            if v.is_empty() || v.chars().count() > 200 {
                return Err(Error::invalid(
                    "filters",
                    format!("the value for {k} must be 1 to 200 characters"),
                ));
            }
            filters.insert(k, v.to_owned());
        }
        Ok(Meter {
            key: key.to_owned(),
            name: name.to_owned(),
            unit: unit.to_owned(),
            aggregation,
            property,
            filters,
        })
    }
}

/// Every meter, by key.
pub async fn list(engine: &Engine) -> Result<Vec<Meter>> {
    Ok(engine.policy().await?.meters.values().cloned().collect())
}

/// Creates or redefines a meter. The built-in ones are the platform's own.
pub async fn save(engine: &Engine, input: &MeterInput, actor: &str) -> Result<Meter> {
    let meter = input.parse()?;
    if meter.built_in() {
        return Err(Error::conflict(
            "key",
            "this meter is recorded by the platform itself and cannot be redefined",
        ));
    }
    let txn = engine.platform(PlatformUse::Records).await?;
    meter::Entity::insert(meter::ActiveModel {
        key: Set(meter.key.clone()),
        name: Set(meter.name.clone()),
        unit: Set(meter.unit.clone()),
        aggregation: Set(meter.aggregation.as_str().into()),
        property: Set(meter.property.clone()),
        filters: Set(serde_json::to_string(&meter.filters).unwrap_or_else(|_| "{}".into())),
        created_at: Set(chrono::Utc::now()),
    })
    .on_conflict(
        OnConflict::column(meter::Column::Key)
            .update_columns([
                meter::Column::Name,
                meter::Column::Unit,
                meter::Column::Aggregation,
                meter::Column::Property,
                meter::Column::Filters,
            ])
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    audit::record_in(
        &txn,
        actor,
        "meter.saved",
        None,
        &json!({ "meter": meter }).to_string(),
    )
    .await?;
    txn.commit().await?;
    engine.policy_changed().await?;
    Ok(meter)
}
