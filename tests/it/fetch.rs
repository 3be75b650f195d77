//! The git fetch layer against real servers on loopback: a bare upstream over `file://`, git's
//! smart HTTP (`git http-backend` behind a small CGI bridge that wants Basic auth), and OpenSSH's
//! sshd with throwaway keys. Every wait is bounded in count and time.

use crate::common::{git, write_files};
use mcp_gitops::git::fetch::{Credentials, FetchError, Fetched, GitConfig, GitSource};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::common::GIT_TIMEOUTS as TIMEOUTS;

const WEATHER: &str = "servers/com.example/weather.yaml";

fn weather(version: &str) -> String {
    format!("name: com.example/weather\ndescription: Forecasts\nversion: \"{version}\"\n")
}

/// A bare upstream repository and a work tree that pushes to it.
struct Upstream {
    dir: tempfile::TempDir,
}

impl Upstream {
    fn new() -> Upstream {
        let dir = tempfile::tempdir().unwrap();
        git(
            dir.path(),
            &["init", "-q", "--bare", "-b", "main", "upstream.git"],
        );
        git(dir.path(), &["init", "-q", "-b", "main", "work"]);
        let up = Upstream { dir };
        let bare = up.bare();
        git(
            &up.work(),
            &["remote", "add", "origin", bare.to_str().unwrap()],
        );
        up
    }

    fn bare(&self) -> PathBuf {
        self.dir.path().join("upstream.git")
    }

    fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    fn url(&self) -> String {
        format!("file://{}", self.bare().display())
    }

    /// Commits `weather.yaml` at `version` in the work tree.
    fn commit(&self, version: &str) -> git2::Oid {
        let work = self.work();
        write_files(&work, &[(WEATHER, &weather(version))]);
        git(&work, &["add", "-A"]);
        git(&work, &["commit", "-qm", &format!("weather {version}")]);
        self.rev("HEAD")
    }

    fn rev(&self, rev: &str) -> git2::Oid {
        git2::Oid::from_str(git(&self.work(), &["rev-parse", rev]).trim()).unwrap()
    }

    /// Force-pushes `what` (a commit or branch of the work tree) to `branch` upstream.
    fn push(&self, what: &str, branch: &str) {
        git(
            &self.work(),
            &[
                "push",
                "-q",
                "-f",
                "origin",
                &format!("{what}:refs/heads/{branch}"),
            ],
        );
    }

    fn commit_time(&self, id: git2::Oid) -> i64 {
        git(
            &self.work(),
            &["log", "-1", "--format=%ct", &id.to_string()],
        )
        .trim()
        .parse()
        .unwrap()
    }
}

fn config(url: &str, reference: Option<&str>, cache: &Path, credentials: Credentials) -> GitConfig {
    GitConfig {
        url: url.to_string(),
        reference: reference.map(str::to_string),
        cache_dir: cache.to_path_buf(),
        credentials,
        timeouts: TIMEOUTS,
    }
}

fn source(url: &str, reference: Option<&str>, cache: &Path) -> GitSource {
    GitSource::new(config(url, reference, cache, Credentials::default())).unwrap()
}

/// The error and its whole cause chain, as an operator would read it.
fn chain(e: &FetchError) -> String {
    let mut out = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}

fn served_files(f: &Fetched) -> Vec<(String, String)> {
    let tree = f.repo.find_commit(f.commit).unwrap().tree().unwrap();
    mcp_gitops::git::tree::read(&f.repo, &tree, "")
        .unwrap()
        .files
        .into_iter()
        .map(|s| (s.path, String::from_utf8(s.bytes).unwrap()))
        .collect()
}

