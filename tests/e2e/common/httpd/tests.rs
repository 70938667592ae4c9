//! The test server's own tests: routes, sequences, recorded requests and each delivery.

use super::*;

/// A raw GET: (status, head, body as received). Status 0: closed without an answer.
fn get(port: u16, target: &str, headers: &[(&str, &str)]) -> (u16, String, Vec<u8>) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut req = format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut all = Vec::new();
    let _ = s.read_to_end(&mut all);
    let Some(end) = all.windows(4).position(|w| w == b"\r\n\r\n") else {
        return (0, String::new(), all);
    };
    let head = String::from_utf8_lossy(&all[..end]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head, all[end + 4..].to_vec())
}

#[test]
fn httpd_serves_routes_sequences_and_records_requests() {
    let srv = Server::start(vec![
        route(
            "/items?page=2",
            Response::json(200, "[2]").header("Link", "<@BASE@/items?page=3>; rel=\"next\""),
        ),
        route("/items", Response::json(200, "[1]")),
        sequence(
            "/flaky",
            vec![Response::status(500), Response::json(200, "{}")],
        ),
    ]);
    let (status, head, body) = get(srv.port(), "/items?labels=a%2Cb", &[("X-Key", "v1")]);
    assert_eq!(
        (status, body.as_slice()),
        (200, b"[1]".as_slice()),
        "{head}"
    );
    let (status, head, body) = get(srv.port(), "/items?labels=a&page=2", &[]);
    assert_eq!((status, body.as_slice()), (200, b"[2]".as_slice()));
    assert!(
        head.contains(&format!(
            "Link: <http://127.0.0.1:{}/items?page=3>",
            srv.port()
        )),
        "{head}"
    );
    let codes: Vec<u16> = (0..3).map(|_| get(srv.port(), "/flaky", &[]).0).collect();
    assert_eq!(codes, [500, 200, 200]);
    assert_eq!(get(srv.port(), "/nowhere", &[]).0, 404);

    let reqs = srv.requests();
    assert_eq!(reqs.len(), 6);
    assert_eq!(reqs[0].method, "GET");
    assert_eq!(reqs[0].path(), "/items");
    assert_eq!(reqs[0].param("labels").as_deref(), Some("a,b"));
    assert_eq!(reqs[0].header("x-key"), Some("v1"));
    assert_eq!(srv.hits("/flaky"), 3);
}

#[test]
fn httpd_delays_trickles_truncates_and_hangs_up() {
    let srv = Server::start(vec![
        route(
            "/delay",
            Response::json(200, "{}").delay(Duration::from_millis(300)),
        ),
        route(
            "/slow",
            Response::json(200, "0123456789").slow(Duration::from_millis(500)),
        ),
        route("/cut", Response::json(200, r#"{"v": 12345}"#).truncated(4)),
        route("/gone", Response::hang_up()),
    ]);
    let t = Instant::now();
    assert_eq!(get(srv.port(), "/delay", &[]).0, 200);
    assert!(t.elapsed() >= Duration::from_millis(300));

    let t = Instant::now();
    let (status, _, body) = get(srv.port(), "/slow", &[]);
    assert_eq!((status, body.as_slice()), (200, b"0123456789".as_slice()));
    assert!(
        t.elapsed() >= Duration::from_millis(450),
        "{:?}",
        t.elapsed()
    );

    let (status, head, body) = get(srv.port(), "/cut", &[]);
    assert_eq!(status, 200);
    assert!(head.contains("Content-Length: 12"), "{head}");
    assert_eq!(body, b"{\"v\"");

    let (status, _, body) = get(srv.port(), "/gone", &[]);
    assert_eq!((status, body.len()), (0, 0));
}

#[test]
fn httpd_stops_promptly_when_dropped_mid_answer() {
    let srv = Server::start(vec![route(
        "/long",
        Response::json(200, "{}").delay(Duration::from_secs(20)),
    )]);
    let port = srv.port();
    let client = std::thread::spawn(move || get(port, "/long", &[]).0);
    let until = Instant::now() + Duration::from_secs(5);
    while srv.requests().is_empty() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(5));
    }
    let t = Instant::now();
    drop(srv);
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    assert_eq!(client.join().unwrap(), 0, "closed unanswered");
}
