//! What a registry repository says and what is wrong with it: files (`files`, read from a
//! directory by `dir` or from a git tree by `git::tree`) → YAML tree with positions (`load`,
//! `node`) → server versions (`model`, with `upstream`, where a server was imported from) →
//! findings (`schema`, `semantic`, `registry_rules`, `config`), all in one pass (`validate`);
//! and the same rules as JSON Schemas for editors (`file_schema`). Pure: no git, no async, no
//! HTTP.

pub mod config;
pub mod diagnostic;
pub mod dir;
pub mod file_schema;
pub mod files;
pub mod labels;
pub mod load;
pub mod model;
pub mod node;
pub mod registry_rules;
pub mod schema;
pub mod semantic;
pub mod upstream;
pub mod validate;
pub mod views;