#[test]
fn follows_new_commits_and_force_pushes_backwards_and_to_unrelated_history() {
    let up = Upstream::new();
    let cache = tempfile::tempdir().unwrap();
    let a = up.commit("1.0.0");
    up.push("HEAD", "main");
    let src = source(&up.url(), None, cache.path());

    let f = src.fetch().unwrap();
    assert_eq!((f.commit, f.resolved.as_str()), (a, "refs/heads/main"));
    assert_eq!(f.time, up.commit_time(a));
    assert_eq!(served_files(&f), [(WEATHER.to_string(), weather("1.0.0"))]);

    let b = up.commit("1.1.0");
    up.push("HEAD", "main");
    assert_eq!(src.fetch().unwrap().commit, b);

    // Backwards.
    up.push(&a.to_string(), "main");
    let f = src.fetch().unwrap();
    assert_eq!(f.commit, a);
    assert_eq!(served_files(&f), [(WEATHER.to_string(), weather("1.0.0"))]);

    // To a history that shares nothing with the old one.
    git(&up.work(), &["checkout", "-q", "--orphan", "rewrite"]);
    let c = up.commit("2.0.0");
    up.push("rewrite", "main");
    let f = src.fetch().unwrap();
    assert_eq!(f.commit, c);
    assert_eq!(served_files(&f), [(WEATHER.to_string(), weather("2.0.0"))]);
    let mut history = mcp_gitops::git::history::History::build(&f.repo, b, "").unwrap();
    history.advance(&f.repo, f.commit).unwrap();
    assert_eq!(history.head, Some(c));
}

#[test]
fn a_deleted_branch_or_an_unknown_ref_is_a_clear_error() {
    let up = Upstream::new();
    let cache = tempfile::tempdir().unwrap();
    up.commit("1.0.0");
    up.push("HEAD", "main");
    let feature = up.commit("1.1.0");
    up.push("HEAD", "feature");
    let src = source(&up.url(), Some("feature"), cache.path());
    assert_eq!(src.fetch().unwrap().commit, feature);

    git(&up.work(), &["push", "-q", "origin", ":refs/heads/feature"]);
    let e = src.fetch().unwrap_err();
    assert!(matches!(e, FetchError::RefNotFound { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        format!("ref `feature` not found at {}", up.url())
    );

    let e = source(&up.url(), Some("no-such-branch"), cache.path())
        .fetch()
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("ref `no-such-branch` not found at {}", up.url())
    );
}

#[test]
fn the_default_branch_is_the_one_the_remote_head_names() {
    let up = Upstream::new();
    let cache = tempfile::tempdir().unwrap();

    let empty = source(&up.url(), None, cache.path()).fetch().unwrap_err();
    assert!(
        matches!(empty, FetchError::NoDefaultBranch { .. }),
        "{empty:?}"
    );

    let main = up.commit("1.0.0");
    up.push("HEAD", "main");
    let trunk = up.commit("1.1.0");
    up.push("HEAD", "trunk");
    let src = source(&up.url(), None, cache.path());
    let f = src.fetch().unwrap();
    assert_eq!((f.commit, f.resolved.as_str()), (main, "refs/heads/main"));

    git(&up.bare(), &["symbolic-ref", "HEAD", "refs/heads/trunk"]);
    let f = src.fetch().unwrap();
    assert_eq!((f.commit, f.resolved.as_str()), (trunk, "refs/heads/trunk"));
}

#[test]
fn a_tag_or_a_commit_id_can_be_served() {
    let up = Upstream::new();
    let cache = tempfile::tempdir().unwrap();
    let a = up.commit("1.0.0");
    git(&up.work(), &["tag", "-a", "-m", "release", "v1"]);
    git(&up.work(), &["tag", "light", &a.to_string()]);
    let b = up.commit("1.1.0");
    up.push("HEAD", "main");
    git(&up.work(), &["push", "-q", "origin", "--tags"]);

    for (reference, id, resolved) in [
        ("v1", a, "refs/tags/v1".to_string()),
        ("refs/tags/v1", a, "refs/tags/v1".to_string()),
        ("light", a, "refs/tags/light".to_string()),
        ("refs/heads/main", b, "refs/heads/main".to_string()),
        (&a.to_string(), a, a.to_string()),
    ] {
        let f = source(&up.url(), Some(reference), cache.path())
            .fetch()
            .unwrap_or_else(|e| panic!("{reference}: {}", chain(&e)));
        assert_eq!((f.commit, f.resolved), (id, resolved), "{reference}");
    }

    // A commit no branch or tag reaches.
    let unknown = "0123456789abcdef0123456789abcdef01234567";
    let e = source(&up.url(), Some(unknown), cache.path())
        .fetch()
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("ref `{unknown}` not found at {}", up.url())
    );

    // A moved tag is followed like a branch (force refspecs).
    git(&up.work(), &["tag", "-f", "light", &b.to_string()]);
    git(&up.work(), &["push", "-q", "-f", "origin", "--tags"]);
    let f = source(&up.url(), Some("light"), cache.path())
        .fetch()
        .unwrap();
    assert_eq!(f.commit, b);
}

