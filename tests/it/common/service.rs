//! The real service (`server::start`) in-process on 127.0.0.1 port 0, and waiting on what it
//! serves.

use crate::common::client::fetch;
use mcp_gitops::http::ApiConfig;
use mcp_gitops::server::{Limits, Listeners, Options, start, start_with};
use mcp_gitops::store::source::Source;
use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub(crate) struct Service {
    pub base: String,
    /// The operators' listener, when one was asked for.
    pub ops: Option<String>,
    pub client: reqwest::Client,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), mcp_gitops::server::ServeError>>,
}

/// The options of a service on a directory: quick debounce, git polls out of the way.
pub(crate) fn directory_options(dir: &Path) -> Options {
    Options {
        source: Source::Directory(dir.to_path_buf()),
        api: ApiConfig {
            cache_max_age: 5,
            read_token: None,
        },
        debounce: Duration::from_millis(50),
        poll_interval: Duration::from_secs(3600),
        webhook_secret_file: None,
        read_token_file: None,
    }
}

impl Service {
    /// The real service on a directory, on 127.0.0.1 port 0.
    pub(crate) async fn start(dir: PathBuf) -> Service {
        Service::start_with(directory_options(&dir)).await
    }

    /// The real service with these options, on 127.0.0.1 port 0.
    pub(crate) async fn start_with(options: Options) -> Service {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(start(options, listener, async {
            let _ = stopped.await;
        }));
        Service::started(base, None, stop, task).await
    }

    /// The real service with these options and limits, on 127.0.0.1 port 0, and the operators'
    /// endpoints on a port of their own when `with_ops`.
    pub(crate) async fn start_on(options: Options, limits: Limits, with_ops: bool) -> Service {
        let bind = || async {
            let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let base = format!("http://{}", l.local_addr().unwrap());
            (l, base)
        };
        let (main, base) = bind().await;
        let (ops, ops_base) = match with_ops {
            true => {
                let (l, b) = bind().await;
                (Some(l), Some(b))
            }
            false => (None, None),
        };
        let (stop, stopped) = oneshot::channel::<()>();
        let listeners = Listeners { main, ops };
        let task = tokio::spawn(start_with(options, listeners, limits, async {
            let _ = stopped.await;
        }));
        Service::started(base, ops_base, stop, task).await
    }

    /// Once `/healthz` answers (the listener is up; nothing need be served yet).
    async fn started(
        base: String,
        ops: Option<String>,
        stop: oneshot::Sender<()>,
        task: tokio::task::JoinHandle<Result<(), mcp_gitops::server::ServeError>>,
    ) -> Service {
        let service = Service {
            base,
            ops,
            client: reqwest::Client::new(),
            stop,
            task,
        };
        service
            .wait_for("the listener", async |s: &Service| {
                s.client
                    .get(s.url("/healthz"))
                    .send()
                    .await
                    .ok()
                    .map(|_| ())
            })
            .await;
        service
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `host:port` of the main listener, for raw sockets.
    pub(crate) fn addr(&self) -> &str {
        self.base.trim_start_matches("http://")
    }

    /// Status and body text of a GET.
    pub(crate) async fn text(&self, path: &str) -> (u16, String) {
        let r = self.client.get(self.url(path)).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.text().await.unwrap_or_default())
    }

    /// Waits until a good revision is served.
    pub(crate) async fn wait_served(&self) {
        self.wait_for("a served revision", async |s: &Service| {
            (s.get("/readyz").await.0 == 200).then_some(())
        })
        .await;
    }

    pub(crate) async fn get(&self, path: &str) -> (u16, Json) {
        let r = fetch(&self.client, &format!("{}{path}", self.base))
            .await
            .unwrap();
        (r.status, r.json())
    }

    pub(crate) async fn description(&self) -> Option<String> {
        let (status, j) = self
            .get("/v0.1/servers/io.github.acme%2Fweather/versions/latest")
            .await;
        (status == 200).then(|| j["server"]["description"].as_str().unwrap().to_string())
    }

    /// Polls `probe` until it gives `Some`, for at most 15 s.
    pub(crate) async fn wait_for<T>(
        &self,
        what: &str,
        mut probe: impl AsyncFnMut(&Service) -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + Duration::from_secs(15);
        for _ in 0..600 {
            if let Some(v) = probe(self).await {
                return v;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("gave up waiting for {what}");
    }

    pub(crate) async fn wait_for_description(&self, expected: &str) {
        self.wait_for(&format!("description `{expected}`"), async |s: &Service| {
            (s.description().await.as_deref() == Some(expected)).then_some(())
        })
        .await;
    }

    pub(crate) async fn stop(self) {
        let _ = self.stop.send(());
        tokio::time::timeout(Duration::from_secs(15), self.task)
            .await
            .expect("stops in time")
            .unwrap()
            .unwrap();
    }
}
