//! The routes and handlers of the local Defender API, for every served
//! entity set: `GET /api/{set}`, `GET /api/{set}/$count`,
//! `GET /api/{set}/{key}`; for every navigation between served sets
//! (`schema::navigations`) `GET /api/machines/{id}/alerts` and its
//! `/$count`; and besides them `GET /api/$metadata` and
//! `GET /openapi.json`.
//!
//! A navigation is the target set's list: its query is validated against
//! the target (Alerts), its permissions and rate budget are the target's,
//! and the source answers it restricted to the entity's (a
//! [`Scope`], never text added to the query). The entity navigated from
//! must exist in its set, else `404 ResourceNotFound`, as the service
//! answers for an unknown machine.
//!
//! Owns: which route answers what, the order of the checks (token, then
//! permission, then rate budget, then the query), correlation ids and the
//! access log. Must not know about: query text (the [`ODataQuery`]
//! extractor hands over a validated query), tokens' inner workings
//! (`access`) or how a source answers.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRef, FromRequestParts, Path, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tokio::sync::Semaphore;

use super::access::{Access, Caller, Token};
use super::extract::{ODataQuery, QuerySchema};
use super::reply::{odata_json, ApiError, ODATA_VERSION};
use super::source::{EntitySource, SourceError};
use super::{metadata, openapi};
use crate::client::RateLimit;
use crate::eval::{ResponseOptions, Scope};
use crate::schema::{context_url, local_name, navigations, EntitySchema, Navigation};
use crate::validate::ValidatedQuery;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// What a server answers with, besides its entity sets.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// The URL clients reach the server at (`http://127.0.0.1:8080`, or a
    /// gateway's `https://gw.example/defender`): `@odata.context` and
    /// `@odata.nextLink` start with it followed by `/api/`, whatever
    /// `Host` a request names.
    pub public_url: String,
    /// The accepted bearer tokens.
    pub tokens: Vec<Token>,
    /// Each token's rate limits on every set, in place of the limits each
    /// set's schema states (`Some(vec![])`: none); `None`: the schemas'.
    pub rate_limits: Option<Vec<RateLimit>>,
    /// How many answers run on blocking threads at once (a database, a
    /// large set in memory).
    pub blocking_answers: usize,
    /// The longest request target (path and query) answered; a longer one
    /// gets `414`.
    pub max_target_len: usize,
}

impl ServerConfig {
    /// The defaults for a server reached at `public_url`: each set's
    /// documented rate limits, 8 answers on blocking threads at once, request targets of
    /// at most 32 KiB.
    pub fn new(public_url: impl Into<String>, tokens: Vec<Token>) -> ServerConfig {
        ServerConfig {
            public_url: public_url.into(),
            tokens,
            rate_limits: None,
            blocking_answers: 8,
            max_target_len: 32 * 1024,
        }
    }
}

/// What every handler shares.
struct Shared {
    access: Access,
    service_root: String,
    blocking: Semaphore,
    max_target_len: usize,
    /// The two documents, rendered once; a clone shares the bytes.
    metadata: Bytes,
    openapi: Bytes,
    /// Correlation ids: a random base (per run) plus a counter, so that
    /// each request's id is unique.
    id_base: (u64, u64),
    id_counter: AtomicU64,
    /// The served sets' path segments (`machineactions`), for routing
    /// without regard to case.
    segments: Vec<String>,
}

/// The state of one entity set's routes.
#[derive(Clone)]
struct SetState {
    shared: Arc<Shared>,
    source: Arc<dyn EntitySource>,
    /// The set's place among the served sets, which its rate budgets
    /// are kept by.
    index: usize,
}

/// The state of one navigation's routes (`machines/{id}/alerts`): the
/// target set's state, and the source of the set navigated from.
#[derive(Clone)]
struct NavState {
    target: SetState,
    parent: Arc<dyn EntitySource>,
    navigation: &'static Navigation,
}

impl FromRef<NavState> for SetState {
    fn from_ref(state: &NavState) -> SetState {
        state.target.clone()
    }
}

impl FromRef<NavState> for QuerySchema {
    fn from_ref(state: &NavState) -> QuerySchema {
        QuerySchema(state.target.source.schema())
    }
}

impl FromRef<SetState> for QuerySchema {
    fn from_ref(state: &SetState) -> QuerySchema {
        QuerySchema(state.source.schema())
    }
}

