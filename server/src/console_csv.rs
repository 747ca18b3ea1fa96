//! `GET /console/tenants.csv` on the console host: the tenant list, with the
//! console's filters and sort, as CSV for a spreadsheet — every matching
//! tenant, read a keyset page at a time. Superadmins only.

use crate::api::error::json_error;
use crate::gateway::resolve::not_found;
use crate::page_routes::{router_of, PageRoute};
use axum::extract::Query;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use leptos::config::LeptosOptions;
use tenantry::authz::Need;
use tenantry::catalog::tenants::{self, TenantFilters, TenantQuery, MAX_PAGE};
use tenantry::identity::admins;
use tenantry::tenancy::{Engine, RequestScope};
use tenantry::Error;
use tower_sessions::Session;

pub fn table() -> Vec<PageRoute> {
    vec![PageRoute {
        method: "GET",
        path: "/console/tenants.csv",
        need: Need::Superadmin,
        handler: get(tenants_csv),
    }]
}

pub fn router() -> Router<LeptosOptions> {
    router_of(table())
}

async fn tenants_csv(
    Extension(scope): Extension<RequestScope>,
    Extension(engine): Extension<Engine>,
    session: Session,
    Query(f): Query<TenantFilters>,
) -> Response {
    if scope.console().is_err() {
        return not_found();
    }
    let superadmin = match tenantry::session::subject(&session, &scope).await {
        Some(id) => admins::find(&engine, id).await,
        None => Ok(None),
    };
    match superadmin {
        Ok(Some(_)) => {}
        Ok(None) => return json_error(&Error::Unauthenticated),
        Err(e) => return json_error(&e),
    }
    match csv(&engine, f).await {
        Ok(body) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"tenants.csv\"",
                ),
            ],
            body,
        )
            .into_response(),
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
    let mut out = String::from("slug,name,state,placement,plan,created_at\n");
    loop {
        let page = tenants::page(engine, &query).await?;
        for t in &page.rows {
            let cells = [
                t.slug.as_str(),
                t.name.as_str(),
                t.state.as_str(),
                t.placement.as_str(),
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
