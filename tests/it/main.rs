//! Integration tests, one binary so the build stays quick. Each module builds its own world in
//! a temp dir; the official spec files are read from `../shared/spec/` (see `common`).

mod base;
mod common;
mod crosscheck;
mod docs;
mod history;
mod lint_cli;
mod rules;
mod schema;
mod seed;