/// The request's correlation id: the `target` of its errors, its
/// `request-id` header and its log line.
#[derive(Clone, Debug)]
struct RequestId(Arc<str>);

/// The served API as a service: the routes of every source's entity set,
/// reached with the set's name in any case.
#[derive(Clone)]
pub struct App {
    router: Router,
    shared: Arc<Shared>,
}

/// The API serving `sources` as `config` says.
pub fn router(config: ServerConfig, sources: Vec<Arc<dyn EntitySource>>) -> App {
    let schemas: Vec<&'static EntitySchema> = sources.iter().map(|s| s.schema()).collect();
    let public_url = config.public_url.trim_end_matches('/').to_owned();
    let random = uuid::Uuid::new_v4().as_u64_pair();
    let shared = Arc::new(Shared {
        access: Access::new(
            config.tokens,
            &schemas
                .iter()
                .map(|schema| {
                    config
                        .rate_limits
                        .clone()
                        .unwrap_or_else(|| schema.rate_limits.to_vec())
                })
                .collect::<Vec<_>>(),
        ),
        service_root: format!("{public_url}/api/"),
        blocking: Semaphore::new(config.blocking_answers.max(1)),
        max_target_len: config.max_target_len,
        metadata: Bytes::from(metadata::csdl(&schemas)),
        openapi: Bytes::from(openapi::document(&schemas, &public_url).to_string()),
        id_base: random,
        id_counter: AtomicU64::new(0),
        segments: schemas.iter().map(|s| s.path_segment()).collect(),
    });
    let mut router = Router::new()
        .route(
            "/api/$metadata",
            get(metadata_document).fallback(method_not_allowed),
        )
        .route(
            "/openapi.json",
            get(openapi_document).fallback(method_not_allowed),
        )
        .with_state(shared.clone());
    let sets: Vec<SetState> = sources
        .into_iter()
        .enumerate()
        .map(|(index, source)| SetState {
            shared: shared.clone(),
            source,
            index,
        })
        .collect();
    for set in &sets {
        let segment = set.source.schema().path_segment();
        router = router.merge(
            Router::new()
                .route(
                    &format!("/api/{segment}"),
                    get(list).fallback(method_not_allowed),
                )
                .route(
                    &format!("/api/{segment}/$count"),
                    get(count).fallback(method_not_allowed),
                )
                .route(
                    &format!("/api/{segment}/{{key}}"),
                    get(item).fallback(method_not_allowed),
                )
                .with_state(set.clone()),
        );
    }
    let served = |schema: &EntitySchema| {
        sets.iter()
            .find(|set| set.source.schema().entity_set == schema.entity_set)
    };
    for &navigation in navigations() {
        let (Some(parent), Some(target)) = (served(navigation.from), served(navigation.to)) else {
            continue;
        };
        let path = format!(
            "/api/{}/{{key}}/{}",
            navigation.from.path_segment(),
            navigation.segment
        );
        router = router.merge(
            Router::new()
                .route(&path, get(navigation_list).fallback(method_not_allowed))
                .route(
                    &format!("{path}/$count"),
                    get(navigation_count).fallback(method_not_allowed),
                )
                .with_state(NavState {
                    target: target.clone(),
                    parent: parent.source.clone(),
                    navigation,
                }),
        );
    }
    let router = router.fallback(not_found);
    App { router, shared }
}

impl<B> tower::Service<axum::http::Request<B>> for App
where
    B: axum::body::HttpBody<Data = axum::body::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    /// Gives the request its correlation id, refuses an over-long target,
    /// routes it, and writes the id and `OData-Version` on the response
    /// and one log line.
    fn call(&mut self, request: axum::http::Request<B>) -> Self::Future {
        let started = Instant::now();
        let shared = &self.shared;
        let id = shared.next_id();
        let mut request = request.map(Body::new);
        if let Some(uri) = canonical_uri(request.uri(), &shared.segments) {
            *request.uri_mut() = uri;
        }
        let method = request.method().clone();
        let path = request.uri().path().to_owned();
        let target_len = request
            .uri()
            .path_and_query()
            .map_or(0, |p| p.as_str().len());
        let routed = if target_len > shared.max_target_len {
            Err(ApiError::new(
                StatusCode::URI_TOO_LONG,
                "UriTooLong",
                format!(
                    "The request target is {target_len} bytes; at most {} are answered.",
                    shared.max_target_len
                ),
            )
            .for_request(&id)
            .into_response())
        } else {
            request.extensions_mut().insert(RequestId(id.clone()));
            Ok(self.router.call(request))
        };
        Box::pin(async move {
            let mut response = match routed {
                Ok(routed) => routed.await?,
                Err(refused) => refused,
            };
            let headers = response.headers_mut();
            if let Ok(value) = HeaderValue::from_str(&id) {
                headers.insert("request-id", value);
            }
            // JSON answers carry it already (`odata_json`); the others get it here.
            headers
                .entry(ODATA_VERSION)
                .or_insert(HeaderValue::from_static("4.0"));
            tracing::info!(
                request_id = &*id,
                %method,
                path = path.as_str(),
                status = response.status().as_u16(),
                micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
                "answered"
            );
            Ok(response)
        })
    }
}

