//! The facilitator's terminal prompt: the situation as each side sees it, the options,
//! and the table's choice with the seconds it took (an adapter: stdin and the wall clock).

use std::time::Instant;

/// The facilitator's prompt: the situation as each side sees it, the options, the choice.
pub struct Prompt;

impl super::Chooser for Prompt {
    fn choose(
        &mut self,
        ex: &super::Loaded,
        inject: usize,
        d: &super::Decision,
        sit: &super::Situation,
    ) -> Result<(String, f64), super::PlayError> {
        use std::io::{BufRead, Write};
        let j = &ex.exercise.injects[inject];
        println!("\n== {} — {} ({:?})", sit.at, j.title, j.kind);
        println!("{}", j.text);
        println!("-- OT sees");
        for (k, v) in &sit.ot {
            println!("   {k:<20} {v}");
        }
        println!("-- IT sees");
        for (k, v) in &sit.it {
            println!("   {k:<20} {v}");
        }
        for q in &j.questions {
            println!("   ? [{:?}] {}", q.side, q.text);
        }
        println!("-- {} decides: {}", d.asked, d.prompt);
        for (n, o) in d.options.iter().enumerate() {
            let mark = if o.key == d.default { " (default)" } else { "" };
            println!("   {}. {:<12} {}{mark}", n + 1, o.key, o.label);
        }
        let started = Instant::now();
        let stdin = std::io::stdin();
        loop {
            print!("choice [number or key, Enter = default]: ");
            let _ = std::io::stdout().flush();
            let mut line = String::new();
            if stdin
                .lock()
                .read_line(&mut line)
                .map_err(|e| super::PlayError::Prompt(e.to_string()))?
                == 0
            {
                return Err(super::PlayError::Prompt(
                    "closed before a choice was made".into(),
                ));
            }
            let line = line.trim();
            let key = if line.is_empty() {
                Some(d.default.clone())
            } else if let Ok(n) = line.parse::<usize>() {
                d.options.get(n.wrapping_sub(1)).map(|o| o.key.clone())
            } else {
                d.options
                    .iter()
                    .find(|o| o.key == line)
                    .map(|o| o.key.clone())
            };
            match key {
                Some(k) => return Ok((k, (started.elapsed().as_secs_f64() * 10.0).round() / 10.0)),
                None => println!("no option \"{line}\""),
            }
        }
    }
}
