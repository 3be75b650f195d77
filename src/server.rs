//! `mcp-gitops serve`: wires the pipeline together (source → reloader → store → HTTP) and runs
//! it until a shutdown signal. `serve` takes a bound listener and a shutdown future, so tests
//! run the real thing on port 0 and stop it cleanly.

use crate::cli::ServeArgs;
use crate::git::fetch::{self, Credentials, FetchError, GitConfig, GitSource, Timeouts};
use crate::http::listener::{self, ConnLimits};
use crate::http::{self, ApiConfig, AppState, EdgeLimits, OpsPlacement};
use crate::process;
use crate::store::Store;
use crate::store::follow;
use crate::store::reload::Reloader;
use crate::store::source::Source;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "no registry to serve: there is no example-repo/ here; point --repo (or MCP_GITOPS_REPO) at a git URL or at a folder holding servers/"
    )]
    NoRepo,
    #[error("--path {0}: the registry's folder must be inside the repository (no `..`)")]
    BadPath(String),
    #[error("cannot use the git repository")]
    Git(#[from] FetchError),
    #[error("cannot read the secret file {path}")]
    SecretFile {
        path: PathBuf,
        source: std::io::Error,
    },
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
    /// The file `api.read_token` came from: re-read when it changes.
    pub read_token_file: Option<PathBuf>,
}

/// The bounds of the HTTP edge: per connection and per request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    pub conn: ConnLimits,
    pub edge: EdgeLimits,
}

/// Where to listen: the service, and optionally the operators' endpoints apart.
pub struct Listeners {
    pub main: TcpListener,
    /// With one, `/status` and `/metrics` are served here only (the probes on both).
    pub ops: Option<TcpListener>,
}

/// Serves `state` on `listener` until `shutdown` completes, then lets open requests finish (for
/// up to `ConnLimits::grace`).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let conn = ConnLimits::default();
    let stats = Arc::clone(&state.connections);
    listener::serve(listener, http::router(state), conn, stats, shutdown).await;
    Ok(())
}

/// Runs the whole service on `listener` with the default limits: watch the source, load it,
/// serve, until `shutdown`.
pub async fn start(
    options: Options,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let listeners = Listeners {
        main: listener,
        ops: None,
    };
    start_with(options, listeners, Limits::default(), shutdown).await
}

/// Runs the whole service: watch the source, load it, serve, until `shutdown`. The first load
/// runs beside the server, so `/healthz` answers at once and `/readyz` once a good index is in.
pub async fn start_with(
    options: Options,
    listeners: Listeners,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    if let Some(file) = &options.webhook_secret_file {
        // A secret that cannot be read would refuse every delivery: say so now, not then.
        read_secret_file(file)?;
    }
    let store = Arc::new(Store::new(options.source.info()));
    let state = AppState::new(Arc::clone(&store), options.api)
        .with_webhook(options.webhook_secret_file)
        .with_limits(limits.edge);
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
    let token_watch = match (&options.read_token_file, &state.read_token) {
        (Some(file), Some(token)) => Some(tokio::spawn(follow_secret_file(
            file.clone(),
            Arc::clone(token),
        ))),
        _ => None,
    };
    let hangups = tokio::spawn(process::sync_on_hangup(Arc::clone(&state.sync_now)));

    // One shutdown signal for every listener.
    let (stopping, stop) = tokio::sync::watch::channel(false);
    let stopped = move || {
        let mut stop = stop.clone();
        async move {
            let _ = stop.wait_for(|s| *s).await;
        }
    };
    let placement = if listeners.ops.is_some() {
        OpsPlacement::Separate
    } else {
        OpsPlacement::Main
    };
    let stats = Arc::clone(&state.connections);
    let ops = listeners.ops.map(|ops| {
        tokio::spawn(listener::serve(
            ops,
            http::ops_router(state.clone()),
            ConnLimits {
                // Scrapers and probes only: a few connections.
                max_connections: 64,
                ..limits.conn
            },
            Arc::new(listener::ConnStats::default()),
            stopped(),
        ))
    });
    let main = listener::serve(
        listeners.main,
        http::service_router(state, placement),
        limits.conn,
        stats,
        stopped(),
    );
    let signal = async move {
        shutdown.await;
        let _ = stopping.send(true);
    };
    tokio::join!(main, signal);
    if let Some(ops) = ops {
        let _ = ops.await;
    }
    tracing::debug!("server stopped");
    if let Some(watch) = watch {
        watch.abort();
    }
    hangups.abort();
    follow.abort();
    if let Some(token_watch) = token_watch {
        token_watch.abort();
    }
    Ok(())
}

