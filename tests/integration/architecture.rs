//! The core crate cannot reach the outside: no async runtime, window, thread pool, CLI,
//! progress bar or chart crate in its manifest, and no file, socket or tokio use in its
//! sources. (docs/architecture.md)

use std::path::{Path, PathBuf};

const FORBIDDEN_CRATES: [&str; 6] = ["tokio", "bevy", "rayon", "clap", "indicatif", "plotters"];

fn core_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sim/core")
}

/// Every `.rs` file under `dir`.
pub(crate) fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn the_core_manifest_has_no_adapter_crates() {
    let manifest = std::fs::read_to_string(core_dir().join("Cargo.toml")).unwrap();
    let deps = manifest
        .split("[dependencies]")
        .nth(1)
        .expect("the core has a [dependencies] table");
    for line in deps.lines().take_while(|l| !l.starts_with('[')) {
        let name = line.split('=').next().unwrap_or("").trim();
        assert!(
            !FORBIDDEN_CRATES.contains(&name),
            "sim/core/Cargo.toml depends on {name}: the core must stay sans-IO"
        );
    }
}

/// A source with its comments and string literals blanked out (kept the same length, line
/// breaks kept), so that a path in a doc comment or a message is not taken for code.
fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    let blank = |c: u8| if c == b'\n' { b'\n' } else { b' ' };
    while i < b.len() {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                out.push(b' ');
                i += 1;
            }
        } else if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                out.push(blank(b[i]));
                i += 1;
            }
            out.extend([b' ', b' ']);
            i += 2;
        } else if b[i] == b'r'
            && (b.get(i + 1) == Some(&b'"') || b.get(i + 1) == Some(&b'#'))
            && (i == 0 || !(b[i - 1] as char).is_alphanumeric())
        {
            // A raw string: r"…" or r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&b'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&b'"') {
                out.push(b[i]);
                i += 1;
                continue;
            }
            let close: Vec<u8> = std::iter::once(b'"')
                .chain(std::iter::repeat_n(b'#', hashes))
                .collect();
            out.extend(std::iter::repeat_n(b' ', j + 1 - i));
            i = j + 1;
            while i < b.len() && !b[i..].starts_with(&close) {
                out.push(blank(b[i]));
                i += 1;
            }
            out.extend(std::iter::repeat_n(b' ', close.len()));
            i += close.len();
        } else if b[i] == b'"' {
            out.push(b' ');
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    out.push(b' ');
                    i += 1;
                }
                if i < b.len() {
                    out.push(blank(b[i]));
                    i += 1;
                }
            }
            out.push(b' ');
            i += 1;
        } else if b[i] == b'\'' && b.get(i + 2) == Some(&b'\'') {
            // A char literal such as '"' (a lifetime has no closing quote there).
            out.extend([b' ', b' ', b' ']);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Every `std::…` path a source names, with `use std::{a, b::{c, d}}` groups spread out
/// into `std::a`, `std::b::c`, `std::b::d`.
fn std_paths(code: &str) -> Vec<String> {
    fn group(s: &[u8], mut i: usize, prefix: &str, out: &mut Vec<String>) -> usize {
        // At the start of a path segment list after `prefix::`.
        let mut path = prefix.to_string();
        loop {
            while i < s.len() && (s[i] as char).is_whitespace() {
                i += 1;
            }
            if i >= s.len() {
                return i;
            }
            if s[i] == b'{' {
                i += 1;
                loop {
                    i = group(s, i, &path, out);
                    while i < s.len() && (s[i] as char).is_whitespace() {
                        i += 1;
                    }
                    match s.get(i) {
                        Some(b',') => i += 1,
                        Some(b'}') => return i + 1,
                        _ => return i,
                    }
                    while i < s.len() && (s[i] as char).is_whitespace() {
                        i += 1;
                    }
                    if s.get(i) == Some(&b'}') {
                        return i + 1;
                    }
                }
            }
            let start = i;
            while i < s.len() && ((s[i] as char).is_alphanumeric() || s[i] == b'_' || s[i] == b'*')
            {
                i += 1;
            }
            if i == start {
                out.push(path);
                return i;
            }
            path = format!("{path}::{}", std::str::from_utf8(&s[start..i]).unwrap());
            let mut j = i;
            while j < s.len() && (s[j] as char).is_whitespace() {
                j += 1;
            }
            if s[j..].starts_with(b"::") {
                i = j + 2;
            } else {
                out.push(path);
                return i;
            }
        }
    }
    let s = code.as_bytes();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(k) = code[from..].find("std") {
        let at = from + k;
        from = at + 3;
        let before = if at == 0 { b' ' } else { s[at - 1] };
        if (before as char).is_alphanumeric() || before == b'_' {
            continue;
        }
        let mut j = at + 3;
        while j < s.len() && (s[j] as char).is_whitespace() {
            j += 1;
        }
        if s[j..].starts_with(b"::") {
            group(s, j + 2, "std", &mut out);
        } else if s[j..].starts_with(b"as ") {
            out.push("std as (an alias)".into());
        }
    }
    out
}

/// What the core may not use: files, sockets, threads, processes, the environment, the
/// clock and the terminal (std::io's traits and error types are allowed: `Sources` returns
/// them), nor the async runtime or libc.
fn io_in(code: &str) -> Vec<String> {
    const PATHS: [&str; 13] = [
        "std::fs",
        "std::net",
        "std::env",
        "std::process",
        "std::thread",
        "std::os",
        "std::time::SystemTime",
        "std::time::Instant",
        "std::io::stdin",
        "std::io::stdout",
        "std::io::stderr",
        "std::io::Stdin",
        "std::io::Stdout",
    ];
    let mut found: Vec<String> = std_paths(code)
        .into_iter()
        .filter(|p| {
            p.starts_with("std as")
                || PATHS
                    .iter()
                    .any(|bad| p == bad || p.starts_with(&format!("{bad}::")))
                || p == "std::io::Stderr"
                || p == "std::time::*"
                || p == "std::io::*"
        })
        .collect();
    for word in [
        "tokio",
        "libc",
        "println!",
        "print!",
        "eprintln!",
        "eprint!",
        "dbg!",
        "option_env!",
    ] {
        for (k, _) in code.match_indices(word) {
            let before = if k == 0 {
                ' '
            } else {
                code[..k].chars().next_back().unwrap()
            };
            if !before.is_alphanumeric() && before != '_' {
                found.push(word.to_string());
            }
        }
    }
    // env! is the compile-time environment: only the crate's own version may be read.
    for (k, _) in code.match_indices("env!(") {
        let before = if k == 0 {
            ' '
        } else {
            code[..k].chars().next_back().unwrap()
        };
        if !before.is_alphanumeric() && before != '_' {
            found.push("env!".into());
        }
    }
    found
}

#[test]
fn the_io_finder_catches_every_form_it_is_meant_to() {
    let caught = [
        "use std::fs;",
        "use std::{fs, collections::BTreeMap};",
        "use std::{collections::BTreeMap, io::{self, stdin}};",
        "let x = std::env::var(\"HOME\");",
        "std :: process :: Command::new(\"ls\")",
        "use std::time::{Duration, Instant};",
        "use std::time::SystemTime;",
        "std::thread::spawn(|| ());",
        "use std::net::TcpStream;",
        "use std::os::fd::AsRawFd;",
        "println!(\"x\");",
        "eprintln!(\"x\");",
        "dbg!(x);",
        "use std as s;",
        "tokio::spawn(f);",
        "let _ = option_env!(\"X\");",
        "std::io::stdout().flush()",
    ];
    for c in caught {
        assert!(!io_in(&code_only(c)).is_empty(), "not caught: {c}");
    }
    let allowed = [
        "use std::collections::BTreeMap;",
        "use std::io::Result;",
        "fn read(&mut self, p: &Path) -> std::io::Result<String>;",
        "use std::{fmt, mem};",
        "let s = \"std::fs is forbidden\"; // std::env too",
        "/* std::process */ let x = 1;",
        "let v = env!(\"CARGO_PKG_VERSION\");",
        "let r = r#\"std::fs\"#;",
    ];
    for c in allowed {
        let found: Vec<String> = io_in(&code_only(c))
            .into_iter()
            .filter(|f| f != "env!" || !c.contains("CARGO_PKG_VERSION"))
            .collect();
        assert!(found.is_empty(), "taken for I/O: {c}: {found:?}");
    }
}

#[test]
fn the_core_sources_do_no_io() {
    let mut files = Vec::new();
    sources(&core_dir(), &mut files);
    assert!(files.len() > 10, "the core's sources were not found");
    let mut found = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let code = code_only(&text);
        for bad in io_in(&code) {
            // The crate's own version (Report Server ID's answer) is the one env! allowed.
            if bad == "env!"
                && code.matches("env!(").count()
                    == text.matches("env!(\"CARGO_PKG_VERSION\")").count()
            {
                continue;
            }
            found.push(format!("{}: {bad}", f.display()));
        }
    }
    assert!(found.is_empty(), "I/O in the core:\n{}", found.join("\n"));
}

