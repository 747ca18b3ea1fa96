//! Billing periods: calendar months in UTC, `[start, end)`.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

fn month_start(year: i32, month: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, 1, 0, 0, 0)
        .single()
        .expect("the first of a month at midnight UTC exists")
}

impl Period {
    /// The month `at` falls in.
    pub fn containing(at: DateTime<Utc>) -> Self {
        let start = month_start(at.year(), at.month());
        let (year, month) = if at.month() == 12 {
            (at.year() + 1, 1)
        } else {
            (at.year(), at.month() + 1)
        };
        Self {
            start,
            end: month_start(year, month),
        }
    }

    /// A period by its label, `2026-11`.
    pub fn parse(label: &str) -> Option<Self> {
        let date = NaiveDate::parse_from_str(&format!("{label}-01"), "%Y-%m-%d").ok()?;
        let at = Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0)?);
        Some(Self::containing(at))
    }

    pub fn previous(self) -> Self {
        Self::containing(self.start - Duration::seconds(1))
    }

    pub fn label(self) -> String {
        self.start.format("%Y-%m").to_string()
    }

    pub fn seconds(self) -> i64 {
        (self.end - self.start).num_seconds()
    }

    pub fn contains(self, at: DateTime<Utc>) -> bool {
        self.start <= at && at < self.end
    }

    /// Each day of the period, as `YYYY-MM-DD`.
    pub fn days(self) -> Vec<String> {
        let mut days = Vec::new();
        let mut day = self.start;
        while day < self.end {
            days.push(day_of(day));
            day += Duration::days(1);
        }
        days
    }
}

/// The UTC date of `at`, as usage events store it.
pub fn day_of(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_wrap_at_the_year_end() {
        let at = Utc
            .with_ymd_and_hms(2026, 12, 31, 23, 59, 59)
            .single()
            .expect("a time");
        let p = Period::containing(at);
        assert_eq!(p.label(), "2026-12");
        assert_eq!(
            p.end,
            Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0)
                .single()
                .expect("a time")
        );
        assert_eq!(p.days().len(), 31);
        assert_eq!(p.previous().label(), "2026-11");
        assert_eq!(Period::parse("2026-02").expect("a month").days().len(), 28);
        assert!(Period::parse("2026-13").is_none());
        assert!(p.contains(at) && !p.contains(p.end));
    }
}