#[test]
fn the_cache_repository_is_reused_across_sources() {
    let up = Upstream::new();
    let cache = tempfile::tempdir().unwrap();
    let a = up.commit("1.0.0");
    up.push("HEAD", "main");

    let first = source(&up.url(), None, cache.path());
    assert_eq!(first.fetch().unwrap().commit, a);
    let path = first.repo_path().to_path_buf();
    assert!(path.starts_with(cache.path()) && path.join("objects").is_dir());
    let marker = path.join("left-by-the-first-source");
    std::fs::write(&marker, "").unwrap();
    let packs = |p: &Path| std::fs::read_dir(p.join("objects/pack")).unwrap().count();
    let packs_before = packs(&path);
    drop(first);

    // As after a restart: a new source, the same cache dir.
    let second = source(&up.url(), None, cache.path());
    assert_eq!(second.repo_path(), path);
    assert_eq!(second.fetch().unwrap().commit, a);
    assert!(marker.exists(), "the mirror was made anew");
    assert_eq!(packs(&path), packs_before, "nothing new was downloaded");
    let mirrors: Vec<_> = std::fs::read_dir(cache.path()).unwrap().collect();
    assert_eq!(mirrors.len(), 1);

    // A cache damaged beyond opening is made anew.
    std::fs::remove_dir_all(path.join("objects")).unwrap();
    std::fs::write(path.join("HEAD"), "garbage").unwrap();
    assert_eq!(second.fetch().unwrap().commit, a);
}

#[test]
fn bad_configurations_are_refused_before_any_fetch() {
    let cache = tempfile::tempdir().unwrap();
    let refused = |url: &str, credentials: Credentials| {
        GitSource::new(config(url, None, cache.path(), credentials))
            .unwrap_err()
            .to_string()
    };
    let token = || Credentials {
        token_file: Some("/run/secrets/token".into()),
        ..Credentials::default()
    };
    assert!(refused("ftp://host/r.git", Credentials::default()).contains("unsupported scheme"));
    assert!(
        refused("http://git.example.com/r.git", token()).contains("plain http://"),
        "a token must not travel in clear to another machine"
    );
    let both = Credentials {
        password_file: Some("/p".into()),
        username: Some("u".into()),
        ..token()
    };
    assert!(refused("https://host/r.git", both).contains("not both"));
    let key_for_https = Credentials {
        ssh_key_file: Some("/k".into()),
        ..Credentials::default()
    };
    assert!(refused("https://host/r.git", key_for_https).contains("for ssh URLs"));

    // Debug and every message show the URL without its secret.
    let src = source(
        "https://x-access-token:hunter2@git.example.com/r.git",
        None,
        cache.path(),
    );
    assert_eq!(src.url(), "https://***@git.example.com/r.git");
    assert!(!format!("{src:?}").contains("hunter2"));
    assert!(!src.repo_path().to_string_lossy().contains("hunter2"));
}

#[test]
fn a_transfer_past_its_deadline_is_aborted() {
    let up = Upstream::new();
    let cache = tempfile::tempdir().unwrap();
    up.commit("1.0.0");
    up.push("HEAD", "main");
    let mut cfg = config(&up.url(), None, cache.path(), Credentials::default());
    cfg.timeouts.transfer = Duration::ZERO;
    let e = GitSource::new(cfg).unwrap().fetch().unwrap_err();
    assert!(matches!(e, FetchError::Timeout { .. }), "{e:?}");
}

mod http {
    //! git's smart HTTP: `git http-backend` run as a CGI by a small server on 127.0.0.1 that
    //! wants `Authorization: Basic` with the expected user and password.

    use base64::Engine as _;
    use std::collections::HashMap;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::{SocketAddr, TcpListener, TcpStream};
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    use std::thread::JoinHandle;
    use std::time::Duration;

