//! A tiny threaded HTTP/1.1 test server on std only, for the source tests.
//!
//! `Server::start(routes)` binds 127.0.0.1:0 and serves until dropped. Every request is
//! recorded (method, path and query, headers) for assertions. A route answers with a fixed
//! response or a sequence (the last one repeats); a response can wait before answering,
//! trickle its body, send less than its `Content-Length` and close, or close without
//! answering. `@BASE@` (`http://127.0.0.1:PORT`) and `@PORT@` in header values and bodies are
//! replaced when served, for links back to the same server.
//!
//! Everything is bounded: at most `MAX_CONNECTIONS` connections at once (more are closed
//! unanswered), socket reads and writes time out, and every wait checks the stop flag, so
//! dropping the server ends its threads within milliseconds.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const MAX_CONNECTIONS: usize = 32;
const MAX_HEAD: usize = 64 * 1024;
const IO_TIMEOUT: Duration = Duration::from_secs(5);
/// No wait of the server is longer than this, whatever a test asks.
const MAX_WAIT: Duration = Duration::from_secs(30);

/// One request as received.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Path and query, as sent (`/issues?labels=a,b`).
    pub target: String,
    pub headers: Vec<(String, String)>,
}

impl Request {
    /// The path, without the query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    /// The query's pairs, percent-decoded.
    pub fn query(&self) -> Vec<(String, String)> {
        parse_query(self.target.split_once('?').map(|(_, q)| q).unwrap_or(""))
    }

    /// One decoded query value.
    pub fn param(&self, name: &str) -> Option<String> {
        self.query()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// A header's value (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// How the response is delivered.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Delivery {
    Whole,
    /// The body trickled over this long.
    Slow(Duration),
    /// Only this many body bytes, then the connection is closed.
    Truncated(usize),
    /// The connection is closed without an answer.
    HangUp,
    /// No `Content-Length`: the body ends when the connection closes.
    Unsized,
}

/// One response of a route.
#[derive(Debug, Clone)]
pub struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    delay: Duration,
    delivery: Delivery,
    /// The body is sent as given (no `@BASE@` substitution).
    raw: bool,
}

