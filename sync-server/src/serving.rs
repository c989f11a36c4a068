//! The listening socket: HTTP or HTTPS (rustls), a cap on open connections, and timeouts for
//! a client that sends its headers slowly or opens a connection and says nothing, so
//! strangers cannot hold the server's sockets and memory.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum_server::accept::Accept;
use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};
use axum_server::Handle;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How the socket is served (each is a flag of `ayada-server serve`; docs/OPERATIONS.md).
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Connections open at once; one more is closed as soon as it is accepted.
    pub max_connections: usize,
    /// The longest a client may take to send a request's headers, including the wait for
    /// the first request on a new connection.
    pub header_timeout: Duration,
    /// A certificate chain and private key (PEM) to serve HTTPS; plain HTTP without them.
    pub tls: Option<(PathBuf, PathBuf)>,
}

impl Default for ServeOptions {
    fn default() -> ServeOptions {
        ServeOptions {
            max_connections: 1024,
            header_timeout: Duration::from_secs(10),
            tls: None,
        }
    }
}

/// A connection that holds one of the permits while it is open.
pub struct Capped {
    stream: TcpStream,
    _permit: OwnedSemaphorePermit,
}

impl AsyncRead for Capped {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Capped {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// Accepts a connection only while fewer than the cap are open.
#[derive(Clone)]
pub struct CapAcceptor(Arc<Semaphore>);

impl<S: Send + 'static> Accept<TcpStream, S> for CapAcceptor {
    type Stream = Capped;
    type Service = S;
    type Future = std::future::Ready<io::Result<(Capped, S)>>;

    fn accept(&self, stream: TcpStream, service: S) -> Self::Future {
        std::future::ready(match self.0.clone().try_acquire_owned() {
            Ok(permit) => {
                let _ = stream.set_nodelay(true);
                Ok((
                    Capped {
                        stream,
                        _permit: permit,
                    },
                    service,
                ))
            }
            Err(_) => {
                tracing::warn!("connection refused: the server holds as many as it allows");
                Err(io::Error::other("connection cap reached"))
            }
        })
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then lets open requests finish
/// (for at most ten seconds).
pub async fn serve(
    listener: std::net::TcpListener,
    app: Router,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let handle: Handle<SocketAddr> = Handle::new();
    let stopper = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        stopper.graceful_shutdown(Some(Duration::from_secs(10)));
    });
    let cap = CapAcceptor(Arc::new(Semaphore::new(options.max_connections.max(1))));
    let make = app.into_make_service_with_connect_info::<SocketAddr>();
    let mut server = axum_server::from_tcp(listener)?
        .handle(handle)
        .first_request_timeout(options.header_timeout);
    server
        .http_builder()
        .http1()
        .header_read_timeout(options.header_timeout);
    match &options.tls {
        None => server.acceptor(cap).serve(make).await?,
        Some((cert, key)) => {
            let config = RustlsConfig::from_pem_file(cert, key).await.map_err(|e| {
                anyhow::anyhow!(
                    "cannot read the TLS certificate {} or key {}: {e}",
                    cert.display(),
                    key.display()
                )
            })?;
            let tls = RustlsAcceptor::new(config)
                .handshake_timeout(options.header_timeout)
                .acceptor(cap);
            server.acceptor(tls).serve(make).await?
        }
    }
    Ok(())
}