/// `mcp-gitops serve`: reads the arguments, binds, and runs until SIGINT or SIGTERM.
pub async fn run(args: &ServeArgs) -> Result<(), ServeError> {
    process::install_panic_hook();
    let source = source(args)?;
    let read_token = args
        .read_token_file
        .as_deref()
        .map(read_secret_file)
        .transpose()?;
    let max_connections = process::connection_cap(args.max_connections);
    let bind = |addr: &String| {
        let addr = addr.clone();
        async move {
            TcpListener::bind(&addr)
                .await
                .map_err(|source| ServeError::Bind { addr, source })
        }
    };
    let main = bind(&args.listen).await?;
    let ops = match &args.ops_listen {
        Some(addr) => Some(bind(addr).await?),
        None => None,
    };
    let info = source.info();
    let shown = |l: &TcpListener, fallback: &str| {
        l.local_addr()
            .map_or_else(|_| fallback.to_string(), |a| a.to_string())
    };
    tracing::info!(
        addr = %shown(&main, &args.listen),
        ops_addr = ops.as_ref().map(|o| shown(o, "")),
        source = %info.location,
        kind = info.kind.as_str(),
        read_token = read_token.is_some(),
        max_connections,
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
        read_token_file: args.read_token_file.clone(),
    };
    let limits = Limits {
        conn: ConnLimits {
            max_connections,
            header_timeout: args.header_timeout,
            ..ConnLimits::default()
        },
        edge: EdgeLimits {
            request_timeout: args.request_timeout,
            body_timeout: args.body_timeout,
        },
    };
    let listeners = Listeners { main, ops };
    start_with(options, listeners, limits, shutdown_signal()).await
}

/// What `serve` with no `--repo` serves, when the working directory has it.
const DEFAULT_REPO: &str = "example-repo";

/// The source `--repo` names, with the git settings when it is a URL.
fn source(args: &ServeArgs) -> Result<Source, ServeError> {
    let repo = match &args.repo {
        Some(repo) => repo.clone(),
        None if std::path::Path::new(DEFAULT_REPO).is_dir() => DEFAULT_REPO.to_string(),
        None => return Err(ServeError::NoRepo),
    };
    let path = args.path.as_deref().unwrap_or("").trim_matches('/');
    if path.split('/').any(|part| part == "..") {
        return Err(ServeError::BadPath(path.to_string()));
    }
    if !crate::git::remote::is_git_url(&repo) {
        return Ok(Source::Directory(PathBuf::from(&repo).join(path)));
    }
    let git = GitSource::new(GitConfig {
        url: repo.clone(),
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
    })?
    .with_path(path);
    tracing::debug!(url = %fetch::redact_url(git.url()), "serving from git");
    Ok(Source::Git(Arc::new(git)))
}

/// A secret file's content (`secret_file::read`), its path named in the error.
fn read_secret_file(path: &std::path::Path) -> Result<String, ServeError> {
    crate::secret_file::read(path).map_err(|source| ServeError::SecretFile {
        path: path.to_path_buf(),
        source,
    })
}

/// How often the read token file is looked at for a new token.
const SECRET_RECHECK: Duration = Duration::from_secs(5);

/// Keeps `token` equal to the content of `file`, as a rotated Kubernetes Secret rewrites it. A
/// file that cannot be read (or hangs, or is empty) keeps the token in force, with a warning.
async fn follow_secret_file(file: PathBuf, token: Arc<arc_swap::ArcSwap<String>>) {
    loop {
        tokio::time::sleep(SECRET_RECHECK).await;
        let path = file.clone();
        let read = tokio::task::spawn_blocking(move || read_secret_file(&path));
        match tokio::time::timeout(SECRET_RECHECK, read).await {
            Ok(Ok(Ok(new))) => {
                if **token.load() != new {
                    token.store(Arc::new(new));
                    tracing::info!(file = %file.display(), "the read token changed; the new one is in force");
                }
            }
            Ok(Ok(Err(e))) => {
                tracing::warn!(error = %crate::error_chain::error_chain(&e), "keeping the read token in force");
            }
            Ok(Err(_)) | Err(_) => {
                tracing::warn!(file = %file.display(), "reading the read token file hangs; keeping the token in force");
            }
        }
    }
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
