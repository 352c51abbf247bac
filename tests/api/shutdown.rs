//! Graceful shutdown (hardening, "Also"): after SIGTERM the server accepts no new
//! connection, finishes the requests it is serving, and exits 0.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use crate::helpers::{ServerProcess, TestDb};

#[test]
fn an_in_flight_token_request_completes_after_sigterm_and_new_connections_are_refused() {
    let db = TestDb::sqlite();
    let cli = db.cli();
    cli.migrate();
    let server = ServerProcess::start(cli, &["serve"]);
    let body = "grant_type=client_credentials&client_id=nobody&client_secret=wrong-secret";
    let (first, rest) = body.split_at(20);

    // A token request whose body is still arriving: in flight.
    let mut inflight = TcpStream::connect(server.address).unwrap();
    write!(
        inflight,
        "POST /token HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{first}",
        server.address,
        body.len()
    )
    .unwrap();
    inflight.flush().unwrap();
    std::thread::sleep(Duration::from_millis(300));

    Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));

    // No new connection is served.
    let refused = match TcpStream::connect_timeout(&server.address, Duration::from_secs(1)) {
        Err(_) => true,
        Ok(mut s) => {
            s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
            let _ = write!(s, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
            let mut buf = [0u8; 64];
            !matches!(s.read(&mut buf), Ok(n) if n > 0)
        }
    };
    assert!(refused, "a connection made after SIGTERM was served");

    // The in-flight request finishes with a complete answer.
    inflight.write_all(rest.as_bytes()).unwrap();
    inflight
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut answer = String::new();
    inflight.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(answer.contains("invalid_client"), "{answer}");

    let stopped = server.wait();
    assert_eq!(stopped.status, 0, "{}", stopped.stderr);
}
