//! `GET /openapi.json`: an OpenAPI 3.0 document of the served endpoints,
//! generated from the entity schemas: each list with the query options
//! its set supports, each `$count`, each get by key, each navigation
//! between served sets (`/api/machines/{id}/alerts` and its `$count`),
//! `$metadata`, and every response the server gives, errors included.
//!
//! Owns: the document. Must not know about: HTTP or where entities come
//! from.

use serde_json::{json, Map, Value};

use crate::schema::{local_name, navigations};
use crate::schema::{EdmType, EntitySchema, PropertyDef};
use crate::syntax::SystemOption;

/// The OpenAPI document of `schemas` served under `public_url`.
pub fn document(schemas: &[&'static EntitySchema], public_url: &str) -> Value {
    let mut paths = Map::new();
    let mut components = Map::new();
    components.insert("Error".into(), error_schema());
    components.insert("ODataError".into(), odata_error_schema());
    for schema in schemas {
        let type_name = local_name(schema.type_name);
        components.insert(type_name.into(), object_schema(schema.properties));
        components.insert(
            format!("{}Page", schema.entity_set),
            json!({
                "type": "object",
                "required": ["@odata.context", "value"],
                "properties": {
                    "@odata.context": {"type": "string"},
                    "@odata.count": {"type": "integer", "minimum": 0},
                    "value": {"type": "array", "items": {"$ref": format!("#/components/schemas/{type_name}")}},
                    "@odata.nextLink": {"type": "string"},
                },
            }),
        );
        let segment = schema.path_segment();
        let permissions = schema.permissions.join(", ");
        paths.insert(
            format!("/api/{segment}"),
            json!({
                "get": {
                    "operationId": format!("list{}", schema.entity_set),
                    "summary": format!("List {}", schema.entity_set),
                    "description": format!(
                        "OData query options as the Defender API takes them. Permissions: any of {permissions}. \
                         Filterable: {}. Sortable: {}. At most {} per page.",
                        names(schema.filterable()),
                        names(schema.sortable()),
                        schema.max_top
                    ),
                    "parameters": options(schema),
                    "responses": responses(
                        json!({"$ref": format!("#/components/schemas/{}Page", schema.entity_set)}),
                        true,
                    ),
                },
            }),
        );
        paths.insert(
            format!("/api/{segment}/{{{}}}", schema.key),
            json!({
                "get": {
                    "operationId": format!("get{type_name}"),
                    "summary": format!("Get one {type_name} by {}", schema.key),
                    "description": format!("Permissions: any of {permissions}."),
                    "parameters": [{
                        "name": schema.key,
                        "in": "path",
                        "required": true,
                        "schema": {"type": "string"},
                    }],
                    "responses": responses(
                        json!({"$ref": format!("#/components/schemas/{type_name}")}),
                        false,
                    ),
                },
            }),
        );
        paths.insert(
            format!("/api/{segment}/$count"),
            json!({"get": count_operation(
                format!("count{}", schema.entity_set),
                format!("Count {} matching $filter", schema.entity_set),
                schema,
                Vec::new(),
            )}),
        );
    }
    for navigation in navigations() {
        let served =
            |target: &EntitySchema| schemas.iter().any(|s| s.entity_set == target.entity_set);
        if !(served(navigation.from) && served(navigation.to)) {
            continue;
        }
        let (from, to) = (navigation.from, navigation.to);
        let path = format!(
            "/api/{}/{{{}}}/{}",
            from.path_segment(),
            from.key,
            navigation.segment
        );
        let key = json!({
            "name": from.key,
            "in": "path",
            "required": true,
            "schema": {"type": "string"},
        });
        let mut parameters = vec![key.clone()];
        parameters.extend(options(to));
        let mut list = responses(
            json!({"$ref": format!("#/components/schemas/{}Page", to.entity_set)}),
            true,
        );
        list["404"] = not_found(from);
        list["501"] = not_implemented();
        paths.insert(
            path.clone(),
            json!({
                "get": {
                    "operationId": format!("list{}{}", local_name(from.type_name), to.entity_set),
                    "summary": format!(
                        "List the {} whose {} is the {}'s {}",
                        to.entity_set, navigation.foreign_key, local_name(from.type_name), from.key
                    ),
                    "description": format!(
                        "The {} list (its options, permissions: any of {}, and rate limits), \
                         restricted to one {}.",
                        to.entity_set,
                        to.permissions.join(", "),
                        local_name(from.type_name)
                    ),
                    "parameters": parameters,
                    "responses": list,
                },
            }),
        );
        let mut count = count_operation(
            format!("count{}{}", local_name(from.type_name), to.entity_set),
            format!(
                "Count the {} of one {}",
                to.entity_set,
                local_name(from.type_name)
            ),
            to,
            vec![key],
        );
        count["responses"]["404"] = not_found(from);
        count["responses"]["501"] = not_implemented();
        paths.insert(format!("{path}/$count"), json!({ "get": count }));
    }
    paths.insert(
        "/api/$metadata".into(),
        json!({
            "get": {
                "operationId": "metadata",
                "summary": "The CSDL XML of the entity sets (any valid token)",
                "responses": {
                    "200": {
                        "description": "CSDL",
                        "content": {"application/xml": {"schema": {"type": "string"}}},
                    },
                    "401": error_response("Missing or unknown bearer token"),
                    "405": method_not_allowed(),
                    "414": error_response("The request target is too long"),
                },
            },
        }),
    );
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "defender-odata serve: the OData lists of the Microsoft Defender for Endpoint API",
            "version": env!("CARGO_PKG_VERSION"),
        },
        "servers": [{"url": public_url}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    })
}

