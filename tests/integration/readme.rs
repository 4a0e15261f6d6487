//! The README checks itself: every block of output it shows and every figure it quotes
//! comes from a command named beside it, run here, so the README cannot drift from what the
//! command prints. Two markers, each an HTML comment (invisible when rendered):
//!
//! - `<!-- output of: faultline ARGS -->` right before a fenced block: every line of the
//!   block but `…` is a line the command prints (stdout, then stderr), in the same order,
//!   trailing spaces aside.
//! - `<!-- figures of: faultline ARGS -->` right before a paragraph: every code span in the
//!   paragraph that is a figure (it starts with a digit, or with `-`, `$` or `[` before a
//!   digit) is printed by the command verbatim.
//!
//! Speeds, which no run can check, are stated in the README with the command that measures
//! them and the machine they were measured on.

use super::cli;

#[derive(Debug)]
struct Check {
    line: usize,
    kind: Kind,
    args: Vec<String>,
    /// The block's lines, or the paragraph's figures.
    expected: Vec<String>,
}

#[derive(Debug, PartialEq)]
enum Kind {
    Output,
    Figures,
}

/// Whether a code span is a figure to check (not a flag, a file or a name).
fn is_figure(span: &str) -> bool {
    let mut c = span.chars();
    match c.next() {
        Some(d) if d.is_ascii_digit() => true,
        Some('-' | '$') => c.next().is_some_and(|d| d.is_ascii_digit()),
        Some('[') => c.next().is_some_and(|d| d.is_ascii_digit() || d == '-'),
        _ => false,
    }
}

fn code_spans(text: &str) -> Vec<String> {
    text.split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, s)| s.to_string())
        .collect()
}

fn checks(readme: &str) -> Vec<Check> {
    let lines: Vec<&str> = readme.lines().collect();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let l = l.trim();
        let (kind, rest) = if let Some(r) = l.strip_prefix("<!-- output of: ") {
            (Kind::Output, r)
        } else if let Some(r) = l.strip_prefix("<!-- figures of: ") {
            (Kind::Figures, r)
        } else {
            continue;
        };
        let cmd = rest
            .strip_suffix("-->")
            .unwrap_or_else(|| panic!("README.md:{}: the marker does not end with -->", i + 1))
            .trim();
        let mut words = cmd.split_whitespace().map(String::from);
        assert_eq!(
            words.next().as_deref(),
            Some("faultline"),
            "README.md:{}: a checked command runs faultline",
            i + 1
        );
        let args: Vec<String> = words.collect();
        let body = &lines[i + 1..];
        let expected: Vec<String> = match kind {
            Kind::Output => {
                assert!(
                    body.first()
                        .is_some_and(|f| f.trim_start().starts_with("```")),
                    "README.md:{}: an output marker stands right before a fenced block",
                    i + 1
                );
                body[1..]
                    .iter()
                    .take_while(|b| !b.trim_start().starts_with("```"))
                    .map(|b| b.trim_end().to_string())
                    .filter(|b| b.trim() != "…")
                    .collect()
            }
            Kind::Figures => {
                let para: Vec<&str> = body
                    .iter()
                    .take_while(|b| !b.trim().is_empty())
                    .copied()
                    .collect();
                code_spans(&para.join(" "))
                    .into_iter()
                    .filter(|s| is_figure(s))
                    .collect()
            }
        };
        assert!(
            !expected.is_empty(),
            "README.md:{}: the marker checks nothing",
            i + 1
        );
        out.push(Check {
            line: i + 1,
            kind,
            args,
            expected,
        });
    }
    out
}

/// What is wrong with the README's lines against the command's output, if anything.
fn drift(check: &Check, printed: &str) -> Vec<String> {
    let printed: Vec<&str> = printed.lines().map(str::trim_end).collect();
    match check.kind {
        Kind::Output => {
            let mut at = 0;
            let mut wrong = Vec::new();
            for want in &check.expected {
                match printed[at..].iter().position(|p| p == want) {
                    Some(k) => at += k + 1,
                    None => wrong.push(format!("shown but not printed (in this order): {want}")),
                }
            }
            wrong
        }
        Kind::Figures => {
            let all = printed.join("\n");
            check
                .expected
                .iter()
                .filter(|f| !all.contains(f.as_str()))
                .map(|f| format!("figure not printed: `{f}`"))
                .collect()
        }
    }
}