    #[derive(Default)]
    pub struct Settings {
        /// `user:password` the server wants.
        pub auth: String,
        /// How long to wait before answering a fetch's pack request.
        pub pack_delay: Duration,
        /// Answer the first request with a redirect to this origin (`http://host:port`).
        pub redirect_to: Option<String>,
        /// Whether any request came with an `Authorization` header.
        pub saw_credentials: bool,
    }

    pub struct GitHttp {
        pub addr: SocketAddr,
        pub settings: Arc<Mutex<Settings>>,
        stop: Arc<AtomicBool>,
        thread: Option<JoinHandle<()>>,
    }

    impl GitHttp {
        /// Serves the repositories below `root`.
        pub fn start(root: &Path, auth: &str) -> GitHttp {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let settings = Arc::new(Mutex::new(Settings {
                auth: auth.to_string(),
                ..Settings::default()
            }));
            let stop = Arc::new(AtomicBool::new(false));
            let (root, s, st) = (root.to_path_buf(), settings.clone(), stop.clone());
            let thread = std::thread::spawn(move || {
                // Bounded: a test makes a few dozen requests at most.
                for stream in listener.incoming().take(500) {
                    if st.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        let _ = handle(stream, &root, &s);
                    }
                }
            });
            GitHttp {
                addr,
                settings,
                stop,
                thread: Some(thread),
            }
        }

        pub fn url(&self, repo: &str) -> String {
            format!("http://{}/{repo}", self.addr)
        }

