//! CSV for a spreadsheet, on the console host, for superadmins only:
//! - `GET /console/tenants.csv`: the tenant list, with the console's filters
//!   and sort — every matching tenant, read a keyset page at a time;
//! - `GET /console/tenants/{slug}/usage.csv?period=YYYY-MM`: one tenant's
//!   usage in a billing period (the current one by default), each meter by
//!   day, read through the tenant's own context.

use crate::api::error::json_error;
use crate::gateway::resolve::not_found;
use crate::page_routes::{router_of, PageRoute};
use crate::router::Site;
use axum::extract::{Path, Query};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use tenantry::authz::Need;
use tenantry::billing::period::Period;
use tenantry::billing::usage;
use tenantry::catalog::tenants::{self, TenantFilters, TenantQuery, MAX_PAGE};
use tenantry::identity::admins;
use tenantry::tenancy::{Engine, RequestScope, Slug, TenantState};
use tenantry::Error;
use tower_sessions::Session;

pub fn table() -> Vec<PageRoute> {
    vec![
        PageRoute {
            method: "GET",
            path: "/console/tenants.csv",
            need: Need::Superadmin,
            handler: get(tenants_csv),
        },
        PageRoute {
            method: "GET",
            path: "/console/tenants/{slug}/usage.csv",
            need: Need::Superadmin,
            handler: get(usage_csv),
        },
    ]
}

/// `None` when the request is a signed-in superadmin's on the console; the
/// refusal to answer otherwise.
async fn refusal(scope: &RequestScope, engine: &Engine, session: &Session) -> Option<Response> {
    if scope.console().is_err() {
        return Some(not_found());
    }
    let superadmin = match tenantry::session::subject(session, scope).await {
        Some(id) => admins::find(engine, id).await,
        None => Ok(None),
    };
    match superadmin {
        Ok(Some(_)) => None,
        Ok(None) => Some(json_error(&Error::Unauthenticated)),
        Err(e) => Some(json_error(&e)),
    }
}

fn attachment(filename: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body,
    )
        .into_response()
}

#[derive(serde::Deserialize)]
struct PeriodQuery {
    #[serde(default)]
    period: String,
}

async fn usage_csv(
    Extension(scope): Extension<RequestScope>,
    Extension(engine): Extension<Engine>,
    session: Session,
    Path(slug): Path<String>,
    Query(q): Query<PeriodQuery>,
) -> Response {
    if let Some(refused) = refusal(&scope, &engine, &session).await {
        return refused;
    }
    match usage_of(&engine, &slug, &q.period).await {
        Ok((period, body)) => attachment(&format!("{slug}-usage-{period}.csv"), body),
        Err(e) => json_error(&e),
    }
}

/// The tenant's usage in the period named `label` (empty: the current one):
/// the period's label and the CSV.
async fn usage_of(engine: &Engine, slug: &str, label: &str) -> tenantry::Result<(String, String)> {
    let slug = Slug::parse(slug).map_err(|_| Error::NotFound)?;
    let record = engine
        .record_by_slug(&slug)
        .await?
        .filter(|t| t.state != TenantState::Deleted)
        .ok_or(Error::NotFound)?;
    let period = match label.trim() {
        "" => Period::containing(chrono::Utc::now()),
        given => Period::parse(given)
            .ok_or_else(|| Error::invalid("period", "must be a month, as YYYY-MM"))?,
    };
    let ctx = engine.ctx_for(record.id).await?;
    let policy = engine.policy().await?;
    let meters = ctx
        .run(false, async |db| {
            usage::summary(&policy.meters, db, period).await
        })
        .await?;
    let mut out = String::from("tenant,period,meter,unit,day,quantity\n");
    for meter in &meters {
        for (day, quantity) in &meter.daily {
            let cells = [
                slug.as_str(),
                &period.label(),
                meter.key.as_str(),
                meter.unit.as_str(),
                day.as_str(),
                &quantity.to_string(),
            ];
            let line: Vec<String> = cells.iter().map(|c| cell(c)).collect();
            out.push_str(&line.join(","));
            out.push('\n');
        }
    }
    Ok((period.label(), out))
}

pub fn router() -> Router<Site> {
    router_of(table())
}

async fn tenants_csv(
    Extension(scope): Extension<RequestScope>,
    Extension(engine): Extension<Engine>,
    session: Session,
    Query(f): Query<TenantFilters>,
) -> Response {
    if let Some(refused) = refusal(&scope, &engine, &session).await {
        return refused;
    }
    match csv(&engine, f).await {
        Ok(body) => attachment("tenants.csv", body),
        Err(e) => json_error(&e),
    }
}

async fn csv(engine: &Engine, f: TenantFilters) -> tenantry::Result<String> {
    let mut query = TenantQuery::parse(
        TenantFilters {
            after: String::new(),
            ..f
        },
        MAX_PAGE,
    )?;
    let mut out = String::from("slug,name,state,placement,cluster,plan,created_at\n");
    loop {
        let page = tenants::page(engine, &query).await?;
        for t in &page.rows {
            let cells = [
                t.slug.as_str(),
                t.name.as_str(),
                t.state.as_str(),
                t.placement.as_str(),
                engine.clusters().name_of(t.cluster.as_deref()),
                t.plan.as_str(),
                &t.created_at.to_rfc3339(),
            ];
            let line: Vec<String> = cells.iter().map(|c| cell(c)).collect();
            out.push_str(&line.join(","));
            out.push('\n');
        }
        match page.next {
            Some(next) => query.after = Some(next),
            None => return Ok(out),
        }
    }
}

/// One CSV cell: quoted when it must be, and never read as a formula by a
/// spreadsheet (a leading `=`, `+`, `-` or `@` gets a `'`).
fn cell(value: &str) -> String {
    let value = match value.starts_with(['=', '+', '-', '@']) {
        true => format!("'{value}"),
        false => value.to_owned(),
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn cells_are_quoted_and_never_formulas() {
        assert_eq!(cell("acme"), "acme");
        assert_eq!(cell("Acme, Inc"), "\"Acme, Inc\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(cell("@x,y"), "\"'@x,y\"");
    }
}