/// A `$count` operation on `schema`'s entities: its `$filter`, and the
/// number as `text/plain`.
fn count_operation(
    operation_id: String,
    summary: String,
    schema: &EntitySchema,
    mut parameters: Vec<Value>,
) -> Value {
    parameters.extend(
        options(schema)
            .into_iter()
            .filter(|p| p["name"] == SystemOption::Filter.name()),
    );
    let mut responses = responses(json!({}), true);
    responses["200"] = json!({
        "description": "The number of matches (OData's $count segment; $top and $skip do not change it)",
        "content": {"text/plain": {"schema": {"type": "integer", "minimum": 0}}},
    });
    json!({
        "operationId": operation_id,
        "summary": summary,
        "description": format!("Permissions: any of {}.", schema.permissions.join(", ")),
        "parameters": parameters,
        "responses": responses,
    })
}

/// `404 ResourceNotFound` of a navigation: `from`'s set has no such entity.
fn not_found(from: &EntitySchema) -> Value {
    error_response(&format!(
        "No {} has this {} (ResourceNotFound)",
        local_name(from.type_name),
        from.key
    ))
}

/// `501 NotImplemented`: the source cannot restrict its list (one that does
/// not implement `EntitySource::list_scoped`).
fn not_implemented() -> Value {
    error_response("The source cannot answer a restricted list (NotImplemented)")
}

/// Every response of an entity-set operation: `ok` with status 200, and
/// each error the server answers it with.
fn responses(ok: Value, list: bool) -> Value {
    let mut responses = json!({
        "200": {
            "description": "OK",
            "content": {"application/json": {"schema": ok}},
        },
        "401": error_response("Missing or unknown bearer token"),
        "403": error_response("The token has none of the permissions that grant this list"),
        "405": method_not_allowed(),
        "414": error_response("The request target is too long"),
        "429": error_with_header(
            "Over the token's rate limit",
            "Retry-After",
            json!({
                "description": "Seconds to wait, at least 1",
                "required": true,
                "schema": {"type": "integer", "minimum": 1},
            }),
        ),
        "503": error_response("The store failed"),
    });
    responses["400"] = json!({
        "description": "The query was rejected (ODataError, every problem in details)",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ODataError"}}},
    });
    if !list {
        responses["404"] = error_response("No entity has this key (ResourceNotFound)");
    }
    responses
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    })
}