impl Shared {
    /// A new correlation id.
    fn next_id(&self) -> Arc<str> {
        let n = self.id_counter.fetch_add(1, Ordering::Relaxed);
        let (high, low) = self.id_base;
        uuid::Uuid::from_u64_pair(high, low.wrapping_add(n))
            .hyphenated()
            .to_string()
            .into()
    }
}

/// The URI with `/api/` and a served set's segment (or `$metadata`) in
/// their canonical case, when the request spelled them otherwise.
fn canonical_uri(uri: &Uri, segments: &[String]) -> Option<Uri> {
    let path = uri.path();
    let mut parts = path.splitn(4, '/');
    let (Some(""), Some(api), Some(set)) = (parts.next(), parts.next(), parts.next()) else {
        return None;
    };
    let rest = parts.next();
    if !api.eq_ignore_ascii_case("api") {
        return None;
    }
    let canonical = segments
        .iter()
        .map(String::as_str)
        .chain(["$metadata"])
        .find(|s| s.eq_ignore_ascii_case(set))?;
    if api == "api" && set == canonical {
        return None;
    }
    let mut target = format!("/api/{canonical}");
    if let Some(rest) = rest {
        target.push('/');
        target.push_str(rest);
    }
    if let Some(query) = uri.query() {
        target.push('?');
        target.push_str(query);
    }
    Uri::try_from(target).ok()
}

fn request_id(parts: &Parts) -> Arc<str> {
    parts
        .extensions
        .get::<RequestId>()
        .map_or_else(|| Arc::from(""), |id| id.0.clone())
}

/// The caller behind a valid bearer token (else `401`).
fn authenticate(parts: &Parts, shared: &Shared) -> Result<Caller, ApiError> {
    let id = request_id(parts);
    let header = parts.headers.get(AUTHORIZATION).ok_or_else(|| {
        ApiError::unauthorized("Authorization: Bearer <token> is required.").for_request(&id)
    })?;
    let secret = header
        .to_str()
        .ok()
        .and_then(|value| {
            let (scheme, secret) = value.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| secret.trim())
        })
        .ok_or_else(|| {
            ApiError::unauthorized("The Authorization header is not 'Bearer <token>'.")
                .for_request(&id)
        })?;
    shared.access.find(secret).ok_or_else(|| {
        ApiError::unauthorized("The token is not valid (unknown or expired).").for_request(&id)
    })
}

/// A caller allowed to read the route's entity set now: a valid token
/// (`401`), one of the set's permissions (`403`), within its rate budget
/// (`429`).
struct Authorized;

impl<S> FromRequestParts<S> for Authorized
where
    S: Send + Sync,
    SetState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let set = SetState::from_ref(state);
        let caller = authenticate(parts, &set.shared)?;
        let schema = set.source.schema();
        if !set
            .shared
            .access
            .token(caller)
            .grants_any(schema.permissions)
        {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "Forbidden",
                format!(
                    "The token has none of the permissions that grant {}: {}.",
                    schema.entity_set,
                    schema.permissions.join(", ")
                ),
            )
            .for_request(&request_id(parts)));
        }
        set.shared
            .access
            .acquire(caller, set.index, Instant::now())
            .map_err(|wait| {
                let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                ApiError::too_many_requests(seconds).for_request(&request_id(parts))
            })?;
        Ok(Authorized)
    }
}

/// A caller with a valid token, whatever its permissions.
struct Authenticated;

impl FromRequestParts<Arc<Shared>> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, shared: &Arc<Shared>) -> Result<Self, ApiError> {
        authenticate(parts, shared).map(|_| Authenticated)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(RequestId(request_id(parts)))
    }
}

