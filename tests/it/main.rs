//! Integration tests, one binary so the build stays quick. Each module builds its own world in
//! a temp dir; the official spec files are read from `../shared/spec/` (see `common`).

mod abuse;
mod allowlist;
mod api;
mod base;
mod browser;
mod check;
mod common;
mod container;
mod crosscheck;
mod directory_mode;
mod docs;
mod faults;
mod fetch;
mod file_schema;
mod git_sync;
mod history;
mod import;
mod init;
mod layout;
mod lint_cli;
mod metrics;
mod official_routes;
mod openapi;
mod props;
mod rules;
mod schema;
mod seed;
mod serve_socket;
mod views;
mod web;
mod workflows;
