//! `defender-odata serve` end to end: the binary on 127.0.0.1 port 0,
//! called over real HTTP (ureq, and raw sockets where a client would not
//! send what is tested: a forged `Host`, a request head that never ends).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use std::sync::Arc;

use defender_odata::eval::{CompiledQuery, ResponseOptions};
use defender_odata::model::MachineAction;
use defender_odata::server::{
    router, serve, ConnectionLimits, EntitySource, ServerConfig, SourceError, Token,
};
use defender_odata::{check, machine_actions, parse, sample, ParseOptions};
use serde_json::Value;

mod binary;
use binary::run;

const TOKEN: &str = "test-token";
const EXAMPLE_2: &str = "$filter=machineId eq 'f46b9bb259ed4a7fb9981b73510e3cc7aa81ec1f'&$top=2";

/// A running `serve`, stopped when dropped.
struct Server {
    child: Child,
    base: String,
    stderr: Option<BufReader<std::process::ChildStderr>>,
}

impl Server {
    /// Starts `serve` with `args` on a free loopback port and reads the
    /// address from its first stdout line.
    fn start(args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_defender-odata"))
            .arg("serve")
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("serve starts");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut first = String::new();
        stdout.read_line(&mut first).expect("a first line");
        let base = first
            .trim_end()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("first line: {first:?}"))
            .to_owned();
        assert!(base.starts_with("http://127.0.0.1:"), "{base}");
        Server {
            stderr: child.stderr.take().map(BufReader::new),
            child,
            base,
        }
    }

    fn with_token(args: &[&str]) -> Server {
        let mut all = vec!["--token", TOKEN];
        all.extend_from_slice(args);
        Server::start(&all)
    }

    fn url(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}", self.base)
    }

    fn port(&self) -> u16 {
        self.base.rsplit(':').next().unwrap().parse().unwrap()
    }

    /// The next line of the server's stderr.
    fn stderr_line(&mut self) -> String {
        let mut line = String::new();
        self.stderr
            .as_mut()
            .expect("stderr")
            .read_line(&mut line)
            .expect("a stderr line");
        line
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP answer.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

fn call(method: &str, url: &str, token: Option<&str>) -> Answer {
    let mut request = ureq::request(method, url);
    if let Some(token) = token {
        request = request.set("Authorization", &format!("Bearer {token}"));
    }
    let response = match request.call() {
        Ok(response) => response,
        Err(ureq::Error::Status(_, response)) => response,
        Err(error) => panic!("{method} {url}: {error}"),
    };
    let status = response.status();
    let headers = response
        .headers_names()
        .into_iter()
        .map(|n| {
            let v = response.header(&n).unwrap_or_default().to_owned();
            (n, v)
        })
        .collect();
    let mut body = String::new();
    response
        .into_reader()
        .take(64 << 20)
        .read_to_string(&mut body)
        .expect("a body");
    Answer {
        status,
        headers,
        body,
    }
}

fn get(url: &str) -> Answer {
    call("GET", url, Some(TOKEN))
}

/// `query` percent-encoded as a client sends it.
fn encoded(query: &str) -> String {
    parse(query).expect("a query").to_query_string()
}

/// A file of `count` generated MachineActions (JSON Lines).
fn generated(count: u64) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("serve");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(format!("actions-{count}.jsonl"));
    if !path.exists() {
        let temp = dir.join(format!("actions-{count}.jsonl.{}", std::process::id()));
        let file = std::fs::File::create(&temp).expect("create");
        sample::write_generated_json_lines(count, std::io::BufWriter::new(file)).expect("write");
        std::fs::rename(&temp, &path).expect("rename");
    }
    path
}

/// Sends `request` as raw bytes and reads until the server closes or
/// `wait` passes.
fn raw(port: u16, request: &[u8], wait: Duration) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.set_read_timeout(Some(wait)).expect("timeout");
    stream.write_all(request).expect("send");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn the_docs_example_2_over_http_is_what_eval_prints() {
    let server = Server::with_token(&["--public-url", "https://api.securitycenter.microsoft.com"]);
    let answer = get(&server.url(&format!("/api/machineactions?{}", encoded(EXAMPLE_2))));
    assert_eq!(answer.status, 200, "{}", answer.body);
    let eval = run(&["eval", EXAMPLE_2]);
    assert_eq!(eval.code, 0, "{}", eval.stderr);
    let expected: Value = serde_json::from_str(&eval.stdout).unwrap();
    assert_eq!(answer.json(), expected);
    assert_eq!(answer.header("OData-Version"), Some("4.0"));
    let content_type = answer.header("Content-Type").unwrap();
    assert!(
        content_type.starts_with("application/json; odata.metadata=minimal"),
        "{content_type}"
    );
}

