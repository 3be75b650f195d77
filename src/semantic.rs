//! The official registry's semantic rules beyond the JSON Schema. (Being written.)

use crate::diagnostic::Findings;
use crate::node::Node;

/// Checks one merged server.json document.
pub fn check(_doc: &Node, _out: &mut Findings) {}