        pub fn require(&self, auth: &str) {
            self.settings.lock().unwrap().auth = auth.to_string();
        }
    }

    impl Drop for GitHttp {
        fn drop(&mut self) {
            self.stop.store(true, Ordering::SeqCst);
            // Wake the accept loop so it sees the flag.
            let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
            if let Some(t) = self.thread.take() {
                let _ = t.join();
            }
        }
    }

    fn handle(stream: TcpStream, root: &Path, settings: &Mutex<Settings>) -> std::io::Result<()> {
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        stream.set_write_timeout(Some(Duration::from_secs(10)))?;
        let mut reader = BufReader::new(stream.try_clone()?);
        let mut out = stream;
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let mut parts = line.split_whitespace();
        let (method, target) = (
            parts.next().unwrap_or_default().to_string(),
            parts.next().unwrap_or_default().to_string(),
        );
        let mut headers = HashMap::new();
        for _ in 0..100 {
            let mut h = String::new();
            if reader.read_line(&mut h)? == 0 || h.trim().is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
        let body = read_body(&mut reader, &headers)?;
        let (auth, delay, redirect) = {
            let mut s = settings.lock().unwrap();
            s.saw_credentials |= headers.contains_key("authorization");
            (s.auth.clone(), s.pack_delay, s.redirect_to.clone())
        };
        if let Some(origin) = redirect {
            return out.write_all(
                format!(
                    "HTTP/1.1 302 Found\r\nLocation: {origin}{target}\r\nContent-Length: 0\r\n\
                     Connection: close\r\n\r\n"
                )
                .as_bytes(),
            );
        }
        let auth = auth.as_str();

        let wanted = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(auth)
        );
        if headers.get("authorization") != Some(&wanted) {
            return out.write_all(
                b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"git\"\r\n\
                  Content-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
        if method == "POST" {
            std::thread::sleep(delay);
        }

        let (path, query) = target.split_once('?').unwrap_or((&target, ""));
        let mut cgi = std::process::Command::new("git")
            .arg("http-backend")
            .env("GIT_PROJECT_ROOT", root)
            .env("GIT_HTTP_EXPORT_ALL", "1")
            .env("REQUEST_METHOD", &method)
            .env("PATH_INFO", path)
            .env("QUERY_STRING", query)
            .env("REMOTE_ADDR", "127.0.0.1")
            .env("REMOTE_USER", auth.split(':').next().unwrap_or_default())
            .env(
                "CONTENT_TYPE",
                headers.get("content-type").cloned().unwrap_or_default(),
            )
            .env("CONTENT_LENGTH", body.len().to_string())
            .env(
                "HTTP_CONTENT_ENCODING",
                headers.get("content-encoding").cloned().unwrap_or_default(),
            )
            .env(
                "GIT_PROTOCOL",
                headers.get("git-protocol").cloned().unwrap_or_default(),
            )
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()?;
        let mut stdin = cgi.stdin.take().unwrap();
        let writer = std::thread::spawn(move || stdin.write_all(&body));
        let output = cgi.wait_with_output()?;
        let _ = writer.join();

        let cgi_out = output.stdout;
        let split = find(&cgi_out, b"\r\n\r\n")
            .map(|i| (i, 4))
            .or_else(|| find(&cgi_out, b"\n\n").map(|i| (i, 2)))
            .unwrap_or((cgi_out.len(), 0));
        let head = String::from_utf8_lossy(&cgi_out[..split.0]).into_owned();
        let content = &cgi_out[split.0 + split.1..];
        let mut status = "200 OK".to_string();
        let mut response = Vec::new();
        let mut fields = String::new();
        for h in head.lines().filter(|l| !l.trim().is_empty()) {
            match h.split_once(':') {
                Some((k, v)) if k.eq_ignore_ascii_case("status") => status = v.trim().to_string(),
                _ => fields.push_str(&format!("{}\r\n", h.trim_end())),
            }
        }
        response.extend_from_slice(
            format!(
                "HTTP/1.1 {status}\r\n{fields}Content-Length: {}\r\nConnection: close\r\n\r\n",
                content.len()
            )
            .as_bytes(),
        );
        response.extend_from_slice(content);
        out.write_all(&response)
    }

    fn read_body(
        reader: &mut BufReader<TcpStream>,
        headers: &HashMap<String, String>,
    ) -> std::io::Result<Vec<u8>> {
        let mut body = Vec::new();
        if let Some(len) = headers.get("content-length") {
            let len: usize = len.parse().unwrap_or(0);
            body.resize(len, 0);
            reader.read_exact(&mut body)?;
        } else if headers
            .get("transfer-encoding")
            .is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
        {
            for _ in 0..100_000 {
                let mut size = String::new();
                reader.read_line(&mut size)?;
                let size = usize::from_str_radix(size.trim().split(';').next().unwrap_or(""), 16)
                    .unwrap_or(0);
                if size == 0 {
                    let mut trailer = String::new();
                    reader.read_line(&mut trailer)?;
                    break;
                }
                let start = body.len();
                body.resize(start + size, 0);
                reader.read_exact(&mut body[start..])?;
                let mut crlf = [0; 2];
                reader.read_exact(&mut crlf)?;
            }
        }
        Ok(body)
    }

    fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
        haystack.windows(needle.len()).position(|w| w == needle)
    }

    /// A token file in `dir`, written with the surrounding whitespace an editor or a Secret
    /// mount may leave.
    pub fn secret_file(dir: &Path, name: &str, secret: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, format!("  {secret}\n\n")).unwrap();
        path
    }
}

#[test]
fn https_token_auth_uses_the_token_file_and_picks_up_a_rotated_token() {
    let up = Upstream::new();
    let a = up.commit("1.0.0");
    up.push("HEAD", "main");
    let server = http::GitHttp::start(up.dir.path(), "x-access-token:right-token");
    let secrets = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let token_file = http::secret_file(secrets.path(), "token", "wrong-token-1234");
    let src = GitSource::new(config(
        &server.url("upstream.git"),
        None,
        cache.path(),
        Credentials {
            token_file: Some(token_file.clone()),
            ..Credentials::default()
        },
    ))
    .unwrap();

    let e = src.fetch().unwrap_err();
    assert!(matches!(e, FetchError::Auth { .. }), "{}", chain(&e));
    for shown in [chain(&e), format!("{e:?}"), format!("{src:?}")] {
        assert!(!shown.contains("wrong-token-1234"), "secret shown: {shown}");
    }
    assert!(
        chain(&e).contains(&server.url("upstream.git")),
        "{}",
        chain(&e)
    );

    // Rotated in place: the next fetch reads it.
    http::secret_file(secrets.path(), "token", "right-token");
    let f = src.fetch().unwrap();
    assert_eq!(f.commit, a);

    server.require("x-access-token:rotated-token");
    assert!(matches!(src.fetch(), Err(FetchError::Auth { .. })));
    http::secret_file(secrets.path(), "token", "rotated-token");
    let b = up.commit("1.1.0");
    up.push("HEAD", "main");
    assert_eq!(src.fetch().unwrap().commit, b);

    // No credentials at all: the server's 401 is reported as such.
    let e = source(&server.url("upstream.git"), None, cache.path())
        .fetch()
        .unwrap_err();
    assert!(matches!(e, FetchError::Auth { .. }), "{}", chain(&e));

    // An unreadable token file says which file.
    std::fs::remove_file(&token_file).unwrap();
    let e = src.fetch().unwrap_err();
    assert!(
        matches!(&e, FetchError::File { path, .. } if *path == token_file),
        "{e:?}"
    );
}