#[test]
fn next_links_page_through_25000_actions_each_once_in_order() {
    let data = generated(25_000);
    let server = Server::with_token(&["--data", data.to_str().unwrap(), "--rate-limit", "off"]);
    let query = "$filter=status ne 'Cancelled'&$count=true";
    // What every page put together must be: the evaluator's answer in one
    // page over the same actions.
    let mut actions = Vec::new();
    let file = std::fs::File::open(&data).unwrap();
    defender_odata::eval::read_entities(BufReader::new(file), |a: MachineAction| actions.push(a))
        .unwrap();
    let validated = check(query, machine_actions(), &ParseOptions::default()).unwrap();
    let whole = CompiledQuery::<MachineAction>::compile(&validated)
        .unwrap()
        .with_page_size(100_000)
        .run(actions.iter());
    let expected: Vec<&Value> = whole.value.iter().map(|a| &a["id"]).collect();
    assert!(expected.len() > 20_000, "{}", expected.len());

    let mut ids = Vec::new();
    let mut next = Some(server.url(&format!("/api/machineactions?{}", encoded(query))));
    let mut pages = 0;
    while let Some(url) = next.take() {
        assert!(url.starts_with(&server.base), "{url}");
        let page = get(&url);
        assert_eq!(page.status, 200, "{}", page.body);
        let body = page.json();
        assert_eq!(body["@odata.count"], expected.len());
        let value = body["value"].as_array().unwrap();
        assert!(value.len() <= 10_000);
        ids.extend(value.iter().map(|a| a["id"].clone()));
        next = body["@odata.nextLink"].as_str().map(str::to_owned);
        pages += 1;
        assert!(pages <= 3, "more pages than 25,000 actions need");
    }
    assert_eq!(pages, 3);
    let ids: Vec<&Value> = ids.iter().collect();
    assert_eq!(ids, expected);
}

#[test]
fn each_error_has_its_status_and_defender_body() {
    let mut server = Server::start(&[
        "--token",
        TOKEN,
        "--token",
        "alerts-only:Alert.Read.All",
        "--token",
        "delegated:machine.read",
    ]);
    let list = server.url("/api/machineactions");

    // 400: the library's own body, every problem in details.
    let answer = get(&format!("{list}?$filter=stats%20eq%20'x'&$top=20000"));
    assert_eq!(answer.status, 400);
    let rejected = check(
        "$filter=stats eq 'x'&$top=20000",
        machine_actions(),
        &ParseOptions::default(),
    )
    .unwrap_err();
    assert_eq!(answer.json(), rejected.to_odata_json());

    // 401: no token, an unknown token, another scheme.
    for (token, header) in [
        (None, None),
        (Some("nope"), None),
        (None, Some("Basic dGVzdA==")),
    ] {
        let mut request = ureq::get(&list);
        if let Some(token) = token {
            request = request.set("Authorization", &format!("Bearer {token}"));
        }
        if let Some(header) = header {
            request = request.set("Authorization", header);
        }
        let Err(ureq::Error::Status(401, response)) = request.call() else {
            panic!("expected 401");
        };
        assert_eq!(response.header("WWW-Authenticate"), Some("Bearer"));
        let id = response.header("request-id").unwrap().to_owned();
        let body: Value = serde_json::from_reader(response.into_reader()).unwrap();
        assert_eq!(body["error"]["code"], "Unauthorized");
        assert_eq!(body["error"]["target"], id.as_str());
    }

    // 403: a valid token without a MachineActions permission; a delegated
    // permission in any case grants it.
    let answer = call("GET", &list, Some("alerts-only"));
    assert_eq!(answer.status, 403);
    assert_eq!(answer.json()["error"]["code"], "Forbidden");
    assert_eq!(call("GET", &list, Some("delegated")).status, 200);

    // 404: a missing action, and a path that is not served.
    let answer = get(&server.url("/api/machineactions/00000000-0000-0000-0000-000000000000"));
    assert_eq!(answer.status, 404);
    let body = answer.json();
    assert_eq!(body["error"]["code"], "ResourceNotFound");
    assert_eq!(
        body["error"]["target"].as_str(),
        answer.header("request-id"),
        "the target is the correlation id"
    );
    let answer = get(&server.url("/api/nothing-here"));
    assert_eq!(answer.status, 404);
    assert_eq!(answer.json()["error"]["code"], "NotFound");

    // 405, with Allow.
    for method in ["POST", "DELETE", "PUT"] {
        let answer = call(method, &list, Some(TOKEN));
        assert_eq!(answer.status, 405, "{method}");
        assert_eq!(answer.header("Allow"), Some("GET, HEAD"));
        assert_eq!(answer.json()["error"]["code"], "MethodNotAllowed");
    }

    // 414: a request target past the server's cap, in the envelope.
    let long = format!("{list}?$filter=id%20eq%20'{}'", "a".repeat(40_000));
    let answer = get(&long);
    assert_eq!(answer.status, 414);
    assert_eq!(answer.json()["error"]["code"], "UriTooLong");
    // Under the cap, a value past the parser's limit is a 400 TooLong.
    let answer = get(&format!(
        "{list}?$filter=id%20eq%20'{}'",
        "a".repeat(20_000)
    ));
    assert_eq!(answer.status, 400);
    assert_eq!(answer.json()["error"]["details"][0]["code"], "TooLong");

    // The log line of a request names its correlation id; the token never
    // appears in the log.
    let answer = get(&server.url("/api/machineactions/x"));
    let id = answer.header("request-id").unwrap().to_owned();
    let mut log = String::new();
    while !log.contains(&id) {
        log.push_str(&server.stderr_line());
    }
    assert!(!log.contains(TOKEN), "{log}");
}

#[test]
fn the_101st_call_in_a_minute_is_told_when_to_retry() {
    let server = Server::with_token(&["--token", "software:Software.Read"]);
    let list = server.url("/api/machineactions?$top=1");
    let started = Instant::now();
    for i in 0..100 {
        let answer = get(&list);
        assert_eq!(answer.status, 200, "call {}", i + 1);
    }
    let answer = get(&list);
    assert!(started.elapsed() < Duration::from_secs(59));
    assert_eq!(answer.status, 429);
    let retry: u64 = answer.header("Retry-After").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let body = answer.json();
    assert_eq!(body["error"]["code"], "TooManyRequests");
    assert_eq!(
        body["error"]["target"].as_str(),
        answer.header("request-id")
    );
    // Each set has its own budget: Machines still answers the same token.
    assert_eq!(get(&server.url("/api/machines")).status, 200);
    // Software's page states no limit: 150 calls in a row are answered.
    let software = server.url("/api/software?$top=1");
    for i in 0..150 {
        let answer = call("GET", &software, Some("software"));
        assert_eq!(answer.status, 200, "call {}", i + 1);
    }
}

