//! The blocking `std::net` example, run for real over loopback: pipelined requests, a
//! chunked upload and an error response, read back byte for byte.

#[allow(dead_code)] // the example's `main`
#[path = "../examples/blocking_server.rs"]
mod example;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

fn exchange(request: &[u8]) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        example::serve(stream).unwrap();
    });
    let mut client = TcpStream::connect(addr).unwrap();
    client.write_all(request).unwrap();
    client.shutdown(std::net::Shutdown::Write).unwrap();
    let mut response = String::new();
    client.read_to_string(&mut response).unwrap();
    server.join().unwrap();
    response
}

#[test]
fn pipelined_requests_over_loopback() {
    let response = exchange(
        b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n\
          POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n\
          GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(
        response,
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 31\r\n\r\nhello from http1-proto: GET /a\n\
         HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nabcde\
         HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 31\r\nConnection: close\r\n\r\nhello from http1-proto: GET /b\n"
    );
}

#[test]
fn smuggling_attempt_gets_400_and_close_over_loopback() {
    let response = exchange(
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n\
          0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    assert_eq!(
        response,
        "HTTP/1.1 400 Bad Request\r\nContent-Length: 42\r\nConnection: close\r\n\r\n\
         both Content-Length and Transfer-Encoding\n"
    );
}
