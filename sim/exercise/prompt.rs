//! The facilitator's terminal prompt: the situation as each side sees it, the options,
//! and the table's choice with the seconds it took (an adapter: stdin and the wall clock).

use std::time::Instant;

/// The facilitator's prompt: the situation as each side sees it, the options, the choice.
/// With a side, only that side's screen and questions are shown (one screen per side of
/// the room: run one prompt per side).
#[derive(Default)]
pub struct Prompt {
    pub side: Option<super::Side>,
}

/// The inject as the table hears it: who it is for, its text, each side's screen, the
/// questions.
fn show(ex: &super::Loaded, inject: usize, sit: &super::Situation, side: Option<super::Side>) {
    use super::Side;
    let shows = |s: Side| side.is_none_or(|only| only == s || s == Side::All);
    let j = &ex.exercise.injects[inject];
    println!(
        "\n== inject {} of {} · {} — {} ({:?})",
        inject + 1,
        ex.exercise.injects.len(),
        sit.at,
        j.title,
        j.kind
    );
    println!(
        "-- for {}",
        if j.to.is_empty() {
            "the whole table".to_string()
        } else {
            j.to.join(", ")
        }
    );
    println!("{}", sit.text);
    if shows(Side::OT) {
        println!("-- OT sees");
        for (k, v) in &sit.ot {
            println!("   {k:<20} {v}");
        }
    }
    if shows(Side::IT) {
        println!("-- IT sees");
        for (k, v) in &sit.it {
            println!("   {k:<20} {v}");
        }
    }
    for q in j.questions.iter().filter(|q| shows(q.side)) {
        println!("   ? [{:?}] {}", q.side, q.text);
    }
}

fn read_line() -> Result<String, super::PlayError> {
    use std::io::BufRead;
    let mut line = String::new();
    if std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| super::PlayError::Prompt(e.to_string()))?
        == 0
    {
        return Err(super::PlayError::Prompt(
            "closed before the table was done".into(),
        ));
    }
    Ok(line.trim().to_string())
}

fn seconds(since: Instant) -> f64 {
    (since.elapsed().as_secs_f64() * 10.0).round() / 10.0
}

impl super::Chooser for Prompt {
    fn discuss(
        &mut self,
        ex: &super::Loaded,
        inject: usize,
        sit: &super::Situation,
    ) -> Result<f64, super::PlayError> {
        use std::io::Write;
        show(ex, inject, sit, self.side);
        let started = Instant::now();
        print!("discussion — Enter when the table is ready to go on: ");
        let _ = std::io::stdout().flush();
        read_line()?;
        Ok(seconds(started))
    }

    fn choose(
        &mut self,
        ex: &super::Loaded,
        inject: usize,
        d: &super::Decision,
        sit: &super::Situation,
    ) -> Result<(String, f64), super::PlayError> {
        use std::io::Write;
        show(ex, inject, sit, self.side);
        println!("-- {} decides: {}", d.asked, d.prompt);
        for (n, o) in d.options.iter().enumerate() {
            let mark = if o.key == d.default { " (default)" } else { "" };
            println!("   {}. {:<12} {}{mark}", n + 1, o.key, o.label);
        }
        let started = Instant::now();
        loop {
            print!("choice [number or key, Enter = default]: ");
            let _ = std::io::stdout().flush();
            let line = read_line()?;
            let line = line.as_str();
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
                Some(k) => return Ok((k, seconds(started))),
                None => println!("no option \"{line}\""),
            }
        }
    }
}
