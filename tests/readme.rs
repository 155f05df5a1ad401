//! The README's debugging walk-through runs as written: every `dtx` line between its
//! `walkthrough:begin` and `walkthrough:end` markers is run in order in a scratch directory
//! and exits as its `# exit N` comment says (0 when none); every output line the README shows
//! is in what the commands printed (up to an `…`, which stands for what is left out); and the
//! Mermaid picture under it is the one the walk-through's `--mermaid decision.mmd` draws.

use std::process::Command;

fn readme() -> String {
    std::fs::read_to_string("README.md").unwrap()
}

/// The walk-through: the README between its markers.
fn walkthrough(readme: &str) -> &str {
    let begin = readme.find("<!-- walkthrough:begin").expect("begin marker");
    let end = readme.find("<!-- walkthrough:end -->").expect("end marker");
    &readme[begin..end]
}

/// The fenced blocks of `text` with the given info string (`sh`, or "" for plain blocks).
fn blocks<'a>(text: &'a str, info: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("```") {
        let after = &rest[start + 3..];
        let line_end = after.find('\n').unwrap_or(after.len());
        let body_start = line_end + 1;
        let close = after[body_start..].find("```").expect("closed fence") + body_start;
        if after[..line_end].trim() == info {
            out.push(&after[body_start..close]);
        }
        rest = &after[close + 3..];
    }
    out
}

/// Does the printed line `p` match the README's `line`, where each `…` stands for text left
/// out? The pieces between them appear in order, the first at the start.
fn shows(line: &str, p: &str) -> bool {
    let mut pieces = line.split('…');
    let first = pieces.next().unwrap_or("");
    let Some(mut rest) = p.strip_prefix(first) else {
        return false;
    };
    for piece in pieces {
        match rest.find(piece) {
            Some(i) => rest = &rest[i + piece.len()..],
            None => return false,
        }
    }
    true
}

fn dtx(dir: &std::path::Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dtx"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn the_debugging_walkthrough_runs_as_written() {
    let readme = readme();
    let walk = walkthrough(&readme);
    let dir = tempfile::tempdir().unwrap();
    let mut printed = String::new();
    let mut ran = 0;
    for block in blocks(walk, "sh") {
        for line in block.lines().filter(|l| l.starts_with("dtx ")) {
            let (command, comment) = line.split_once('#').unwrap_or((line, ""));
            let expected: i32 = comment
                .trim()
                .strip_prefix("exit ")
                .map_or(0, |n| n.trim().parse().unwrap());
            let args: Vec<&str> = command.split_whitespace().skip(1).collect();
            let (code, out) = dtx(dir.path(), &args);
            assert_eq!(code, expected, "`{line}` exited {code}:\n{out}");
            printed.push_str(&out);
            ran += 1;
        }
    }
    assert!(ran >= 5, "the walk-through has its commands ({ran})");
    for block in blocks(walk, "") {
        for line in block
            .lines()
            .filter(|l| !l.trim().is_empty() && l.trim() != "…")
        {
            assert!(
                printed.lines().any(|p| shows(line, p)),
                "the README shows a line no command printed:\n{line}"
            );
        }
    }
    // The walk-through's own `--mermaid decision.mmd` drew it.
    let drawn = std::fs::read_to_string(dir.path().join("decision.mmd")).unwrap();
    let pictured = blocks(&readme, "mermaid");
    assert!(
        pictured.contains(&drawn.as_str()),
        "the README's picture is not what the walk-through's `--mermaid decision.mmd` draws \
         now; replace it with:\n{drawn}"
    );
}
