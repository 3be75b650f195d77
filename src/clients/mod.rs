//! What MCP clients run for a server.json version, written once: the configurations the web
//! page's install links and `mcp.json` snippets carry (`install`), and the allowlists that let
//! exactly those configurations run (`allowlist`). Pure functions of validated documents.

pub mod allowlist;
pub mod install;
