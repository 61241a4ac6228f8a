//! tokio-tungstenite echo server on one worker (tokio's current-thread runtime): every text
//! and binary message goes back as it came. The loop is the crate's own echo example
//! (`read.forward(write)`), which writes a batch of echoes with one flush.
//!
//! Usage: tungstenite-echo <addr>

use futures_util::{StreamExt, TryStreamExt, future};
use tokio::net::TcpListener;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:9002".into());
    let listener = TcpListener::bind(&addr).await.expect("bind");
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let Ok(ws) = tokio_tungstenite::accept_async(stream).await else {
                return;
            };
            let (write, read) = ws.split();
            let _ = read
                .try_filter(|m| future::ready(m.is_text() || m.is_binary()))
                .forward(write)
                .await;
        });
    }
}
