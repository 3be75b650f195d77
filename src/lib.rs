//! mcp-gitops: a private MCP registry run the GitOps way.
//!
//! ```text
//! source (directory | git tree) → load (YAML → Node, with positions) → model (expand versions)
//!                               → validate (schema + semantic + repo rules) → lint (print)
//!                                                                            ↘ index → store
//! HTTP handlers ── read ──> Store::current()   (an Arc<Snapshot{revision, index}>)
//! ```
//!
//! | module | what it holds |
//! | --- | --- |
//! | `cli` | the command line |
//! | `node` | the YAML tree with a position on every node |
//! | `load` | reading files and parsing YAML; the only module naming the YAML crate |
//! | `model` | a server file expanded into versions (shallow merge, registry fields) |
//! | `config` | `registry.yaml` |
//! | `schema` | the official server.json JSON Schema constraints, in Rust |
//! | `semantic` | the official registry's semantic rules |
//! | `repo` | rules across the repository (paths, duplicates, `latest` pins, namespaces) |
//! | `validate` | one pass over a repository: all of the above, in parallel |
//! | `parallel` | work split over every core, results in order |
//! | `git_tree` | a registry read straight from a git tree, no checkout |
//! | `history` | publishedAt / updatedAt / tombstones from first-parent git history |
//! | `fetch` | the git mirror `serve` fetches into: force refspecs, ref resolution, credentials, known_hosts |
//! | `base` | `lint --base`: published versions are immutable |
//! | `diagnostic` | findings and the list of rule ids |
//! | `synth` | synthetic registries (optionally as git histories) for benchmarks |
//! | `lint` | the `lint` command and its output formats |
//! | `index` | the immutable index of one revision: sorted entries, pre-serialized JSON |
//! | `store` | the served snapshot (swapped whole) and the record of reload attempts |
//! | `query` | `GET /servers` parameters and the cursor |
//! | `reload` | the only writer: read → validate → build → swap, or keep the last good index |
//! | `sync` | watching a directory (and its parent) for changes, debounced |
//! | `api` | `router(state)`, the API handlers, the HTTP error type |
//! | `ops` | `/healthz`, `/readyz`, `/status`, `/metrics` |
//! | `webhook` | `POST /webhook`: GitHub and GitLab push notifications trigger a sync |
//! | `web` | the web page at `/`: list, search, detail, install links; assets embedded |
//! | `server` | `serve`: listener, shutdown, wiring |

pub mod api;
pub mod base;
pub mod cli;
pub mod config;
pub mod diagnostic;
pub mod fetch;
pub mod git_tree;
pub mod history;
pub mod index;
pub mod lint;
pub mod load;
pub mod model;
pub mod node;
pub mod ops;
pub mod parallel;
pub mod query;
pub mod reload;
pub mod repo;
pub mod schema;
pub mod semantic;
pub mod server;
pub mod store;
pub mod sync;
pub mod synth;
pub mod validate;
pub mod web;
pub mod webhook;