#[test]
fn https_user_and_password_files_and_credentials_in_the_url() {
    let up = Upstream::new();
    let a = up.commit("1.0.0");
    up.push("HEAD", "main");
    let server = http::GitHttp::start(up.dir.path(), "alice:pass-5678");
    let secrets = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let credentials = Credentials {
        username: Some("alice".into()),
        password_file: Some(http::secret_file(secrets.path(), "pw", "pass-5678")),
        ..Credentials::default()
    };
    let src = GitSource::new(config(
        &server.url("upstream.git"),
        None,
        cache.path(),
        credentials,
    ))
    .unwrap();
    assert_eq!(src.fetch().unwrap().commit, a);

    // The password in the URL works, and is never shown.
    let with = |password: &str| format!("http://alice:{password}@{}/upstream.git", server.addr);
    let src = source(&with("pass-5678"), None, cache.path());
    assert_eq!(src.fetch().unwrap().commit, a);
    let src = source(&with("not-the-pass-9"), None, cache.path());
    let e = src.fetch().unwrap_err();
    for shown in [chain(&e), format!("{e:?}"), format!("{src:?}")] {
        assert!(!shown.contains("not-the-pass-9"), "secret shown: {shown}");
    }
    assert!(matches!(e, FetchError::Auth { .. }), "{}", chain(&e));
    assert!(chain(&e).contains(&format!("http://***@{}/upstream.git", server.addr)));
    assert!(chain(&e).contains("in the URL"), "{}", chain(&e));
}

#[test]
fn credentials_are_not_sent_to_the_host_of_a_redirect() {
    let up = Upstream::new();
    up.commit("1.0.0");
    up.push("HEAD", "main");
    let elsewhere = http::GitHttp::start(up.dir.path(), "x-access-token:tok-4321");
    let server = http::GitHttp::start(up.dir.path(), "x-access-token:tok-4321");
    // `localhost` is this machine too, but not the host the source was configured with.
    server.settings.lock().unwrap().redirect_to =
        Some(format!("http://localhost:{}", elsewhere.addr.port()));
    let secrets = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let src = GitSource::new(config(
        &server.url("upstream.git"),
        None,
        cache.path(),
        Credentials {
            token_file: Some(http::secret_file(secrets.path(), "token", "tok-4321")),
            ..Credentials::default()
        },
    ))
    .unwrap();
    let e = src.fetch().unwrap_err();
    assert!(
        matches!(&e, FetchError::Auth { reason, .. } if reason.contains("redirected")),
        "{}",
        chain(&e)
    );
    assert!(!elsewhere.settings.lock().unwrap().saw_credentials);
}

