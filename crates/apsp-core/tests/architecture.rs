//! The layout of `docs/architecture.md`, checked against the code: the top-level modules
//! of the engine form layers in the order the data flows, and a module only imports
//! modules of earlier layers (no cycle); no function of the engine is a module waiting
//! to be written (longer than 150 lines).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The engine's top-level modules, in the order the data flows: each may use only the
/// ones before it.
const LAYERS: &[&str] = &[
    "error", "pseudo", "ingest", "link", "sign", "matrix", "place", "signals", "score", "output",
    "explain", "report", "validate",
];

const LONGEST_FUNCTION: usize = 150;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The top-level module a source file belongs to (`src/link/billing.rs` → `link`).
fn module_of(file: &Path) -> String {
    let rel = file.strip_prefix(src()).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// A line of code without its comment and the contents of its string and character
/// literals (so `"{"` and `// crate::x` count for nothing).
fn code(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars().peekable();
    let mut in_str = false;
    while let Some(c) = chars.next() {
        if in_str {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => {
                    in_str = false;
                    out.push('"');
                }
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_str = true;
                out.push('"');
            }
            '/' if chars.peek() == Some(&'/') => break,
            // A character literal ('{'); a lifetime ('a) has no closing quote after one char.
            '\'' => {
                let mut ahead = chars.clone();
                let first = ahead.next();
                let (skip, literal) = match (first, ahead.next(), ahead.next()) {
                    (Some('\\'), Some(_), Some('\'')) => (3, true),
                    (Some(_), Some('\''), _) => (2, true),
                    _ => (0, false),
                };
                for _ in 0..skip {
                    chars.next();
                }
                out.push_str(if literal { "''" } else { "'" });
            }
            _ => out.push(c),
        }
    }
    out
}

#[test]
fn modules_only_use_earlier_layers() {
    let lib = std::fs::read_to_string(src().join("lib.rs")).unwrap();
    for line in lib.lines() {
        if let Some(m) = line.strip_prefix("pub mod ").or(line.strip_prefix("mod ")) {
            let m = m.trim_end_matches(';');
            assert!(
                LAYERS.contains(&m),
                "module {m} is in no layer: place it in LAYERS and docs/architecture.md"
            );
        }
    }
    let layer = |m: &str| LAYERS.iter().position(|x| *x == m);
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut wrong: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in &files {
        let from = module_of(f);
        let Some(from_layer) = layer(&from) else {
            continue; // lib.rs
        };
        let text = std::fs::read_to_string(f).unwrap();
        for (n, line) in text.lines().enumerate() {
            let line = code(line);
            for (i, _) in line.match_indices("crate::") {
                let name: String = line[i + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                // Items of the crate root (`crate::VERSION`) are no module.
                if name == from || !name.starts_with(|c: char| c.is_ascii_lowercase()) {
                    continue;
                }
                match layer(&name) {
                    Some(l) if l < from_layer => {}
                    _ => wrong.entry(from.clone()).or_default().push(format!(
                        "{}:{} uses crate::{name}",
                        f.strip_prefix(src()).unwrap().display(),
                        n + 1
                    )),
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the data flow: {wrong:#?}"
    );
}

/// A function's length in lines, from its `fn` line to its closing brace.
fn function_lengths(text: &str) -> Vec<(usize, usize)> {
    let lines: Vec<String> = text.lines().map(code).collect();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim_start();
        let is_fn = [
            "fn ",
            "pub fn ",
            "pub(crate) fn ",
            "pub(super) fn ",
            "const fn ",
        ]
        .iter()
        .any(|p| t.starts_with(p));
        if !is_fn {
            continue;
        }
        let mut depth = 0i64;
        let mut started = false;
        for (j, l) in lines.iter().enumerate().skip(i) {
            for c in l.chars() {
                match c {
                    '{' => {
                        depth += 1;
                        started = true;
                    }
                    '}' => depth -= 1,
                    _ => {}
                }
            }
            if started && depth == 0 {
                out.push((i + 1, j - i + 1));
                break;
            }
            if !started && l.trim_end().ends_with(';') {
                break; // a declaration without a body
            }
        }
    }
    out
}

#[test]
fn no_function_is_a_module_waiting_to_be_written() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut long = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for (line, len) in function_lengths(&text) {
            if len > LONGEST_FUNCTION {
                long.push(format!(
                    "{}:{line}: {len} lines",
                    f.strip_prefix(src()).unwrap().display()
                ));
            }
        }
    }
    assert!(
        long.is_empty(),
        "functions longer than {LONGEST_FUNCTION} lines: {long:#?}"
    );
}

#[test]
fn the_checks_see_what_they_should() {
    // A comment or a string naming a module is no import; braces in strings and
    // character literals do not count.
    assert_eq!(
        code(r#"let x = "crate::score {"; // crate::score"#).trim_end(),
        r#"let x = "";"#
    );
    assert_eq!(code("let c = '{';"), "let c = '';");
    let text = "fn a() {\n    let s = \"}\";\n    x();\n}\nfn b<'a>(x: &'a str) {\n}\n";
    assert_eq!(function_lengths(text), vec![(1, 4), (5, 2)]);
}