impl Response {
    /// A response with a status and an empty body.
    pub fn status(status: u16) -> Self {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            delay: Duration::ZERO,
            delivery: Delivery::Whole,
            raw: false,
        }
    }

    /// A JSON body.
    pub fn json(status: u16, body: impl Into<String>) -> Self {
        Self::status(status)
            .header("Content-Type", "application/json")
            .body(body)
    }

    /// An HTML body.
    pub fn html(status: u16, body: impl Into<String>) -> Self {
        Self::status(status)
            .header("Content-Type", "text/html; charset=utf-8")
            .body(body)
    }

    /// Closes the connection after reading the request, without answering.
    pub fn hang_up() -> Self {
        Response {
            delivery: Delivery::HangUp,
            ..Self::status(0)
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    pub fn body(mut self, body: impl Into<String>) -> Self {
        self.body = body.into().into_bytes();
        self
    }

    /// Waits this long before answering anything.
    pub fn delay(mut self, d: Duration) -> Self {
        self.delay = d.min(MAX_WAIT);
        self
    }

    /// Sends the head at once, then the body a few bytes at a time over this long.
    pub fn slow(mut self, over: Duration) -> Self {
        self.delivery = Delivery::Slow(over.min(MAX_WAIT));
        self
    }

    /// Raw body bytes (not necessarily text), sent as they are.
    pub fn bytes(mut self, body: Vec<u8>) -> Self {
        self.body = body;
        self.raw = true;
        self
    }

    /// Sends no `Content-Length`: the body is delimited by closing the connection.
    pub fn unsized_body(mut self) -> Self {
        self.delivery = Delivery::Unsized;
        self
    }

    /// Announces the whole body in `Content-Length` but sends only `n` bytes, then closes.
    pub fn truncated(mut self, n: usize) -> Self {
        self.delivery = Delivery::Truncated(n);
        self
    }
}

/// A path (optionally with `?k=v&...` that the request's query must contain) and its
/// responses.
#[derive(Debug)]
pub struct Route {
    path: String,
    query: Vec<(String, String)>,
    responses: Vec<Response>,
    served: AtomicUsize,
}

/// A route that always answers `response`.
pub fn route(pattern: &str, response: Response) -> Route {
    sequence(pattern, vec![response])
}

/// A route answering its responses in order; the last one repeats.
pub fn sequence(pattern: &str, responses: Vec<Response>) -> Route {
    assert!(!responses.is_empty(), "a route needs a response");
    let (path, query) = match pattern.split_once('?') {
        Some((p, q)) => (p.to_string(), parse_query(q)),
        None => (pattern.to_string(), Vec::new()),
    };
    Route {
        path,
        query,
        responses,
        served: AtomicUsize::new(0),
    }
}

impl Route {
    fn matches(&self, req: &Request) -> bool {
        if req.path() != self.path {
            return false;
        }
        let q = req.query();
        self.query.iter().all(|pair| q.contains(pair))
    }

    fn next(&self) -> Response {
        let n = self.served.fetch_add(1, Ordering::SeqCst);
        self.responses[n.min(self.responses.len() - 1)].clone()
    }
}

#[derive(Debug)]
struct State {
    routes: Vec<Route>,
    log: Mutex<Vec<Request>>,
    stop: AtomicBool,
    active: AtomicUsize,
    base: String,
    port: u16,
}

/// The running server; stops when dropped.
#[derive(Debug)]
pub struct Server {
    state: Arc<State>,
    accept: Option<JoinHandle<()>>,
}

impl Server {
    pub fn start(routes: Vec<Route>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let port = listener.local_addr().expect("local addr").port();
        let state = Arc::new(State {
            routes,
            log: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
            active: AtomicUsize::new(0),
            base: format!("http://127.0.0.1:{port}"),
            port,
        });
        let st = Arc::clone(&state);
        let accept = std::thread::spawn(move || accept_loop(&listener, &st));
        Server {
            state,
            accept: Some(accept),
        }
    }

    pub fn port(&self) -> u16 {
        self.state.port
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> &str {
        &self.state.base
    }

    /// Every request received so far, in order of arrival.
    pub fn requests(&self) -> Vec<Request> {
        self.state.log.lock().unwrap().clone()
    }

    /// How many requests asked for this path (query ignored).
    pub fn hits(&self, path: &str) -> usize {
        self.requests().iter().filter(|r| r.path() == path).count()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
        // Connection threads see the flag within one tick; give them a bounded moment.
        let until = Instant::now() + Duration::from_secs(2);
        while self.state.active.load(Ordering::SeqCst) > 0 && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

fn accept_loop(listener: &TcpListener, state: &Arc<State>) {
    while !state.stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                if state.active.load(Ordering::SeqCst) >= MAX_CONNECTIONS {
                    drop(stream);
                    continue;
                }
                state.active.fetch_add(1, Ordering::SeqCst);
                let st = Arc::clone(state);
                std::thread::spawn(move || {
                    serve(stream, &st);
                    st.active.fetch_sub(1, Ordering::SeqCst);
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
}

/// Sleeps up to `d`, in short ticks; false when the server is stopping.
fn wait(state: &State, d: Duration) -> bool {
    let until = Instant::now() + d.min(MAX_WAIT);
    while Instant::now() < until {
        if state.stop.load(Ordering::SeqCst) {
            return false;
        }
        let left = until.saturating_duration_since(Instant::now());
        std::thread::sleep(left.min(Duration::from_millis(10)));
    }
    !state.stop.load(Ordering::SeqCst)
}

fn serve(mut stream: TcpStream, state: &State) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
    let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
    let Some(req) = read_request(&mut stream) else {
        return;
    };
    let response = state
        .routes
        .iter()
        .find(|r| r.matches(&req))
        .map(Route::next)
        .unwrap_or_else(|| Response::json(404, r#"{"message":"Not Found"}"#));
    state.log.lock().unwrap().push(req);

    if !response.delay.is_zero() && !wait(state, response.delay) {
        return;
    }
    if response.delivery == Delivery::HangUp {
        let _ = stream.shutdown(Shutdown::Both);
        return;
    }
    let (head, body) = head_and_body(&response, state);
    if stream.write_all(head.as_bytes()).is_err() {
        return;
    }
    if !deliver(&mut stream, &response, &body, state) {
        return;
    }
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Write);
    // Let the client read everything before the socket goes away (bounded).
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let mut sink = [0u8; 1024];
    while let Ok(n) = stream.read(&mut sink) {
        if n == 0 {
            break;
        }
    }
}

/// The response's status line and headers, and its body with `@BASE@` and `@PORT@` filled
/// in (unless it is raw bytes).
fn head_and_body(response: &Response, state: &State) -> (String, Vec<u8>) {
    let fill = |s: &str| {
        s.replace("@BASE@", &state.base)
            .replace("@PORT@", &state.port.to_string())
    };
    let body = if response.raw {
        response.body.clone()
    } else {
        fill(&String::from_utf8_lossy(&response.body)).into_bytes()
    };
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nConnection: close\r\n",
        response.status,
        reason(response.status)
    );
    if response.delivery != Delivery::Unsized {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    for (k, v) in &response.headers {
        head.push_str(&format!("{k}: {}\r\n", fill(v)));
    }
    head.push_str("\r\n");
    (head, body)
}

/// Writes the body as the response asks (whole, cut short, or slowly); false when the
/// server is stopping or the client went away.
fn deliver(stream: &mut TcpStream, response: &Response, body: &[u8], state: &State) -> bool {
    match response.delivery {
        Delivery::Whole | Delivery::Unsized => {
            let _ = stream.write_all(body);
        }
        Delivery::Truncated(n) => {
            let _ = stream.write_all(&body[..n.min(body.len())]);
        }
        Delivery::Slow(over) => {
            let chunks = body.len().clamp(1, 50);
            let size = body.len().div_ceil(chunks).max(1);
            let tick = over / chunks as u32;
            let _ = stream.flush();
            for part in body.chunks(size) {
                if !wait(state, tick) || stream.write_all(part).is_err() || stream.flush().is_err()
                {
                    return false;
                }
            }
        }
        Delivery::HangUp => {}
    }
    true
}

fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        if buf.len() > MAX_HEAD {
            return None;
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let target = first.next()?.to_string();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Some(Request {
        method,
        target,
        headers,
    })
}

fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// Percent-decoding (and `+` as a space), as query strings are encoded.
pub fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 3 <= b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        307 => "Temporary Redirect",
        404 => "Not Found",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// The server's own tests.
#[cfg(test)]
mod tests;
