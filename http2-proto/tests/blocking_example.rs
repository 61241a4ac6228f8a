//! The blocking `std::net` example serves a real TCP connection to the `h2` crate.

#[allow(dead_code)]
#[path = "../examples/blocking_server.rs"]
mod example;

#[tokio::test(flavor = "current_thread")]
async fn blocking_example_serves_h2_client() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (sock, _) = listener.accept().unwrap();
        example::serve(sock).unwrap();
    });
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut client, conn) = h2::client::handshake(tcp).await.unwrap();
    let conn = tokio::spawn(async move {
        let _ = conn.await;
    });
    for path in ["/a", "/b"] {
        let req = http::Request::get(format!("http://{addr}{path}"))
            .body(())
            .unwrap();
        let (resp, _) = client.send_request(req, true).unwrap();
        let resp = resp.await.unwrap();
        assert_eq!(resp.status(), 200);
        let mut body = resp.into_body();
        let mut got = Vec::new();
        while let Some(chunk) = body.data().await {
            got.extend_from_slice(&chunk.unwrap());
        }
        assert!(String::from_utf8(got).unwrap().contains(path));
    }
    drop(client);
    conn.await.unwrap();
    server.join().unwrap();
}
