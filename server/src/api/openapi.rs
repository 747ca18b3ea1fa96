//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 description of the JSON API,
//! generated from the route table at run time, so it cannot drift from the
//! routes that exist. Each operation names the role it needs
//! (`x-tenantry-need`) and the credentials it accepts.

use super::{table, ApiRoute};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};
use tenantry::authz::Need;

pub async fn document() -> Response {
    Json(build()).into_response()
}

/// The whole document.
pub fn build() -> Value {
    let mut paths = Map::new();
    for route in table() {
        let item = paths
            .entry(route.path.to_owned())
            .or_insert_with(|| json!({}));
        if let Some(item) = item.as_object_mut() {
            item.insert(route.method.to_ascii_lowercase(), operation(&route));
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Tenantry tenant API",
            "version": "1",
            "description": "The JSON API of one organisation, on its own host. Another \
                organisation's ids are not found (404). Errors are \
                {\"error\": {\"code\", \"message\", \"field\"?}}."
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API key (tnt_…) or an access token from POST /api/v1/token"
                },
                "session": { "type": "apiKey", "in": "cookie", "name": "id" }
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {
                                "code": { "type": "string" },
                                "message": { "type": "string" },
                                "field": { "type": "string" }
                            }
                        }
                    }
                }
            }
        }
    })
}

fn operation(route: &ApiRoute) -> Value {
    let mut op = json!({
        "operationId": operation_id(route),
        "summary": route.summary,
        "x-tenantry-need": route.need.as_str(),
        "responses": responses(route),
    });
    let params: Vec<Value> = route
        .path
        .split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string", "format": "uuid"}}))
        .collect();
    let obj = op.as_object_mut().expect("an object");
    if !params.is_empty() {
        obj.insert("parameters".into(), Value::Array(params));
    }
    if route.need == Need::Anyone {
        obj.insert("security".into(), json!([]));
    } else {
        obj.insert("security".into(), json!([{"bearer": []}, {"session": []}]));
    }
    if matches!(route.method, "POST" | "PATCH" | "PUT") {
        let properties: Map<String, Value> = route
            .fields
            .iter()
            .map(|(field, _)| ((*field).to_owned(), json!({"type": "string"})))
            .collect();
        let required: Vec<&str> = route
            .fields
            .iter()
            .filter(|(_, required)| *required)
            .map(|(field, _)| *field)
            .collect();
        obj.insert(
            "requestBody".into(),
            json!({
                "required": true,
                "content": {"application/json": {"schema": {
                    "type": "object", "properties": properties, "required": required
                }}}
            }),
        );
    }
    op
}

fn responses(route: &ApiRoute) -> Value {
    let error = json!({"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    let success = match (route.method, route.returns) {
        ("DELETE", "") => ("204", json!({"description": "Done"})),
        (_, "") => ("200", json!({"description": "The file"})),
        (method, key) => (
            if method == "POST" && key != "token" && key != "user" {
                "201"
            } else {
                "200"
            },
            json!({
                "description": format!("`{key}` holds the result"),
                "content": {"application/json": {"schema": {
                    "type": "object", "required": [key], "properties": {key: {}}
                }}}
            }),
        ),
    };
    let mut out = Map::new();
    out.insert(success.0.into(), success.1);
    for (status, what) in [
        ("400", "Invalid input: `field` names what is wrong"),
        ("401", "No valid credential for this host"),
        ("403", "The caller's role does not allow this"),
        ("404", "Not found in this organisation"),
    ] {
        let mut response = error.clone();
        response["description"] = json!(what);
        out.insert(status.into(), response);
    }
    Value::Object(out)
}

/// `GET /api/v1/projects/{id}/tasks` → `get_projects_id_tasks`.
fn operation_id(route: &ApiRoute) -> String {
    let path: Vec<&str> = route
        .path
        .trim_start_matches("/api/v1/")
        .split('/')
        .map(|s| s.trim_matches(|c| c == '{' || c == '}'))
        .collect();
    format!("{}_{}", route.method.to_ascii_lowercase(), path.join("_")).replace(['-', '.'], "_")
}