/// The core's modules (top level: `sim/core/NAME.rs` or `sim/core/NAME/`) and the other core
/// modules each one names (`crate::other`).
fn core_graph() -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let mut files = Vec::new();
    sources(&core_dir(), &mut files);
    let mut graph: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
        Default::default();
    for f in files {
        let rel = f.strip_prefix(core_dir()).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_string();
        if module == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        let deps = graph.entry(module.clone()).or_default();
        for (i, _) in text.match_indices("crate::") {
            let name: String = text[i + 7..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() && name != module {
                deps.insert(name);
            }
        }
    }
    graph
}

#[test]
fn no_import_cycle_between_the_cores_modules_and_no_part_names_the_world() {
    let graph = core_graph();
    assert!(graph.len() > 10, "{graph:?}");
    // Only the World's own files and the read models (the report model, the viewer's
    // snapshot) may name the World.
    for (m, deps) in &graph {
        if deps.contains("world") {
            assert!(
                ["summary", "view"].contains(&m.as_str()),
                "the part `{m}` names the World"
            );
        }
    }
    // Depth-first search for a cycle.
    fn visit(
        m: &str,
        graph: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut std::collections::BTreeSet<String>,
    ) {
        if done.contains(m) {
            return;
        }
        if let Some(at) = path.iter().position(|p| p == m) {
            panic!("import cycle: {} → {m}", path[at..].join(" → "));
        }
        path.push(m.to_string());
        for d in graph.get(m).into_iter().flatten() {
            visit(d, graph, path, done);
        }
        path.pop();
        done.insert(m.to_string());
    }
    let mut done = Default::default();
    for m in graph.keys() {
        visit(m, &graph, &mut Vec::new(), &mut done);
    }
}

