//! The human format: each finding with its file:line:col (the file alone when the finding is
//! about the whole file), rule and the source line under it.

use super::{path_prefix, summary_line};
use crate::check::diagnostic::Diagnostic;
use crate::check::files;
use crate::check::validate::Checked;
use std::io::Write;
use std::path::Path;

/// Lines longer than this are shown as a window around the column.
const SNIPPET_WIDTH: usize = 120;

pub(super) fn human(root: &Path, checked: &Checked, w: &mut dyn Write) -> std::io::Result<()> {
    // Paths as the user can open them from here: `lint registry` prints `registry/servers/...`.
    let prefix = path_prefix(root);
    let mut source = SourceCache::default();
    for d in &checked.diagnostics {
        writeln!(w, "{prefix}{d}")?;
        if let Some(line) = source.line(root, d) {
            let (shown, col) = window(line, d.pos.col as usize);
            let number = d.pos.line.to_string();
            let gutter = " ".repeat(number.len());
            // Tabs before the column stay tabs so the caret lines up under the character.
            let pad: String = shown
                .chars()
                .take(col - 1)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            writeln!(w, "{gutter} |")?;
            writeln!(w, "{number} | {shown}")?;
            writeln!(w, "{gutter} | {pad}^")?;
        }
        writeln!(w)?;
    }
    writeln!(w, "{}", summary_line(checked))
}

/// The text of a finding's line, read from the file under the linted directory: one file at a
/// time, since findings come sorted by file.
#[derive(Default)]
struct SourceCache {
    file: Option<String>,
    lines: Vec<String>,
}

impl SourceCache {
    fn line(&mut self, root: &Path, d: &Diagnostic) -> Option<&str> {
        if d.pos.line == 0 || d.pos.col == 0 {
            return None;
        }
        if self.file.as_deref() != Some(d.file.as_str()) {
            self.file = Some(d.file.clone());
            self.lines = read_lines(&root.join(&d.file)).unwrap_or_default();
        }
        self.lines.get(d.pos.line as usize - 1).map(String::as_str)
    }
}

/// The lines of a file, or nothing when it is gone (a finding of `--base`), not a regular file
/// or too large to have been parsed.
fn read_lines(path: &Path) -> Option<Vec<String>> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > files::MAX_FILE_BYTES {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    Some(
        String::from_utf8_lossy(&bytes)
            .lines()
            .map(|l| l.trim_end_matches('\r').to_string())
            .collect(),
    )
}

/// A long line cut to a window around `col` (1-based, in characters), and the column within it.
fn window(line: &str, col: usize) -> (String, usize) {
    let chars: Vec<char> = line.chars().collect();
    let col = col.clamp(1, chars.len() + 1);
    if chars.len() <= SNIPPET_WIDTH {
        return (line.to_string(), col);
    }
    let start = (col - 1).saturating_sub(SNIPPET_WIDTH / 2);
    let end = (start + SNIPPET_WIDTH).min(chars.len());
    let mut shown: String = chars[start..end].iter().collect();
    let mut col = col - start;
    if start > 0 {
        shown.insert(0, '…');
        col += 1;
    }
    if end < chars.len() {
        shown.push('…');
    }
    (shown, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_windowed() {
        let line = "x".repeat(300);
        let (shown, col) = window(&line, 200);
        assert!(shown.starts_with('…') && shown.ends_with('…'));
        assert_eq!(shown.chars().nth(col - 1), Some('x'));
        assert_eq!(window("ab", 9), ("ab".to_string(), 3));
    }
}