#[test]
fn the_readme_shows_what_its_commands_print() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let checks = checks(&readme);
    // The report example, the loss tree, a placed error, impact and the year.
    assert!(checks.len() >= 5, "{} checked places", checks.len());
    let dir = std::env::temp_dir().join(format!("faultline-readme-{}", std::process::id()));
    let mut problems = Vec::new();
    for c in &checks {
        let mut args: Vec<&str> = c.args.iter().map(String::as_str).collect();
        // A sweep writes its files; where to is not the README's business.
        let out = dir.join(format!("line-{}", c.line));
        let out = out.to_string_lossy().into_owned();
        if args.first() == Some(&"sweep") && !args.contains(&"--out") {
            args.extend(["--out", &out]);
        }
        let (_, stdout, stderr) = cli(&args);
        for d in drift(c, &format!("{stdout}{stderr}")) {
            problems.push(format!(
                "README.md:{}: faultline {}: {d}",
                c.line,
                c.args.join(" ")
            ));
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    assert!(
        problems.is_empty(),
        "the README drifted from its commands:\n{}",
        problems.join("\n")
    );
}

#[test]
fn a_drifted_figure_or_line_is_found() {
    // The check itself can fail: a changed figure, a missing line, lines out of order.
    let readme = "intro\n<!-- figures of: faultline run x.ron -->\nIt costs `704 [301, 1108]` units, \
                  with `--seed 8` and `$11,969`.\n\n<!-- output of: faultline run x.ron -->\n```\n\
                  line one\n…\nline two   \n```\n";
    let c = checks(readme);
    assert_eq!(c.len(), 2);
    assert_eq!(c[0].expected, ["704 [301, 1108]", "$11,969"]);
    assert_eq!(c[1].expected, ["line one", "line two"]);
    assert!(drift(&c[0], "cost 704 [301, 1108] and $11,969\n").is_empty());
    assert_eq!(drift(&c[0], "cost 704 [301, 1108] and $11,970\n").len(), 1);
    assert!(drift(&c[1], "line one\nother\nline two\n").is_empty());
    assert_eq!(drift(&c[1], "line two\nline one\n").len(), 1);
    assert_eq!(drift(&c[1], "line one\n").len(), 1);
}

#[test]
fn the_readme_names_the_toggles_and_exit_codes_the_program_has() {
    // Said once in the program (the controls' one list, the exit-code table in the CLI);
    // the README repeats them, so a test holds the two equal.
    let readme = std::fs::read_to_string("README.md").unwrap();
    let readme = readme.split_whitespace().collect::<Vec<_>>().join(" ");
    let listed = faultline::sweep::toggles()
        .iter()
        .map(|t| format!("`{t}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let said = format!("builds every combination of the named controls on and off ({listed})");
    assert!(readme.contains(&said), "the README should say {said}");
    let (_, help, _) = cli(&["sweep", "--help"]);
    assert!(
        help.contains(&faultline::sweep::toggles().join(", ")),
        "sweep --help lists the toggles: {help}"
    );
    // Every exit code the README's table gives is one the program uses, and back.
    let cli_src = std::fs::read_to_string("sim/cli/mod.rs").unwrap();
    for (code, words) in [
        (2, "2 usage"),
        (65, "65 invalid input"),
        (66, "66 unreadable input"),
        (69, "69 unavailable"),
        (74, "74 output error"),
    ] {
        assert!(readme.contains(words), "the README's exit codes: {words}");
        assert!(
            cli_src.contains(&format!(": u8 = {code};"))
                || cli_src.contains(&format!("ExitCode::from({code})")),
            "the CLI has no exit code {code}"
        );
    }
}

#[test]
fn the_readmes_defaults_are_the_programs() {
    // Figures the README repeats from the program's defaults, read from the program.
    let readme = std::fs::read_to_string("README.md").unwrap();
    let readme = readme.split_whitespace().collect::<Vec<_>>().join(" ");
    let money = |v: f64| {
        let v = v as u64;
        if v >= 1000 {
            format!("{},{:03}", v / 1000, v % 1000)
        } else {
            v.to_string()
        }
    };
    let f = faultline::scenario::IncidentFees::DEFAULT;
    let said = format!(
        "the assumed defaults {} / {} / {} / {}",
        money(f.succeeded_with_effect.mean()),
        money(f.succeeded_without_effect.mean()),
        money(f.detected.mean()),
        money(f.blocked.mean())
    );
    assert!(readme.contains(&said), "the README should say {said}");
    let p = faultline::scenario::ProfileSpec::modern();
    let said = format!(
        "an idle and a half-frame timeout ({} s and {} s simulated by default",
        p.idle_timeout_s, p.frame_timeout_s
    );
    assert!(readme.contains(&said), "the README should say {said}");
    assert_eq!(
        p.frame_timeout_s,
        faultline::scenario::ProfileSpec::legacy().frame_timeout_s
    );
    // The floors of fast sessions.
    let said = format!(
        "down to {} s and {} ms of wall time",
        faultline::live::IDLE_FLOOR.as_secs(),
        faultline::live::FRAME_FLOOR.as_millis()
    );
    assert!(readme.contains(&said), "the README should say {said}");
}
