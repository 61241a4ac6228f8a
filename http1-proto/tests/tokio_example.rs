//! The tokio example, run for real over loopback: pipelined requests and an error
//! response, read back byte for byte.

#[allow(dead_code)] // the example's `main`
#[path = "../examples/tokio_server.rs"]
mod example;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn exchange(request: &[u8]) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        example::serve(stream).await.unwrap();
    });
    let mut client = tokio::net::TcpStream::connect(addr).await.unwrap();
    client.write_all(request).await.unwrap();
    client.shutdown().await.unwrap();
    let mut response = String::new();
    client.read_to_string(&mut response).await.unwrap();
    server.await.unwrap();
    response
}

#[tokio::test(flavor = "current_thread")]
async fn pipelined_requests_and_an_error() {
    let response = exchange(
        b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nBad Header: x\r\n\r\n",
    )
    .await;
    let a = response.find("hello from tokio: /a").unwrap();
    let b = response.find("hello from tokio: /b").unwrap();
    assert!(a < b);
    assert!(
        response.ends_with("whitespace before colon in field line\n"),
        "{response}"
    );
    assert_eq!(response.matches("HTTP/1.1 400 Bad Request").count(), 1);
}