#[test]
fn the_ports_are_named_once() {
    // 502 and 802 live in `modbus::PORT` and `tls::PORT`, VNC's 5900 and SMB's 445 in
    // `ports::VNC` and `ports::SMB`; code elsewhere names them (tests and comments may
    // write the number).
    let mut files = Vec::new();
    sources(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("sim"),
        &mut files,
    );
    let mut found = Vec::new();
    for f in files {
        let name = f.display().to_string();
        if name.ends_with("tests.rs") || name.contains("/tests/") {
            continue;
        }
        let code = code_only(&std::fs::read_to_string(&f).unwrap());
        let code = code.split("#[cfg(test)]").next().unwrap_or_default();
        for (k, line) in code.lines().enumerate() {
            let words: Vec<&str> = line
                .split(|c: char| !c.is_ascii_alphanumeric() && c != '_' && c != '.')
                .collect();
            for port in ["502", "802", "5900", "445"] {
                // The role extension's OID has an arc 802 of its own: not a port.
                let exempt = (line.contains("pub const") && line.contains(": u16 ="))
                    || line.contains("ROLE_OID");
                if words.contains(&port) && !exempt {
                    found.push(format!("{name}:{}: {}", k + 1, line.trim()));
                }
            }
        }
    }
    assert!(found.is_empty(), "port literals:\n{}", found.join("\n"));
}