#[test]
fn a_forged_host_header_does_not_change_the_links() {
    let data = generated(25_000);
    let server = Server::with_token(&[
        "--data",
        data.to_str().unwrap(),
        "--public-url",
        "https://gateway.example/defender/",
    ]);
    let request = format!(
        "GET /api/machineactions?$select=id HTTP/1.1\r\nHost: evil.example\r\n\
         Authorization: Bearer {TOKEN}\r\nConnection: close\r\n\r\n"
    );
    let answer = raw(server.port(), request.as_bytes(), Duration::from_secs(30));
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "{}",
        &answer[..200.min(answer.len())]
    );
    assert!(!answer.contains("evil.example"));
    let tail = &answer[answer.len().saturating_sub(300)..];
    assert!(
        answer.contains(
            r#""@odata.nextLink":"https://gateway.example/defender/api/machineactions?$skip=10000&$select=id""#
        ),
        "{tail}"
    );
    assert!(answer.contains(
        r#""@odata.context":"https://gateway.example/defender/api/$metadata#MachineActions(id)""#
    ));
}

#[test]
fn one_action_by_id_with_the_entity_context() {
    let server = Server::with_token(&[]);
    let answer = get(&server.url("/API/MachineActions/2e9da30d-27f6-4208-81f2-9cd3d67893ba"));
    assert_eq!(answer.status, 200, "{}", answer.body);
    let body = answer.json();
    assert_eq!(
        body["@odata.context"],
        format!("{}/api/$metadata#MachineActions/$entity", server.base)
    );
    let expected = sample::example1()
        .into_iter()
        .find(|a| a.id.as_deref() == Some("2e9da30d-27f6-4208-81f2-9cd3d67893ba"))
        .unwrap()
        .to_json();
    let mut without_context = body.as_object().unwrap().clone();
    without_context.remove("@odata.context");
    assert_eq!(Value::Object(without_context), expected);
}

#[test]
fn head_answers_headers_only() {
    let server = Server::with_token(&[]);
    let answer = call("HEAD", &server.url("/api/machineactions"), Some(TOKEN));
    assert_eq!(answer.status, 200);
    assert!(answer.body.is_empty());
}

