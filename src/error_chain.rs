//! One line for an error and every cause under it (`a: b: c`), as the CLI prints it and as
//! `/status` and the logs show a failed fetch or reload.

/// `e` and its sources, joined with `: `.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}