/// `GET /api/{set}`.
async fn list(
    State(set): State<SetState>,
    id: RequestId,
    _: Authorized,
    ODataQuery(query): ODataQuery,
) -> Result<Response, ApiError> {
    list_answer(&set, &id, query, None).await
}

/// `GET /api/{set}/$count`: the number of matches of `$filter`, as
/// `text/plain`.
async fn count(
    State(set): State<SetState>,
    id: RequestId,
    _: Authorized,
    ODataQuery(query): ODataQuery,
) -> Result<Response, ApiError> {
    count_answer(&set, &id, query, None).await
}

/// `GET /api/machines/{id}/alerts`: the target set's list within the
/// entity's scope, once the entity is found.
async fn navigation_list(
    State(nav): State<NavState>,
    id: RequestId,
    _: Authorized,
    key: Result<Path<String>, PathRejection>,
    ODataQuery(query): ODataQuery,
) -> Result<Response, ApiError> {
    let scope = navigation_scope(&nav, &id, key).await?;
    list_answer(&nav.target, &id, query, Some(scope)).await
}

/// `GET /api/machines/{id}/alerts/$count`.
async fn navigation_count(
    State(nav): State<NavState>,
    id: RequestId,
    _: Authorized,
    key: Result<Path<String>, PathRejection>,
    ODataQuery(query): ODataQuery,
) -> Result<Response, ApiError> {
    let scope = navigation_scope(&nav, &id, key).await?;
    count_answer(&nav.target, &id, query, Some(scope)).await
}

/// The scope of a navigation from the entity `key`: `404` when its set
/// has no such entity.
async fn navigation_scope(
    nav: &NavState,
    id: &RequestId,
    key: Result<Path<String>, PathRejection>,
) -> Result<Scope, ApiError> {
    let key = path_key(key, id)?;
    let lookup = key.clone();
    let found = answer(&nav.target.shared, &nav.parent, move |source| {
        source.get(&lookup)
    })
    .await
    .map_err(|error| source_error(error, id))?;
    if found.is_none() {
        return Err(entity_not_found(nav.navigation.from, &key, id));
    }
    let path = format!(
        "{}/{}/{}",
        nav.navigation.from.path_segment(),
        utf8_percent_encode(&key, PATH_SEGMENT),
        nav.navigation.segment
    );
    Ok(Scope::new(nav.navigation.foreign_key, key).at_path(path))
}

/// What a key may hold unencoded in a link's path segment.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The list of `query` on `set`'s source, within `scope` when given.
async fn list_answer(
    set: &SetState,
    id: &RequestId,
    query: ValidatedQuery<'static>,
    scope: Option<Scope>,
) -> Result<Response, ApiError> {
    let options = ResponseOptions {
        page_size: None,
        service_root: Some(set.shared.service_root.clone()),
    };
    let body = answer(&set.shared, &set.source, move |source| match &scope {
        None => source.list(&query, &options),
        Some(scope) => source.list_scoped(&query, scope, &options),
    })
    .await
    .map_err(|error| source_error(error, id))?;
    Ok(odata_json(body))
}

/// The count of `query` on `set`'s source, within `scope` when given, as
/// the `$count` segment answers it: the number alone, `text/plain`.
async fn count_answer(
    set: &SetState,
    id: &RequestId,
    query: ValidatedQuery<'static>,
    scope: Option<Scope>,
) -> Result<Response, ApiError> {
    let count = answer(&set.shared, &set.source, move |source| {
        source.count(&query, scope.as_ref())
    })
    .await
    .map_err(|error| source_error(error, id))?;
    Ok((
        [(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )],
        count.to_string(),
    )
        .into_response())
}

/// The decoded key of a path, or `400 BadRequest`.
fn path_key(key: Result<Path<String>, PathRejection>, id: &RequestId) -> Result<String, ApiError> {
    key.map(|Path(key)| key).map_err(|rejection| {
        ApiError::new(StatusCode::BAD_REQUEST, "BadRequest", rejection.body_text())
            .for_request(&id.0)
    })
}

/// `404 ResourceNotFound`: `schema`'s set has no entity `key`.
fn entity_not_found(schema: &EntitySchema, key: &str, id: &RequestId) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
        format!("{} {key} was not found.", local_name(schema.type_name)),
    )
    .for_request(&id.0)
}