#[test]
fn no_source_file_is_over_700_lines() {
    // The house rule (docs/architecture.md): a file over 700 lines is split by what its
    // parts own before it grows further.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["sim", "tests", "benches"] {
        sources(&root.join(dir), &mut files);
    }
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let n = std::fs::read_to_string(f).ok()?.lines().count();
            (n > 700).then(|| format!("{} ({n} lines)", f.display()))
        })
        .collect();
    assert!(long.is_empty(), "over 700 lines: {long:?}");
}

/// The functions of a rustfmt-formatted source that are longer than `limit` lines, as
/// (line, name, lines): a function runs from its `fn` line to the closing brace at the
/// same indentation. A file's `#[cfg(test)] mod tests` and what follows is not counted.
fn long_functions(text: &str, limit: usize) -> Vec<(usize, String, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim_start();
        if t.starts_with("#[cfg(test)]")
            && lines
                .get(i + 1)
                .is_some_and(|n| n.trim_start().starts_with("mod tests"))
        {
            break;
        }
        let indent = &l[..l.len() - t.len()];
        // Any visibility: `pub`, `pub(crate)`, `pub(in crate::world)`, …
        let head = match t.strip_prefix("pub(") {
            Some(r) => r.split_once(") ").map_or(t, |(_, r)| r),
            None => t.trim_start_matches("pub "),
        };
        let head = head
            .trim_start_matches("const ")
            .trim_start_matches("async ")
            .trim_start_matches("unsafe ");
        let Some(rest) = head.strip_prefix("fn ") else {
            continue;
        };
        if t.ends_with(';') || t.ends_with('}') {
            // A declaration, or a function on one line.
            continue;
        }
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let close = format!("{indent}}}");
        // Its closing brace, before anything less indented (the end of what holds it).
        let Some(end) = lines[i + 1..]
            .iter()
            .take_while(|x| x.is_empty() || x.len() - x.trim_start().len() >= indent.len())
            .position(|x| *x == close)
        else {
            continue;
        };
        let n = end + 2;
        if n > limit {
            out.push((i + 1, name, n));
        }
    }
    out
}

#[test]
fn the_function_finder_measures_from_fn_to_its_closing_brace() {
    let body = |n: usize| "        x += 1;\n".repeat(n);
    let text = format!(
        "impl A {{\n    pub(in crate::a) fn long(&self) {{\n{}    }}\n\n    fn short() {{}}\n}}\n\nfn top() -> u8 {{\n{}}}\n\n#[cfg(test)]\nmod tests {{\n    fn in_tests() {{\n{}    }}\n}}\n",
        body(119),
        body(10),
        body(500)
    );
    // 119 lines of body + the `fn` line + the closing brace.
    assert_eq!(
        long_functions(&text, 120),
        vec![(2, "long".to_string(), 121)]
    );
    assert!(long_functions(&text, 121).is_empty());
}

#[test]
fn no_function_outside_tests_is_over_120_lines() {
    // The house rule (docs/architecture.md): a function over 120 lines is split into the
    // steps it takes, each named.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    sources(&root.join("sim"), &mut files);
    let mut long = Vec::new();
    for f in files {
        let is_test_file = f.file_name().is_some_and(|n| n == "tests.rs")
            || f.components().any(|c| c.as_os_str() == "tests");
        if is_test_file {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        for (line, name, n) in long_functions(&text, 120) {
            long.push(format!("{}:{line} {name} ({n} lines)", f.display()));
        }
    }
    assert!(
        long.is_empty(),
        "functions over 120 lines:\n{}",
        long.join("\n")
    );
}