fn method_not_allowed() -> Value {
    error_with_header(
        "Only GET and HEAD are served",
        "Allow",
        json!({"required": true, "schema": {"type": "string"}}),
    )
}

/// An error response that also carries the header `name`.
fn error_with_header(description: &str, name: &str, header: Value) -> Value {
    let mut response = error_response(description);
    response["headers"] = json!({ name: header });
    response
}

/// The query options `schema` supports, as parameters.
fn options(schema: &EntitySchema) -> Vec<Value> {
    SystemOption::ALL
        .into_iter()
        .filter(|option| schema.supports(*option))
        .map(|option| {
            let (kind, description) = match option {
                SystemOption::Filter => (json!({"type": "string"}), "A filter expression"),
                SystemOption::OrderBy => (
                    json!({"type": "string"}),
                    "Properties to sort by, each `asc` or `desc`",
                ),
                SystemOption::Select => (json!({"type": "string"}), "The properties to return"),
                SystemOption::Top => (
                    json!({"type": "integer", "minimum": 0, "maximum": schema.max_top}),
                    "At most this many results",
                ),
                SystemOption::Skip => (
                    json!({"type": "integer", "minimum": 0, "maximum": schema.max_skip}),
                    "Skip this many results",
                ),
                SystemOption::Count => (
                    json!({"type": "boolean"}),
                    "Also return the number of matches",
                ),
                SystemOption::Expand => (
                    json!({
                        "type": "string",
                        "enum": schema.navigation_properties().map(|p| p.name).collect::<Vec<_>>(),
                    }),
                    "The navigation property to return in full (without it, an empty list)",
                ),
            };
            json!({
                "name": option.name(),
                "in": "query",
                "required": false,
                "description": description,
                "schema": kind,
            })
        })
        .collect()
}

/// The JSON schema of an object with `properties`; members not declared
/// are allowed, as entities keep the fields the service adds.
fn object_schema(properties: &[PropertyDef]) -> Value {
    let members: Map<String, Value> = properties
        .iter()
        .map(|p| (p.name.to_owned(), value_schema(&p.edm_type)))
        .collect();
    json!({"type": "object", "properties": members, "additionalProperties": true})
}

fn value_schema(edm_type: &EdmType) -> Value {
    let mut schema = match edm_type {
        EdmType::Boolean => json!({"type": "boolean"}),
        EdmType::Byte | EdmType::SByte | EdmType::Int16 | EdmType::Int32 | EdmType::Int64 => {
            json!({"type": "integer"})
        }
        EdmType::Single | EdmType::Double | EdmType::Decimal => json!({"type": "number"}),
        EdmType::Complex(complex) => object_schema(complex.properties),
        EdmType::Collection(element) => json!({"type": "array", "items": value_schema(element)}),
        // Strings, and what JSON writes as strings: instants, dates,
        // durations, GUIDs, enum members.
        _ => json!({"type": "string"}),
    };
    schema["nullable"] = json!(true);
    schema
}

fn error_schema() -> Value {
    json!({
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "target": {"type": "string", "description": "The request's correlation id"},
                },
            },
        },
    })
}

fn odata_error_schema() -> Value {
    json!({
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "details"],
                "properties": {
                    "code": {"type": "string", "enum": ["ODataError"]},
                    "message": {"type": "string"},
                    "details": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {
                                "code": {"type": "string"},
                                "message": {"type": "string"},
                                "target": {"type": "string"},
                                "span": {"type": "array", "items": {"type": "integer"}},
                                "help": {"type": "string"},
                            },
                        },
                    },
                },
            },
        },
    })
}

fn names(properties: impl Iterator<Item = &'static PropertyDef>) -> String {
    properties.map(|p| p.name).collect::<Vec<_>>().join(", ")
}
