//! A mutation corpus of the shipped scenarios: numbers replaced by absurd values, characters
//! deleted, stray tokens inserted, field names misspelt, files cut short. Loading a mutant
//! never panics, every error it gives is placed (file:line:col or a field path), and no
//! mutant with an out-of-range number is accepted.

use crate::shipped_scenarios;
use faultline::scenario::{ScenarioError, load_with};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

/// A token of the file that is a number literal (outside strings, comments and names):
/// its byte range and the field name written before it.
struct NumberAt {
    start: usize,
    end: usize,
    field: String,
}

fn numbers(text: &str) -> Vec<NumberAt> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut field = String::new();
    let mut word = String::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i] as char;
        if c == '"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            word.clear();
            continue;
        }
        if c == '/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' {
            while i < b.len() && ((b[i] as char).is_ascii_alphanumeric() || b[i] == b'_') {
                word.push(b[i] as char);
                i += 1;
            }
            continue;
        }
        if c == ':' {
            if !word.is_empty() && b.get(i + 1) != Some(&b':') {
                field = std::mem::take(&mut word);
            }
            i += 1;
            continue;
        }
        if c.is_ascii_digit() || (c == '-' && b.get(i + 1).is_some_and(u8::is_ascii_digit)) {
            let start = i;
            i += 1;
            while i < b.len()
                && ((b[i] as char).is_ascii_digit()
                    || b[i] == b'.'
                    || b[i] == b'e'
                    || b[i] == b'_'
                    || (b[i] == b'-' && b[i - 1] == b'e'))
            {
                i += 1;
            }
            out.push(NumberAt {
                start,
                end: i,
                field: field.clone(),
            });
            word.clear();
            continue;
        }
        if !c.is_whitespace() {
            word.clear();
        }
        i += 1;
    }
    out
}

/// Where a negative number has a physical meaning: temperatures.
fn may_be_negative(field: &str) -> bool {
    field.ends_with("_c") || field == "product_bands" || field == "setpoints"
}

enum Verdict {
    Accepted,
    Placed,
    Unplaced(String),
    Panicked,
}

fn load_mutant(path: &Path, text: &str) -> Verdict {
    let result = catch_unwind(AssertUnwindSafe(|| {
        load_with(path, &mut |p: &Path| {
            if p == path {
                Ok(text.to_string())
            } else {
                std::fs::read_to_string(p)
            }
        })
    }));
    match result {
        Err(_) => Verdict::Panicked,
        Ok(Ok(_)) => Verdict::Accepted,
        Ok(Err(e)) => match &e {
            ScenarioError::Syntax { line, col, .. } if *line >= 1 && *col >= 1 => Verdict::Placed,
            ScenarioError::Invalid { problems, .. }
                if !problems.is_empty() && problems.iter().all(|p| !p.field.is_empty()) =>
            {
                Verdict::Placed
            }
            _ => Verdict::Unplaced(e.to_string()),
        },
    }
}

/// Positions spread evenly over the file, at most `n`.
fn spread<T>(items: &[T], n: usize) -> impl Iterator<Item = &T> {
    let step = items.len().div_ceil(n.max(1)).max(1);
    items.iter().step_by(step)
}

#[test]
fn mutants_of_the_shipped_scenarios_never_panic_are_placed_and_absurd_numbers_are_refused() {
    let mut total = 0;
    let mut failures = Vec::new();
    for path in shipped_scenarios() {
        let text = std::fs::read_to_string(&path).unwrap();
        let mut check = |mutant: String, what: String, must_refuse: bool| {
            total += 1;
            match load_mutant(&path, &mutant) {
                Verdict::Panicked => failures.push(format!("{}: {what}: panicked", path.display())),
                Verdict::Unplaced(e) => failures.push(format!(
                    "{}: {what}: error without a place: {e}",
                    path.display()
                )),
                Verdict::Accepted if must_refuse => {
                    failures.push(format!("{}: {what}: accepted", path.display()))
                }
                Verdict::Accepted | Verdict::Placed => {}
            }
        };
        // Numbers: absurdly large, not finite, negative.
        let nums = numbers(&text);
        for n in spread(&nums, 12) {
            for bad in ["1e20", "1e308", "NaN", "inf", "-1"] {
                let refuse = bad != "-1" || !may_be_negative(&n.field);
                let mutant = format!("{}{bad}{}", &text[..n.start], &text[n.end..]);
                check(
                    mutant,
                    format!("{} = {bad} (was {})", n.field, &text[n.start..n.end]),
                    refuse,
                );
            }
        }
        // Syntax: a character deleted, a stray token, a misspelt field, the file cut short.
        let cuts: Vec<usize> = (1..8).map(|k| text.len() * k / 8).collect();
        for &at in &cuts {
            let at = (at..text.len())
                .find(|i| text.is_char_boundary(*i))
                .unwrap_or(text.len());
            let next = text[at..].chars().next().map_or(0, char::len_utf8);
            check(
                format!("{}{}", &text[..at], &text[at + next..]),
                format!("byte {at} deleted"),
                false,
            );
            check(
                format!("{}),{}", &text[..at], &text[at..]),
                format!("`),` at {at}"),
                false,
            );
            check(text[..at].to_string(), format!("cut at {at}"), false);
        }
        for n in spread(&nums, 4) {
            if let Some(colon) = text[..n.start].rfind(':') {
                let name_start = text[..colon]
                    .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .map_or(0, |i| i + 1);
                if name_start < colon {
                    let mutant = format!("{}x{}", &text[..colon], &text[colon..]);
                    check(mutant, format!("field {}x", &text[name_start..colon]), true);
                }
            }
        }
    }
    eprintln!("{total} mutants loaded");
    assert!(total >= 300, "only {total} mutants");
    assert!(
        failures.is_empty(),
        "{} of {total} mutants failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_number_scanner_finds_numbers_with_their_field() {
    let text = "(a: 1.5, b: \"10.0.0.1\", // c: 3\n d: Fixed(-2e3), plc1: [4])";
    let found: Vec<(String, &str)> = numbers(text)
        .iter()
        .map(|n| (n.field.clone(), &text[n.start..n.end]))
        .collect();
    assert_eq!(
        found,
        [
            ("a".to_string(), "1.5"),
            ("d".to_string(), "-2e3"),
            ("plc1".to_string(), "4")
        ]
    );
}
