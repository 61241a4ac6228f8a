//! The request body a handler reads: empty, already complete, or streamed
//! from the connection as it arrives.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use futures_lite::Stream;
use smol::channel::{Receiver, Sender};

/// Why a request body could not be read to its end.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BodyError {
    /// The client closed or broke the connection before the body ended.
    #[error("the client went away before the body ended")]
    Disconnected,
    /// The body is larger than the server's `max_body` limit.
    #[error("request body exceeds the {limit}-byte limit")]
    TooLarge {
        /// The configured limit.
        limit: u64,
    },
    /// The client stopped sending for longer than the body read timeout.
    #[error("request body read timed out")]
    Timeout,
    /// The client cancelled the request (HTTP/2 RST_STREAM).
    #[error("the client reset the stream")]
    Reset,
}

/// A request body. Read it with [`chunk`](Self::chunk), collect it with
/// [`bytes`](Self::bytes), or use it as a [`Stream`] of `Bytes`.
///
/// A streamed body is fed by the connection through a bounded channel, so a
/// handler that reads slowly slows the client down (HTTP/1.1: the server
/// stops reading the socket; HTTP/2: flow-control credit is returned only for
/// what the handler has taken).
#[derive(Debug)]
pub struct Body {
    inner: Inner,
}

#[derive(Debug)]
enum Inner {
    Empty,
    Full(Option<Bytes>),
    Channel {
        // Boxed: the receiver is `!Unpin`, and a `Body` should be easy to poll.
        rx: Pin<Box<Receiver<Result<Bytes, BodyError>>>>,
        /// Told how many bytes the handler consumed (HTTP/2 flow control).
        consumed: Option<(Sender<(u32, usize)>, u32)>,
    },
}

/// The connection's end of a streamed body.
pub(crate) type BodySender = Sender<Result<Bytes, BodyError>>;

/// Chunks that may wait in a body channel before the connection stops reading.
pub(crate) const BODY_CHANNEL_DEPTH: usize = 8;

impl Body {
    /// A body with no bytes.
    pub fn empty() -> Self {
        Self {
            inner: Inner::Empty,
        }
    }

    /// A body that is already complete.
    pub fn full(bytes: impl Into<Bytes>) -> Self {
        Self {
            inner: Inner::Full(Some(bytes.into())),
        }
    }

    /// A streamed body and the sender the connection feeds it through.
    pub(crate) fn channel() -> (BodySender, Self) {
        let (tx, rx) = smol::channel::bounded(BODY_CHANNEL_DEPTH);
        (
            tx,
            Self {
                inner: Inner::Channel {
                    rx: Box::pin(rx),
                    consumed: None,
                },
            },
        )
    }

    /// A streamed body whose consumption is reported as `(stream, bytes)`.
    pub(crate) fn channel_with_credit(
        stream: u32,
        credit: Sender<(u32, usize)>,
    ) -> (BodySender, Self) {
        let (tx, rx) = smol::channel::unbounded();
        (
            tx,
            Self {
                inner: Inner::Channel {
                    rx: Box::pin(rx),
                    consumed: Some((credit, stream)),
                },
            },
        )
    }

    /// The next chunk, or `None` at the end of the body.
    pub async fn chunk(&mut self) -> Option<Result<Bytes, BodyError>> {
        futures_lite::StreamExt::next(self).await
    }

    /// Reads the whole body into one buffer.
    pub async fn bytes(mut self) -> Result<Bytes, BodyError> {
        if let Inner::Full(full) = &mut self.inner {
            return Ok(full.take().unwrap_or_default());
        }
        let mut first: Option<Bytes> = None;
        let mut joined = BytesMut::new();
        while let Some(chunk) = self.chunk().await {
            let chunk = chunk?;
            match first.take() {
                None if joined.is_empty() => first = Some(chunk),
                None => joined.extend_from_slice(&chunk),
                Some(previous) => {
                    joined.extend_from_slice(&previous);
                    joined.extend_from_slice(&chunk);
                }
            }
        }
        Ok(match first {
            Some(only) => only,
            None => joined.freeze(),
        })
    }

    /// Whether the body is known to be empty without reading it.
    pub fn is_empty(&self) -> bool {
        match &self.inner {
            Inner::Empty => true,
            Inner::Full(b) => b.as_ref().is_none_or(Bytes::is_empty),
            Inner::Channel { .. } => false,
        }
    }
}

impl Default for Body {
    fn default() -> Self {
        Self::empty()
    }
}

impl Stream for Body {
    type Item = Result<Bytes, BodyError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        match &mut this.inner {
            Inner::Empty => Poll::Ready(None),
            Inner::Full(b) => Poll::Ready(b.take().map(Ok)),
            Inner::Channel { rx, consumed } => {
                let item = std::task::ready!(rx.as_mut().poll_next(cx));
                if let (Some(Ok(data)), Some((credit, stream))) = (&item, consumed) {
                    // The connection may be gone; then there is nobody to credit.
                    let _ = credit.try_send((*stream, data.len()));
                }
                Poll::Ready(item)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streamed_chunks_are_joined_and_errors_surface() {
        smol::block_on(async {
            let (tx, body) = Body::channel();
            tx.send(Ok(Bytes::from_static(b"ab"))).await.unwrap();
            tx.send(Ok(Bytes::from_static(b"cd"))).await.unwrap();
            drop(tx);
            assert_eq!(body.bytes().await.unwrap(), Bytes::from_static(b"abcd"));

            let (tx, body) = Body::channel();
            tx.send(Ok(Bytes::from_static(b"ab"))).await.unwrap();
            tx.send(Err(BodyError::Disconnected)).await.unwrap();
            assert_eq!(body.bytes().await, Err(BodyError::Disconnected));
        });
    }

    #[test]
    fn credit_is_reported_per_chunk() {
        smol::block_on(async {
            let (credit_tx, credit_rx) = smol::channel::unbounded();
            let (tx, mut body) = Body::channel_with_credit(7, credit_tx);
            tx.send(Ok(Bytes::from_static(b"hello"))).await.unwrap();
            drop(tx);
            assert_eq!(body.chunk().await.unwrap().unwrap(), "hello");
            assert!(body.chunk().await.is_none());
            assert_eq!(credit_rx.recv().await.unwrap(), (7, 5));
        });
    }
}
