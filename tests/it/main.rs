//! Integration tests, one binary so the build stays quick. Each module builds its own world in
//! a temp dir; the official spec files are read from `../shared/spec/` (see `common`).

mod common;
mod rules;
