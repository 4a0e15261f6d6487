//! `faultline schema`: the scenario reference (one section, all of it, or a JSON Schema).

use super::Failure;
use faultline::reference;

#[derive(clap::Args)]
pub struct Args {
    /// A section: a top-level field (`dpi`), a type (`DpiSpec`) or a file format
    /// (`scenario`, `overlay`, `variants`, `exercise`, `actors`). Without it: the whole reference.
    section: Option<String>,
    /// Print the file format's JSON Schema (`scenario` unless SECTION names another).
    #[arg(long)]
    json: bool,
    /// Print the whole reference as markdown (docs/scenario-reference.md).
    #[arg(long, conflicts_with = "json")]
    markdown: bool,
}

pub fn run(a: Args) -> Result<(), Failure> {
    if a.json {
        let key = a.section.as_deref().unwrap_or("scenario");
        return match reference::json(key) {
            Some(text) => {
                print!("{text}");
                Ok(())
            }
            None => Err(Failure::Usage(format!(
                "no file format \"{key}\" (one of scenario, overlay, variants, exercise, actors)"
            ))),
        };
    }
    match a.section.filter(|_| !a.markdown) {
        None => {
            print!("{}", reference::markdown());
            Ok(())
        }
        Some(name) => match reference::section(&name) {
            Some(text) => {
                print!("{text}");
                Ok(())
            }
            None => Err(Failure::Usage(format!(
                "no section \"{name}\"; sections: {}, or a type name as the reference shows it",
                reference::section_names().join(", ")
            ))),
        },
    }
}
