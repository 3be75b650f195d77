//! mcp-gitops: a private MCP registry run the GitOps way.
//!
//! The folders are the pipeline's floors; each imports only the floors below it
//! (docs/architecture.md says what goes where and why):
//!
//! ```text
//! http/   the faces: registry API, ops endpoints, webhook, web page     reads store/, clients/
//! import/ servers of other registries into server files, `--update`    uses remote/, check/
//! lint/   the lint command, its output formats, `--base`                reads git/, check/
//! store/  served snapshot, index, the one writer (reload), following    uses git/, check/
//! git/    mirror and fetch, trees without a checkout, dates from history uses check/
//! probe/  `check URL`: a registry's answers as its clients read them       uses remote/
//! remote/ a client of other v0.1 registries: bounded requests, v0.1 shapes uses leaves only
//! clients/ what clients run for a server.json: install configs, allowlists  uses check/
//! check/  files → YAML tree → server versions → findings (pure)
//! ```
//!
//! At the root: `main.rs` and `cli.rs` (the command line), `server.rs` (the wiring of `serve`),
//! `init.rs` (a new registry repository, from the templates in `init/`),
//! `process.rs` (open-files limit, panic hook, SIGHUP), and small leaves every floor may use
//! (`parallel`, `error_chain`, `secret_file`, `synth`, `duration`, `uri_component`).

pub mod check;
pub mod cli;
pub mod clients;
pub mod duration;
pub mod error_chain;
pub mod git;
pub mod http;
pub mod import;
pub mod init;
pub mod lint;
pub mod parallel;
pub mod probe;
pub mod process;
pub mod remote;
pub mod secret_file;
pub mod server;
pub mod store;
pub mod synth;
pub mod uri_component;