#[test]
fn metadata_needs_a_token_and_lists_what_cannot_be_filtered() {
    let server = Server::with_token(&[]);
    assert_eq!(call("GET", &server.url("/api/$metadata"), None).status, 401);
    let answer = get(&server.url("/api/$metadata"));
    assert_eq!(answer.status, 200);
    assert!(answer
        .header("Content-Type")
        .unwrap()
        .starts_with("application/xml"));
    let xml = answer.body;
    assert!(xml.contains(r#"<EntitySet Name="MachineActions" EntityType="microsoft.windowsDefenderATP.api.MachineAction">"#));
    assert!(xml.contains(r#"<Key><PropertyRef Name="id"/></Key>"#));
    // Every property is declared; exactly the non-filterable ones are
    // listed as such in the set's restrictions.
    let start = xml.find(r#"<EntitySet Name="MachineActions""#).unwrap();
    let set = &xml[start..start + xml[start..].find("</EntitySet>").unwrap()];
    let filter_restrictions = &set[..set.find("SortRestrictions").unwrap()];
    for property in machine_actions().properties {
        assert!(xml.contains(&format!(r#"<Property Name="{}" "#, property.name)));
        let listed = filter_restrictions
            .contains(&format!("<PropertyPath>{}</PropertyPath>", property.name));
        assert_eq!(listed, !property.filterable, "{}", property.name);
    }
}

#[test]
fn the_openapi_document_is_public_and_names_every_operation() {
    let server = Server::with_token(&[]);
    let answer = call("GET", &server.url("/openapi.json"), None);
    assert_eq!(answer.status, 200);
    let doc = answer.json();
    assert_eq!(doc["openapi"], "3.0.3");
    assert_eq!(doc["servers"][0]["url"], server.base.as_str());
    let list = &doc["paths"]["/api/machineactions"]["get"];
    let names: Vec<&str> = list["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["$filter", "$count", "$orderby", "$skip", "$top", "$select"]
    );
    for status in ["200", "400", "401", "403", "405", "414", "429", "503"] {
        assert!(list["responses"].get(status).is_some(), "{status}");
    }
    assert!(doc["paths"]["/api/machineactions/{id}"]["get"]["responses"]["404"].is_object());
}

#[test]
fn without_a_token_option_a_random_token_is_printed_and_required() {
    let mut server = Server::start(&[]);
    let line = server.stderr_line();
    let token = line.trim_end().rsplit(' ').next().unwrap().to_owned();
    assert!(line.contains("Machine.Read.All"), "{line}");
    assert_eq!(token.len(), 64, "{line}");
    let list = server.url("/api/machineactions");
    assert_eq!(call("GET", &list, None).status, 401);
    assert_eq!(call("GET", &list, Some(&token)).status, 200);
}

#[test]
fn a_client_that_never_finishes_its_request_head_is_cut_off() {
    let server = Server::with_token(&["--header-timeout", "1"]);
    let started = Instant::now();
    let answer = raw(
        server.port(),
        b"GET /api/machineactions HTTP/1.1\r\nHost: x\r\n",
        Duration::from_secs(20),
    );
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(10),
        "{waited:?}: {answer}"
    );
    // And a kept-alive connection that goes quiet is closed too.
    let started = Instant::now();
    let request = format!(
        "GET /api/machineactions?$top=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\r\n"
    );
    let answer = raw(server.port(), request.as_bytes(), Duration::from_secs(20));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    // A signal right after the first line, or after a request: the
    // handlers are in place before the server says it is listening.
    for ask_first in [false, true, false, true, false] {
        let mut server = Server::with_token(&[]);
        if ask_first {
            assert_eq!(get(&server.url("/api/machineactions")).status, 200);
        }
        let status = Command::new("kill")
            .args(["-TERM", &server.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        let started = Instant::now();
        loop {
            if let Some(status) = server.child.try_wait().unwrap() {
                assert!(status.success(), "{status}");
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(10), "still running");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

#[test]
fn a_database_answers_as_memory_and_its_failure_is_a_503() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("serve-db");
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join(format!("actions-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&db);
    let data = generated(25_000);
    let url = format!("sqlite:{}", db.display());
    let loaded = run(&["load", "--db", &url, data.to_str().unwrap()]);
    assert_eq!(loaded.code, 0, "{}", loaded.stderr);
    let from_db = Server::with_token(&["--db", &url, "--rate-limit", "off"]);
    let in_memory = Server::with_token(&["--data", data.to_str().unwrap(), "--rate-limit", "off"]);
    for query in [
        "$filter=machineId eq '00000000000000000000000000000000000002a7'&$count=true",
        "$filter=status eq 'Pending' and startswith(requestor,'a')&$orderby=creationDateTimeUtc&$top=50",
        "$select=id,status&$skip=24990",
    ] {
        let path = format!("/api/machineactions?{}", encoded(query));
        let a = get(&from_db.url(&path));
        let b = get(&in_memory.url(&path));
        assert_eq!(a.status, 200, "{query}: {}", a.body);
        let (mut a, mut b) = (a.json(), b.json());
        // Only the server's own address differs.
        for body in [&mut a, &mut b] {
            let context = body["@odata.context"].as_str().unwrap();
            let (_, fragment) = context.split_once('#').unwrap();
            body["@odata.context"] = fragment.into();
        }
        assert_eq!(a, b, "{query}");
    }
    let some_id = get(&in_memory.url("/api/machineactions?$top=1")).json()["value"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        get(&from_db.url(&format!("/api/machineactions/{some_id}"))).status,
        200
    );
    // The $count segment from the database: the count its list answers.
    let filter = "$filter=machineId eq '00000000000000000000000000000000000002a7'";
    let counted = get(&from_db.url(&format!("/api/machineactions/$count?{}", encoded(filter))));
    assert_eq!(counted.status, 200, "{}", counted.body);
    let listed = get(&in_memory.url(&format!(
        "/api/machineactions?{}&$count=true&$top=0",
        encoded(filter)
    )));
    assert_eq!(
        Some(counted.body.parse::<u64>().unwrap()),
        listed.json()["@odata.count"].as_u64()
    );
    // A filter the database cannot answer exactly is a 400, not a 5xx.
    let answer = get(&from_db.url(&format!(
        "/api/machineactions?{}",
        encoded("$filter=substring(requestor,1) eq 'x'")
    )));
    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.json()["error"]["details"][0]["code"],
        "NotTranslatable"
    );

    // The store fails under the server: 503 in the envelope.
    let connection = rusqlite::Connection::open(&db).unwrap();
    connection
        .execute_batch(r#"DROP TABLE "machineactions:doc""#)
        .unwrap();
    drop(connection);
    let answer = get(&from_db.url("/api/machineactions?$top=1"));
    assert_eq!(answer.status, 503, "{}", answer.body);
    let body = answer.json();
    assert_eq!(body["error"]["code"], "ServiceUnavailable");
    assert_eq!(
        body["error"]["target"].as_str(),
        answer.header("request-id")
    );
    drop(from_db);
    let _ = std::fs::remove_file(&db);
}

#[test]
fn a_query_validated_as_the_library_validates_it() {
    // The server's 400 is the library's answer for every rejected query of
    // the shared invalid corpus.
    let server = Server::with_token(&["--rate-limit", "off"]);
    let corpus = include_str!("../benches/data/invalid.txt");
    let mut compared = 0;
    for line in corpus
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let sent = format!(
            "$filter={}",
            percent_encoding::utf8_percent_encode(line, percent_encoding::NON_ALPHANUMERIC)
        );
        let Err(error) = check(&sent, machine_actions(), &ParseOptions::default()) else {
            continue;
        };
        let answer = get(&server.url(&format!("/api/machineactions?{sent}")));
        assert_eq!(answer.status, 400, "{line}");
        assert_eq!(answer.json(), error.to_odata_json(), "{line}");
        compared += 1;
    }
    assert!(compared > 10, "{compared}");
}

/// A source whose answers take a while: a request to it is in flight
/// long enough to be caught by a shutdown.
/// It says when an answer has started.
struct Slow(std::sync::Mutex<std::sync::mpsc::Sender<()>>);

impl EntitySource for Slow {
    fn schema(&self) -> &'static defender_odata::EntitySchema {
        machine_actions()
    }

    fn list(
        &self,
        _: &defender_odata::ValidatedQuery<'_>,
        _: &ResponseOptions,
    ) -> Result<Vec<u8>, SourceError> {
        if let Ok(started) = self.0.lock() {
            let _ = started.send(());
        }
        std::thread::sleep(Duration::from_millis(700));
        Ok(br#"{"value":[]}"#.to_vec())
    }

    fn get(&self, _: &str) -> Result<Option<Value>, SourceError> {
        Ok(None)
    }

    fn blocks(&self) -> bool {
        true
    }
}

#[test]
fn a_shutdown_lets_the_request_in_flight_finish_and_accepts_no_more() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let (started, answering) = std::sync::mpsc::channel();
    let app = router(
        ServerConfig::new(
            &base,
            vec![Token::new(TOKEN, vec!["Machine.Read.All".into()])],
        ),
        vec![Arc::new(Slow(std::sync::Mutex::new(started)))],
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = runtime.spawn(serve(listener, app, ConnectionLimits::default(), async {
        let _ = stopped.await;
    }));
    let url = format!("{base}/api/machineactions");
    let client = std::thread::spawn(move || get(&url));
    // The shutdown comes while the answer is being written, whatever the
    // machine's load.
    answering
        .recv_timeout(Duration::from_secs(30))
        .expect("the request reached the source");
    stop.send(()).unwrap();
    let answer = client.join().unwrap();
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body, r#"{"value":[]}"#);
    runtime
        .block_on(async { tokio::time::timeout(Duration::from_secs(10), server).await })
        .expect("serve returns after the shutdown")
        .unwrap()
        .unwrap();
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
}

/// Every entity set is served, each with its own permissions and cap;
/// `--data SET=FILE` fills one.
#[test]
fn every_entity_set_is_served_with_its_permissions_and_cap() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("serve-sets");
    std::fs::create_dir_all(&dir).unwrap();
    let machines = dir.join("machines.json");
    std::fs::write(
        &machines,
        r#"[
  {"id": "1e5bc9d7e413ddd7902c2932e418702b84d0cc07", "computerDnsName": "mymachine1.contoso.com",
   "lastSeen": "2018-08-02T14:55:03.7791856Z", "riskScore": "High", "rbacGroupId": 140,
   "machineTags": ["test tag 1", "ExampleTag"], "futureField": {"kept": true}},
  {"id": "2e5bc9d7e413ddd7902c2932e418702b84d0cc07", "computerDnsName": "other.contoso.com",
   "lastSeen": "2018-09-02T14:55:03Z", "riskScore": "Low", "rbacGroupId": 141, "machineTags": []},
  {"id": "3e5bc9d7e413ddd7902c2932e418702b84d0cc07", "computerDnsName": "mymachine3.contoso.com",
   "lastSeen": "2018-10-02T14:55:03Z", "riskScore": "High", "rbacGroupId": null}
]"#,
    )
    .unwrap();
    let server = Server::start(&[
        "--data",
        &format!("machines={}", machines.display()),
        "--token",
        "machines:Machine.Read.All",
        "--token",
        "alerts:Alert.Read.All",
        "--token",
        "vulns:Vulnerability.Read",
    ]);
    let as_machines = |path: &str| call("GET", &server.url(path), Some("machines"));

    let answer = as_machines("/api/machines?$filter=riskScore+eq+'High'");
    assert_eq!(answer.status, 200, "{}", answer.body);
    let body = answer.json();
    assert_eq!(
        body["@odata.context"],
        format!("{}/api/$metadata#Machines", server.base)
    );
    let ids: Vec<&str> = body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    // Newest lastSeen first, the set's default order.
    assert_eq!(
        ids,
        [
            "3e5bc9d7e413ddd7902c2932e418702b84d0cc07",
            "1e5bc9d7e413ddd7902c2932e418702b84d0cc07"
        ]
    );
    assert_eq!(body["value"][1]["futureField"]["kept"], true);
    let answer = as_machines("/API/Machines/2e5bc9d7e413ddd7902c2932e418702b84d0cc07");
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json()["rbacGroupId"], 141);
    let answer = as_machines("/api/machines?$filter=rbacGroupId eq 140&$select=id");
    assert_eq!(answer.json()["value"].as_array().unwrap().len(), 1);
    // The oldest samples page's lambda, answered.
    let answer = as_machines(&format!(
        "/api/machines?{}",
        encoded("$filter=machineTags/any(tag: tag eq 'ExampleTag')&$select=id")
    ));
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        answer.json()["value"],
        serde_json::json!([{"id": "1e5bc9d7e413ddd7902c2932e418702b84d0cc07"}])
    );

    // Each set asks for its own permissions.
    assert_eq!(
        call("GET", &server.url("/api/alerts"), Some("machines")).status,
        403
    );
    let alerts = call("GET", &server.url("/api/alerts"), Some("alerts"));
    assert_eq!(alerts.status, 200);
    assert_eq!(alerts.json()["value"], serde_json::json!([]));
    assert_eq!(
        call("GET", &server.url("/api/machines"), Some("alerts")).status,
        403
    );
    // Investigations are granted by the Alert permissions.
    assert_eq!(
        call("GET", &server.url("/api/investigations"), Some("alerts")).status,
        200
    );

    // Vulnerabilities cap $top at 8,000.
    let vulns = |query: &str| {
        call(
            "GET",
            &server.url(&format!("/api/vulnerabilities?{query}")),
            Some("vulns"),
        )
    };
    assert_eq!(vulns("$top=8000").status, 200);
    let answer = vulns("$top=8001");
    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.json()["error"]["details"][0]["code"],
        "TopExceedsMax"
    );

    // $metadata and the OpenAPI document describe every set.
    let xml = as_machines("/api/$metadata").body;
    let doc = call("GET", &server.url("/openapi.json"), None).json();
    for schema in defender_odata::schema::entity_sets() {
        assert!(
            xml.contains(&format!(r#"<EntitySet Name="{}""#, schema.entity_set)),
            "{}",
            schema.entity_set
        );
        let path = format!("/api/{}", schema.path_segment());
        assert!(doc["paths"][&path]["get"].is_object(), "{path}");
    }
}

/// With `--db`, every set the database holds is answered from it,
/// lambdas and the navigation to a machine's alerts included, as from
/// memory; the others stay as `--data` gives them.
#[test]
fn a_database_serves_every_set_it_holds() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("serve-db-sets");
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join(format!("sets-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&db);
    let url = format!("sqlite:{}", db.display());
    let machines = dir.join("machines.jsonl");
    std::fs::write(
        &machines,
        concat!(
            r#"{"id":"m1","computerDnsName":"mymachine1.contoso.com","lastSeen":"2018-08-02T14:55:03Z","machineTags":["test tag 1","ExampleTag"]}"#,
            "\n",
            r#"{"id":"m2","computerDnsName":"other","lastSeen":"2018-09-02T14:55:03Z","machineTags":[]}"#,
            "\n",
            r#"{"id":"m3","computerDnsName":"mymachine3","lastSeen":"2018-10-02T14:55:03Z","machineTags":null}"#,
            "\n"
        ),
    )
    .unwrap();
    let actions = generated(10);
    let machines = machines.to_str().unwrap();
    let alerts = data_file("db-alerts.json", ALERTS_DATA);
    let alerts = alerts.to_str().unwrap();
    for load in [
        vec!["load", "--db", &url, actions.to_str().unwrap()],
        vec!["load", "--db", &url, "--entity", "machines", machines],
        vec!["load", "--db", &url, "--entity", "alerts", alerts],
    ] {
        let loaded = run(&load);
        assert_eq!(loaded.code, 0, "{}", loaded.stderr);
    }
    let from_db = Server::with_token(&[
        "--db",
        &url,
        "--rate-limit",
        "off",
        "--token",
        "alerts:Alert.Read.All",
    ]);
    let in_memory = Server::with_token(&[
        "--data",
        &format!("machines={machines}"),
        "--data",
        &format!("alerts={alerts}"),
        "--rate-limit",
        "off",
        "--token",
        "alerts:Alert.Read.All",
    ]);
    for query in [
        "$filter=machineTags/any(tag: tag eq 'ExampleTag')",
        "$filter=not machineTags/all(tag: startswith(tag,'test'))&$count=true",
        "$filter=machineTags/any()&$orderby=computerDnsName",
    ] {
        let path = format!("/api/machines?{}", encoded(query));
        let a = get(&from_db.url(&path));
        let b = get(&in_memory.url(&path));
        assert_eq!(a.status, 200, "{query}: {}", a.body);
        assert_eq!(a.json()["value"], b.json()["value"], "{query}");
        assert_eq!(
            a.json()["@odata.count"],
            b.json()["@odata.count"],
            "{query}"
        );
    }
    assert_eq!(get(&from_db.url("/api/machines/m2")).status, 200);
    for path in [
        "/api/machines/m1/alerts".to_owned(),
        format!(
            "/api/machines/m1/alerts?{}",
            encoded("$filter=status ne 'Resolved'&$expand=evidence")
        ),
        "/api/machines/m1/alerts?$top=1".to_owned(),
        "/api/machines/m3/alerts".to_owned(),
        format!(
            "/api/machines/m1/alerts/$count?{}",
            encoded("$filter=status eq 'Resolved'")
        ),
    ] {
        let a = call("GET", &from_db.url(&path), Some("alerts"));
        let b = call("GET", &in_memory.url(&path), Some("alerts"));
        assert_eq!(a.status, 200, "{path}: {}", a.body);
        // Only the server's own address differs.
        let (a, b) = (
            a.body.replace(&from_db.base, ""),
            b.body.replace(&in_memory.base, ""),
        );
        assert_eq!(a, b, "{path}");
    }
    let count = call(
        "GET",
        &from_db.url("/api/machines/m1/alerts/$count"),
        Some("alerts"),
    );
    assert_eq!(count.body, "2");
    // The database holds no investigations (which the Alert permissions
    // grant): they are served, empty, from memory.
    let investigations = call("GET", &from_db.url("/api/investigations"), Some("alerts"));
    assert_eq!(investigations.status, 200, "{}", investigations.body);
    assert_eq!(investigations.json()["value"], serde_json::json!([]));
    // A set both in the database and in --data is refused at start.
    let both = run(&[
        "serve",
        "--db",
        &url,
        "--data",
        &format!("machines={machines}"),
    ]);
    assert_eq!(both.code, 2, "{}", both.stderr);
    assert!(both.stderr.contains("--db or --data"), "{}", both.stderr);
    drop(from_db);
    let _ = std::fs::remove_file(&db);
}

/// Writes `body` to a file of the serve tests' directory.
fn data_file(name: &str, body: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("serve-nav");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    path
}

/// Three alerts on two machines; `a1` has stored evidence.
const ALERTS_DATA: &str = r#"[
  {"id": "a1", "machineId": "m1", "status": "New", "alertCreationTime": "2021-01-26T20:33:57Z",
   "evidence": [{"entityType": "User"}, {"entityType": "File"}]},
  {"id": "a2", "machineId": "m1", "status": "Resolved", "alertCreationTime": "2021-01-25T20:33:57Z",
   "evidence": []},
  {"id": "a3", "machineId": "m2", "status": "New", "alertCreationTime": "2021-01-24T20:33:57Z"}
]"#;

#[test]
fn alerts_expand_evidence_over_http_and_in_the_documents() {
    let alerts = data_file("alerts.json", ALERTS_DATA);
    let server = Server::start(&[
        "--data",
        &format!("alerts={}", alerts.display()),
        "--token",
        "alerts:Alert.Read.All",
        "--token",
        "machines:Machine.Read.All",
    ]);
    let as_alerts = |path: &str| call("GET", &server.url(path), Some("alerts"));
    let plain = as_alerts("/api/alerts?$top=1").json();
    assert_eq!(plain["value"][0]["evidence"], serde_json::json!([]));
    let expanded = as_alerts("/api/alerts?$top=1&$expand=evidence").json();
    assert_eq!(
        expanded["value"][0]["evidence"],
        serde_json::json!([{"entityType": "User"}, {"entityType": "File"}])
    );
    let selected = as_alerts("/api/alerts?$top=1&$select=id&$expand=evidence").json();
    assert_eq!(selected["value"][0]["id"], "a1");
    assert_eq!(
        selected["value"][0]["evidence"].as_array().map(Vec::len),
        Some(2)
    );
    // Anything else is the library's 400.
    let bad = as_alerts("/api/alerts?$expand=evidnce");
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert_eq!(bad.json()["error"]["details"][0]["code"], "UnknownProperty");
    assert_eq!(
        bad.json()["error"]["details"][0]["help"],
        "did you mean 'evidence'?"
    );
    let machines = call(
        "GET",
        &server.url("/api/machines?$expand=evidence"),
        Some("machines"),
    );
    assert_eq!(machines.status, 400);
    assert_eq!(
        machines.json()["error"]["details"][0]["code"],
        "UnsupportedOption"
    );

    // $metadata: evidence is a contained navigation property; only Alerts expand.
    let xml = call("GET", &server.url("/api/$metadata"), Some("alerts")).body;
    assert!(xml.contains(
        r#"<NavigationProperty Name="evidence" Type="Collection(microsoft.windowsDefenderATP.api.AlertEvidence)" ContainsTarget="true"/>"#
    ), "{xml}");
    assert!(xml.contains(r#"<EntityType Name="AlertEvidence">"#));
    assert!(!xml.contains(r#"<ComplexType Name="AlertEvidence">"#));
    let set = |name: &str| {
        let start = xml.find(&format!(r#"<EntitySet Name="{name}""#)).unwrap();
        xml[start..start + xml[start..].find("</EntitySet>").unwrap()].to_owned()
    };
    assert!(set("Alerts").contains(r#"<PropertyValue Property="Expandable" Bool="true"/><PropertyValue Property="MaxLevels" Int="1"/>"#));
    assert!(set("Machines").contains(r#"<PropertyValue Property="Expandable" Bool="false"/>"#));

    // OpenAPI: $expand on alerts only, with its one value.
    let doc = call("GET", &server.url("/openapi.json"), None).json();
    let parameter = |path: &str| {
        doc["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "$expand")
            .cloned()
    };
    assert_eq!(
        parameter("/api/alerts").map(|p| p["schema"]["enum"].clone()),
        Some(serde_json::json!(["evidence"]))
    );
    assert_eq!(parameter("/api/machines"), None);
    assert_eq!(parameter("/api/machineactions"), None);
    // The navigation takes the Alerts' options; each $count answers text.
    assert!(parameter("/api/machines/{id}/alerts").is_some());
    for path in [
        "/api/machines/{id}/alerts/$count",
        "/api/alerts/$count",
        "/api/machines/$count",
    ] {
        let ok = &doc["paths"][path]["get"]["responses"]["200"]["content"]["text/plain"];
        assert_eq!(ok["schema"]["type"], "integer", "{path}");
    }
    assert!(doc["paths"]["/api/machines/{id}/alerts"]["get"]["responses"]["404"].is_object());
}

#[test]
fn a_machines_alerts_and_their_count_are_the_alerts_query_in_its_scope() {
    let alerts = data_file("nav-alerts.json", ALERTS_DATA);
    let machines = data_file(
        "nav-machines.json",
        r#"[{"id": "m1", "lastSeen": "2021-01-01T00:00:00Z"}, {"id": "m2"}, {"id": "m 3/x"}]"#,
    );
    let server = Server::start(&[
        "--data",
        &format!("alerts={}", alerts.display()),
        "--data",
        &format!("machines={}", machines.display()),
        "--token",
        "alerts:Alert.Read.All",
        "--token",
        "machines:Machine.Read.All",
        "--rate-limit",
        "3/min",
    ]);
    let as_alerts = |path: &str| call("GET", &server.url(path), Some("alerts"));
    let ids = |answer: &Answer| -> Vec<String> {
        answer.json()["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_owned())
            .collect()
    };

    let list = as_alerts("/api/machines/m1/alerts");
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(ids(&list), ["a1", "a2"]);
    assert_eq!(
        list.json()["@odata.context"],
        format!("{}/api/$metadata#Alerts", server.base)
    );
    // The Alerts' options: $filter, $expand.
    let open = as_alerts(&format!(
        "/api/machines/m1/alerts?{}",
        encoded("$filter=status ne 'Resolved'&$expand=evidence")
    ));
    assert_eq!(ids(&open), ["a1"]);
    assert_eq!(
        open.json()["value"][0]["evidence"].as_array().map(Vec::len),
        Some(2)
    );

    // The docs' Ex. 7 shape: a text/plain number, honouring $filter.
    // (The third call of this token within the minute: the Alerts budget.)
    let count = as_alerts(&format!(
        "/api/machines/m1/alerts/$count?{}",
        encoded("$filter=status ne 'Resolved'")
    ));
    assert_eq!(count.status, 200, "{}", count.body);
    assert_eq!(count.body, "1");
    assert!(count
        .header("Content-Type")
        .unwrap()
        .starts_with("text/plain"));
    assert_eq!(count.header("OData-Version"), Some("4.0"));
    // The Alerts' rate budget: the fourth call is refused.
    assert_eq!(as_alerts("/api/machines/m2/alerts").status, 429);

    // The machines token has no Alert permission.
    let forbidden = call(
        "GET",
        &server.url("/api/machines/m1/alerts"),
        Some("machines"),
    );
    assert_eq!(forbidden.status, 403);
}

#[test]
fn navigation_errors_and_the_count_of_every_set() {
    let alerts = data_file("nav2-alerts.json", ALERTS_DATA);
    let machines = data_file("nav2-machines.json", r#"[{"id": "m1"}, {"id": "m 3/x"}]"#);
    let server = Server::start(&[
        "--data",
        &format!("alerts={}", alerts.display()),
        "--data",
        &format!("machines={}", machines.display()),
        "--token",
        "all:Alert.Read.All,Machine.Read.All",
        "--rate-limit",
        "off",
    ]);
    let get_all = |path: &str| call("GET", &server.url(path), Some("all"));
    // An unknown machine is 404, as the service answers.
    let unknown = get_all("/api/machines/nope/alerts");
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json()["error"]["code"], "ResourceNotFound");
    assert_eq!(get_all("/api/machines/nope/alerts/$count").status, 404);
    // A machine with no alerts: an empty list, a zero count; its key is
    // decoded from the path.
    let none = get_all("/api/machines/m%203%2Fx/alerts");
    assert_eq!(none.status, 200, "{}", none.body);
    assert_eq!(none.json()["value"], serde_json::json!([]));
    assert_eq!(get_all("/api/machines/m%203%2Fx/alerts/$count").body, "0");
    // The query is checked against Alerts: machineId is not filterable.
    let bad = get_all(&format!(
        "/api/machines/m1/alerts?{}",
        encoded("$filter=machineId eq 'm2'")
    ));
    assert_eq!(bad.status, 400);
    assert_eq!(
        bad.json()["error"]["details"][0]["code"],
        "PropertyNotFilterable"
    );
    // $count of a whole set, ignoring $top.
    assert_eq!(get_all("/api/alerts/$count").body, "3");
    assert_eq!(get_all("/api/alerts/$count?$top=1").body, "3");
    let new = get_all(&format!(
        "/api/alerts/$count?{}",
        encoded("$filter=status eq 'New'")
    ));
    assert_eq!(new.body, "2");
    assert_eq!(get_all("/api/machines/$count").body, "2");
    assert_eq!(get_all("/api/investigations/$count").body, "0");
}

/// An Alerts source that answers lists but cannot restrict them: the
/// default `list_scoped`, as a database's is for now.
struct Unscoped;

impl EntitySource for Unscoped {
    fn schema(&self) -> &'static defender_odata::EntitySchema {
        &defender_odata::schema::alert::ALERTS
    }

    fn list(
        &self,
        _: &defender_odata::ValidatedQuery<'_>,
        _: &ResponseOptions,
    ) -> Result<Vec<u8>, SourceError> {
        Ok(br#"{"@odata.context":"x","@odata.count":7,"value":[]}"#.to_vec())
    }

    fn get(&self, _: &str) -> Result<Option<Value>, SourceError> {
        Ok(None)
    }

    fn blocks(&self) -> bool {
        false
    }
}

#[test]
fn a_source_that_cannot_scope_answers_501_and_still_counts_its_set() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let machines = defender_odata::server::MemorySource::new(
        &defender_odata::schema::machine::MACHINES,
        vec![serde_json::json!({"id": "m1"})],
    );
    let app = router(
        ServerConfig::new(
            &base,
            vec![Token::new(TOKEN, vec!["Alert.Read.All".into()])],
        ),
        vec![Arc::new(Unscoped), Arc::new(machines)],
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = runtime.spawn(serve(listener, app, ConnectionLimits::default(), async {
        let _ = stopped.await;
    }));
    let url = base.clone();
    let answers = std::thread::spawn(move || {
        [
            get(&format!("{url}/api/machines/m1/alerts")),
            get(&format!("{url}/api/machines/m1/alerts/$count")),
            get(&format!("{url}/api/alerts/$count")),
        ]
    })
    .join()
    .unwrap();
    for answer in &answers[..2] {
        assert_eq!(answer.status, 501, "{}", answer.body);
        assert_eq!(answer.json()["error"]["code"], "NotImplemented");
    }
    // Without a scope, the default count is the list's @odata.count.
    assert_eq!(answers[2].status, 200);
    assert_eq!(answers[2].body, "7");
    stop.send(()).unwrap();
    runtime
        .block_on(async { tokio::time::timeout(Duration::from_secs(10), server).await })
        .unwrap()
        .unwrap()
        .unwrap();
}