#[test]
fn a_silent_server_or_a_slow_transfer_times_out() {
    // A server that accepts and never answers: the socket timeout ends the wait.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    let (done, wait) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        let mut held = Vec::new();
        let until = Instant::now() + Duration::from_secs(60);
        while Instant::now() < until && wait.try_recv().is_err() {
            if let Ok((stream, _)) = listener.accept() {
                held.push(stream);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    let cache = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let e = source(&format!("http://{addr}/r.git"), None, cache.path())
        .fetch()
        .unwrap_err();
    let waited = started.elapsed();
    done.send(()).unwrap();
    holder.join().unwrap();
    assert!(matches!(e, FetchError::Timeout { .. }), "{}", chain(&e));
    assert!(
        waited >= TIMEOUTS.io / 2 && waited < Duration::from_secs(40),
        "{waited:?}"
    );

    // A server that answers the pack request late: the transfer deadline aborts it.
    let up = Upstream::new();
    up.commit("1.0.0");
    up.push("HEAD", "main");
    let server = http::GitHttp::start(up.dir.path(), "x-access-token:t");
    server.settings.lock().unwrap().pack_delay = Duration::from_millis(1500);
    let secrets = tempfile::tempdir().unwrap();
    let mut cfg = config(
        &server.url("upstream.git"),
        None,
        cache.path(),
        Credentials {
            token_file: Some(http::secret_file(secrets.path(), "token", "t")),
            ..Credentials::default()
        },
    );
    cfg.timeouts.transfer = Duration::from_millis(1000);
    let e = GitSource::new(cfg).unwrap().fetch().unwrap_err();
    assert!(
        matches!(&e, FetchError::Timeout { reason, .. } if reason.contains("transfer")),
        "{}",
        chain(&e)
    );
}

mod ssh {
    //! OpenSSH's sshd on 127.0.0.1, with a throwaway host key and an authorized client key for
    //! the current user; `git-upload-pack` runs as that user.

    use std::io::Read;
    use std::net::{TcpListener, TcpStream};
    use std::path::{Path, PathBuf};
    use std::process::{Child, Command, Stdio};
    use std::time::{Duration, Instant};

    pub const SSHD: &str = "/usr/sbin/sshd";

    pub struct Sshd {
        pub port: u16,
        pub dir: tempfile::TempDir,
        child: Child,
    }

    impl Drop for Sshd {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    pub fn keygen(path: &Path) {
        let out = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", "test", "-f"])
            .arg(path)
            .output()
            .expect("ssh-keygen runs (package openssh-client)");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// `type base64` of a public key file.
    pub fn public_key(path: &Path) -> String {
        let text = std::fs::read_to_string(path.with_extension("pub")).unwrap();
        text.split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ")
    }

    pub fn user() -> String {
        let out = Command::new("id").arg("-un").output().unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    impl Sshd {
        pub fn start() -> Sshd {
            assert!(
                Path::new(SSHD).exists(),
                "{SSHD} is missing: the ssh fetch test runs a real sshd on 127.0.0.1. Install \
                 the Debian package openssh-server (`apt-get install -y openssh-server`; \
                 .ci/run installs it on a fresh machine)"
            );
            let dir = tempfile::tempdir().unwrap();
            keygen(&dir.path().join("host"));
            keygen(&dir.path().join("client"));
            std::fs::copy(
                dir.path().join("client.pub"),
                dir.path().join("authorized_keys"),
            )
            .unwrap();
            // Run as root, sshd wants its privilege separation dir (systemd makes it).
            if user() == "root" {
                let _ = std::fs::create_dir_all("/run/sshd");
            }
            // The free port is found by binding and releasing it; another process may take it
            // in between, so try a few.
            let mut last_log = String::new();
            for _ in 0..5 {
                let port = TcpListener::bind("127.0.0.1:0")
                    .unwrap()
                    .local_addr()
                    .unwrap()
                    .port();
                let config = dir.path().join("sshd_config");
                let d = dir.path().display();
                std::fs::write(
                    &config,
                    format!(
                        "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host\n\
                         PidFile {d}/sshd.pid\nAuthorizedKeysFile {d}/authorized_keys\n\
                         StrictModes no\nUsePAM no\nPasswordAuthentication no\n\
                         KbdInteractiveAuthentication no\nPubkeyAuthentication yes\n\
                         PermitRootLogin prohibit-password\nLogLevel VERBOSE\n"
                    ),
                )
                .unwrap();
                let log = dir.path().join("sshd.log");
                let mut child = Command::new(SSHD)
                    .args(["-D", "-e", "-f"])
                    .arg(&config)
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(std::fs::File::create(&log).unwrap())
                    .spawn()
                    .expect("sshd starts");
                let until = Instant::now() + Duration::from_secs(10);
                while Instant::now() < until {
                    if child.try_wait().unwrap().is_some() {
                        break;
                    }
                    if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
                        // The banner says it is sshd, not whoever took the port.
                        let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
                        let mut banner = [0; 4];
                        if s.read_exact(&mut banner).is_ok() && &banner == b"SSH-" {
                            return Sshd { port, dir, child };
                        }
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                let _ = child.kill();
                let _ = child.wait();
                last_log = std::fs::read_to_string(&log).unwrap_or_default();
            }
            panic!("sshd did not start; its log:\n{last_log}");
        }

        pub fn path(&self, name: &str) -> PathBuf {
            self.dir.path().join(name)
        }

        pub fn log(&self) -> String {
            std::fs::read_to_string(self.path("sshd.log")).unwrap_or_default()
        }
    }
}

#[test]
fn ssh_key_auth_with_the_host_key_checked_against_known_hosts() {
    let sshd = ssh::Sshd::start();
    let up = Upstream::new();
    let a = up.commit("1.0.0");
    up.push("HEAD", "main");
    let cache = tempfile::tempdir().unwrap();
    let url = format!(
        "ssh://{}@127.0.0.1:{}{}",
        ssh::user(),
        sshd.port,
        up.bare().display()
    );
    let host = format!("[127.0.0.1]:{}", sshd.port);
    let known_hosts = sshd.path("known_hosts");
    let key_file = sshd.path("key");
    let fetch = |known_hosts: Option<&Path>| {
        GitSource::new(config(
            &url,
            None,
            cache.path(),
            Credentials {
                ssh_key_file: Some(key_file.clone()),
                ssh_known_hosts_file: known_hosts.map(Path::to_path_buf),
                ..Credentials::default()
            },
        ))
        .unwrap()
        .fetch()
    };
    std::fs::copy(sshd.path("client"), &key_file).unwrap();

    // The right host key, plain.
    let host_key = ssh::public_key(&sshd.path("host"));
    std::fs::write(&known_hosts, format!("# test\n{host} {host_key}\n")).unwrap();
    let f = fetch(Some(&known_hosts))
        .unwrap_or_else(|e| panic!("{}\nsshd log:\n{}", chain(&e), sshd.log()));
    assert_eq!(f.commit, a);

    // The right host key, hashed by `ssh-keygen -H`.
    let out = std::process::Command::new("ssh-keygen")
        .arg("-H")
        .arg("-f")
        .arg(&known_hosts)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        std::fs::read_to_string(&known_hosts)
            .unwrap()
            .contains("|1|")
    );
    let b = up.commit("1.1.0");
    up.push("HEAD", "main");
    assert_eq!(fetch(Some(&known_hosts)).unwrap().commit, b);

    // Another key for this host: refused, as a man in the middle would be.
    ssh::keygen(&sshd.path("impostor"));
    let impostor = ssh::public_key(&sshd.path("impostor"));
    std::fs::write(&known_hosts, format!("{host} {impostor}\n")).unwrap();
    let e = fetch(Some(&known_hosts)).unwrap_err();
    assert!(
        matches!(&e, FetchError::HostKey { reason, .. } if reason.contains("does NOT match")),
        "{}",
        chain(&e)
    );

    // A host known_hosts does not list (the same key, another port).
    std::fs::write(&known_hosts, format!("[127.0.0.1]:1 {host_key}\n")).unwrap();
    let e = fetch(Some(&known_hosts)).unwrap_err();
    assert!(
        matches!(&e, FetchError::HostKey { reason, .. } if reason.contains("is not in")),
        "{}",
        chain(&e)
    );

    // Without a known_hosts file of ours, libgit2 checks ~/.ssh/known_hosts, which does not
    // know this throwaway host either.
    let e = fetch(None).unwrap_err();
    assert!(
        matches!(&e, FetchError::HostKey { reason, .. } if reason.contains("~/.ssh/known_hosts")),
        "{}",
        chain(&e)
    );

    // A client key the server does not accept, then the right one rotated in.
    std::fs::write(&known_hosts, format!("{host} {host_key}\n")).unwrap();
    std::fs::copy(sshd.path("impostor"), &key_file).unwrap();
    let e = fetch(Some(&known_hosts)).unwrap_err();
    assert!(matches!(e, FetchError::Auth { .. }), "{}", chain(&e));
    std::fs::copy(sshd.path("client"), &key_file).unwrap();
    assert_eq!(fetch(Some(&known_hosts)).unwrap().commit, b);
}