/// `GET /api/{set}/{key}`: the entity, with the context URL of one
/// entity, or `404 ResourceNotFound`.
async fn item(
    State(set): State<SetState>,
    id: RequestId,
    _: Authorized,
    key: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let key = path_key(key, &id)?;
    let schema = set.source.schema();
    let lookup = key.clone();
    let found = answer(&set.shared, &set.source, move |source| source.get(&lookup))
        .await
        .map_err(|error| source_error(error, &id))?;
    let Some(serde_json::Value::Object(fields)) = found else {
        return Err(entity_not_found(schema, &key, &id));
    };
    let mut body = serde_json::Map::with_capacity(fields.len() + 1);
    let mut context = context_url(&set.shared.service_root, schema.entity_set);
    context.push_str("/$entity");
    body.insert("@odata.context".into(), context.into());
    body.extend(fields);
    Ok(json_body(&body))
}

/// The answer to a source's failure: a rejected query's `400`, or `503`
/// (logged with the reason, which the client is not shown).
fn source_error(error: SourceError, id: &RequestId) -> ApiError {
    match error {
        SourceError::Rejected(error) => ApiError::query(error),
        SourceError::NotImplemented(message) => {
            ApiError::new(StatusCode::NOT_IMPLEMENTED, "NotImplemented", message).for_request(&id.0)
        }
        SourceError::Unavailable(reason) => {
            tracing::error!(
                request_id = &*id.0,
                reason = reason.as_str(),
                "source failed"
            );
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailable",
                "The entity store is unavailable; retry the operation.",
            )
            .for_request(&id.0)
        }
    }
}

fn json_body<T: serde::Serialize>(value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => odata_json(bytes),
        Err(error) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            format!("The answer could not be written: {error}"),
        )
        .into_response(),
    }
}

/// Runs `work` on `source`: on the event loop when it does not block,
/// else on a blocking thread, at most `blocking_answers` at once.
async fn answer<T: Send + 'static>(
    shared: &Shared,
    source: &Arc<dyn EntitySource>,
    work: impl FnOnce(&dyn EntitySource) -> Result<T, SourceError> + Send + 'static,
) -> Result<T, SourceError> {
    if !source.blocks() {
        return work(source.as_ref());
    }
    let _permit = shared
        .blocking
        .acquire()
        .await
        .map_err(|_| SourceError::Unavailable("the server is shutting down".into()))?;
    let source = source.clone();
    tokio::task::spawn_blocking(move || work(source.as_ref()))
        .await
        .unwrap_or_else(|e| Err(SourceError::Unavailable(format!("an answer failed: {e}"))))
}

/// `GET /api/$metadata`.
async fn metadata_document(State(shared): State<Arc<Shared>>, _: Authenticated) -> Response {
    (
        [(
            CONTENT_TYPE,
            HeaderValue::from_static("application/xml; charset=utf-8"),
        )],
        shared.metadata.clone(),
    )
        .into_response()
}

/// `GET /openapi.json`: public, so that tools can read it.
async fn openapi_document(State(shared): State<Arc<Shared>>) -> Response {
    (
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        shared.openapi.clone(),
    )
        .into_response()
}

async fn not_found(request: Request) -> ApiError {
    let (parts, _) = request.into_parts();
    ApiError::new(
        StatusCode::NOT_FOUND,
        "NotFound",
        format!("No resource is served at {}.", parts.uri.path()),
    )
    .for_request(&request_id(&parts))
}

async fn method_not_allowed(request: Request) -> ApiError {
    let (parts, _) = request.into_parts();
    ApiError::method_not_allowed("GET, HEAD").for_request(&request_id(&parts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_segment_and_a_served_set_match_in_any_case() {
        let segments = ["machineactions".to_owned()];
        let canonical = |uri: &str| {
            canonical_uri(&uri.parse::<Uri>().unwrap(), &segments).map(|u| u.to_string())
        };
        assert_eq!(canonical("/api/machineactions?$top=1"), None);
        assert_eq!(
            canonical("/API/MachineActions?$top=1").as_deref(),
            Some("/api/machineactions?$top=1")
        );
        assert_eq!(
            canonical("/Api/MACHINEACTIONS/AbC-1").as_deref(),
            Some("/api/machineactions/AbC-1"),
            "the key keeps its case"
        );
        assert_eq!(
            canonical("/api/$METADATA").as_deref(),
            Some("/api/$metadata")
        );
        assert_eq!(canonical("/api/machines"), None);
        assert_eq!(canonical("/other/MachineActions"), None);
        assert_eq!(canonical("/"), None);
    }
}
