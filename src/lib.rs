//! mcp-gitops: a private MCP registry run the GitOps way.
//!
//! ```text
//! source (directory | git tree) → load (YAML → Node, with positions) → model (expand versions)
//!                               → validate (schema + semantic + repo rules) → lint (print)
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
//! | `git_tree` | a registry read straight from a git tree, no checkout |
//! | `history` | publishedAt / updatedAt / tombstones from first-parent git history |
//! | `base` | `lint --base`: published versions are immutable |
//! | `diagnostic` | findings and the list of rule ids |
//! | `synth` | synthetic registries for benchmarks |
//! | `lint` | the `lint` command and its output formats |

pub mod base;
pub mod cli;
pub mod config;
pub mod diagnostic;
pub mod git_tree;
pub mod history;
pub mod lint;
pub mod load;
pub mod model;
pub mod node;
pub mod repo;
pub mod schema;
pub mod semantic;
pub mod synth;
pub mod validate;
