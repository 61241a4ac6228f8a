//! The tokio example serves a real TCP connection to the `h2` crate.

#[allow(dead_code)] // the example's `main`
#[path = "../examples/tokio_server.rs"]
mod example;

#[tokio::test(flavor = "current_thread")]
async fn tokio_example_serves_h2_client() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (sock, _) = listener.accept().await.unwrap();
        example::serve(sock).await.unwrap();
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
    server.await.unwrap();
}
