//! `mcp-gitops serve`: wires the pipeline together (source → reloader → store → HTTP) and runs
//! it until a shutdown signal. `serve` takes a bound listener and a shutdown future, so tests
//! run the real thing on port 0 and stop it cleanly.

use crate::cli::ServeArgs;
use crate::git::fetch::{self, Credentials, FetchError, GitConfig, GitSource, Timeouts};
use crate::http::{self, ApiConfig, AppState};
use crate::store::Store;
use crate::store::follow;
use crate::store::reload::Reloader;
use crate::store::source::Source;
use axum::serve::ListenerExt;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// How long open connections get to finish after a shutdown signal.
pub const GRACE: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot use the git repository")]
    Git(#[from] FetchError),
    #[error("cannot read the read token file {path}")]
    TokenFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the read token file {path} is empty")]
    EmptyToken { path: PathBuf },
    #[error("cannot listen on {addr}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("cannot watch {path} for changes")]
    Watch {
        path: PathBuf,
        source: notify::Error,
    },
    #[error("the HTTP server failed")]
    Serve(#[source] std::io::Error),
}

/// Everything `start` needs, once the command line is read.
#[derive(Clone, Debug)]
pub struct Options {
    pub source: Source,
    pub api: ApiConfig,
    /// Quiet time after a change before reloading (directory sources).
    pub debounce: Duration,
    /// How often a git source is fetched.
    pub poll_interval: Duration,
    /// With a secret file, `POST /webhook` triggers a sync.
    pub webhook_secret_file: Option<PathBuf>,
}

/// Serves `state` on `listener` until `shutdown` completes, then lets open requests finish (for
/// up to `GRACE`).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
    let signal = async move {
        shutdown.await;
        tracing::info!("shutting down: finishing open requests");
        let _ = stopping_tx.send(());
    };
    // Responses are written whole, so Nagle's algorithm could only hold back their last segment.
    let listener = listener.tap_io(|stream| {
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
    });
    let server = axum::serve(listener, http::router(state)).with_graceful_shutdown(signal);
    tokio::select! {
        result = server => result,
        () = async {
            if stopping_rx.await.is_ok() {
                tokio::time::sleep(GRACE).await;
            } else {
                std::future::pending::<()>().await;
            }
        } => {
            tracing::warn!("connections still open {} s after the shutdown signal; closing them", GRACE.as_secs());
            Ok(())
        }
    }
}

/// Runs the whole service on `listener`: watch the source, load it, serve, until `shutdown`.
/// The first load runs beside the server, so `/healthz` answers at once and `/readyz` once a
/// good index is in.
pub async fn start(
    options: Options,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let store = Arc::new(Store::new(options.source.info()));
    let state =
        AppState::new(Arc::clone(&store), options.api).with_webhook(options.webhook_secret_file);
    let reloader = Reloader::new(store, options.source.clone());
    // Watch first, then load: a change made in between is not missed.
    let (watch, poll) = match &options.source {
        Source::Directory(dir) => {
            let watch =
                follow::watch_directory(dir.clone(), Arc::clone(&reloader), options.debounce)
                    .map_err(|source| ServeError::Watch {
                        path: dir.clone(),
                        source,
                    })?;
            (Some(watch), None)
        }
        Source::Git(_) => (None, Some(options.poll_interval)),
    };
    let follow = follow::follow(reloader, Arc::clone(&state.sync_now), poll);
    let result = serve(listener, state, shutdown).await;
    tracing::debug!("server stopped");
    if let Some(watch) = watch {
        watch.abort();
    }
    follow.abort();
    result.map_err(ServeError::Serve)
}

/// `mcp-gitops serve`: reads the arguments, binds, and runs until SIGINT or SIGTERM.
pub async fn run(args: &ServeArgs) -> Result<(), ServeError> {
    let source = source(args)?;
    let read_token = args
        .read_token_file
        .as_deref()
        .map(read_token)
        .transpose()?;
    let listener = TcpListener::bind(&args.listen)
        .await
        .map_err(|source| ServeError::Bind {
            addr: args.listen.clone(),
            source,
        })?;
    let info = source.info();
    tracing::info!(
        addr = %listener.local_addr().map_or_else(|_| args.listen.clone(), |a| a.to_string()),
        source = %info.location,
        kind = info.kind.as_str(),
        read_token = read_token.is_some(),
        "listening"
    );
    let options = Options {
        source,
        api: ApiConfig {
            cache_max_age: args.cache_max_age,
            read_token,
        },
        debounce: follow::DEBOUNCE,
        poll_interval: args.poll_interval,
        webhook_secret_file: args.webhook_secret_file.clone(),
    };
    start(options, listener, shutdown_signal()).await
}

/// The source `--repo` names, with the git settings when it is a URL.
fn source(args: &ServeArgs) -> Result<Source, ServeError> {
    if !crate::git::remote::is_git_url(&args.repo) {
        return Ok(Source::Directory(PathBuf::from(&args.repo)));
    }
    let git = GitSource::new(GitConfig {
        url: args.repo.clone(),
        reference: args.reference.clone(),
        cache_dir: args.cache_dir.clone(),
        credentials: Credentials {
            username: args.git_username.clone(),
            token_file: args.git_token_file.clone(),
            password_file: args.git_password_file.clone(),
            ssh_key_file: args.ssh_key_file.clone(),
            ssh_known_hosts_file: args.ssh_known_hosts_file.clone(),
        },
        timeouts: Timeouts::default(),
    })?;
    tracing::debug!(url = %fetch::redact_url(git.url()), "serving from git");
    Ok(Source::Git(Arc::new(git)))
}

/// A secret file's content, surrounding whitespace trimmed.
fn read_token(path: &std::path::Path) -> Result<String, ServeError> {
    let text = std::fs::read_to_string(path).map_err(|source| ServeError::TokenFile {
        path: path.to_path_buf(),
        source,
    })?;
    let token = text.trim();
    if token.is_empty() {
        return Err(ServeError::EmptyToken {
            path: path.to_path_buf(),
        });
    }
    Ok(token.to_string())
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM (what Kubernetes sends).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT received"),
        () = term => tracing::info!("SIGTERM received"),
    }
}
