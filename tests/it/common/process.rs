//! The real `mcp-gitops` binary as a child process on 127.0.0.1: a free port, starting it,
//! waiting until it is ready, and stopping it with SIGTERM.

use crate::common::client::fetch;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A port that was free a moment ago, on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `mcp-gitops` process (perhaps inside a sandbox), its log, and how to stop it.
pub struct Server {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Server {
    /// Starts `cmd`, which must make the server listen on 127.0.0.1:`port`; its stderr (the
    /// logs) goes to `log`.
    pub fn spawn(mut cmd: Command, port: u16, log: PathBuf) -> Server {
        let file = std::fs::File::create(&log).unwrap();
        cmd.stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
        Server { child, port, log }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Panics with the log if the process has exited.
    fn assert_running(&mut self) {
        if let Some(status) = self.child.try_wait().unwrap() {
            panic!("the server exited ({status}); its log:\n{}", self.log());
        }
    }

    /// Waits until /readyz answers 200.
    pub async fn wait_ready(&mut self, limit: Duration) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + limit;
        let mut last = String::new();
        while Instant::now() < deadline {
            if let Ok(r) = fetch(&client, &self.url("/readyz")).await {
                if r.status == 200 {
                    return;
                }
                last = format!("{} {}", r.status, String::from_utf8_lossy(&r.body));
            }
            self.assert_running();
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "/readyz not 200 within {limit:?} (last: {last}); log:\n{}",
            self.log()
        );
    }

    /// The pid of the `mcp-gitops` process itself: the child, or its descendant when the
    /// child is a sandbox.
    pub fn server_pid(&self) -> u32 {
        let root = self.child.id();
        let mut frontier = vec![root];
        let mut seen = 0;
        while let Some(pid) = frontier.pop() {
            if comm(pid).as_deref() == Some("mcp-gitops") {
                return pid;
            }
            frontier.extend(children(pid));
            seen += 1;
            assert!(seen < 64, "no mcp-gitops process under {root}");
        }
        panic!("no mcp-gitops process under {root}; log:\n{}", self.log());
    }

    /// SIGTERM, as `docker stop` and Kubernetes send, then a clean exit within the grace time.
    pub async fn stop(mut self) {
        self.assert_running();
        let pid = self.server_pid();
        let ok = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -TERM {pid}");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(
                    status.success(),
                    "exit after SIGTERM: {status}; log:\n{}",
                    self.log()
                );
                return;
            }
            assert!(
                Instant::now() < deadline,
                "still running 20 s after SIGTERM; log:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            // The sandboxed server dies with bwrap (setpriv --pdeathsig), and bwrap with us.
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn comm(pid: u32) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .ok()
        .map(|s| s.trim().to_string())
}

/// The processes whose parent is `pid`.
fn children(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return out;
    };
    for entry in entries.flatten() {
        let Some(child) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{child}/stat")) else {
            continue;
        };
        // pid (comm) state ppid ...: comm may hold spaces, so read after the last ')'.
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|s| s.parse::<u32>().ok());
        if ppid == Some(pid) {
            out.push(child);
        }
    }
    out
}
