//! A sweep's files: the rows of runs.csv, the partial result of a shard, summary.json.

use super::*;

/// The header of runs.csv.
pub fn csv_header() -> String {
    let names: Vec<&str> = METRICS.iter().map(|d| d.name).collect();
    format!("variant,seed,{}\n", names.join(","))
}

/// One runs.csv row. Figures are written in Rust's shortest round-trip form (so a merge
/// reads back the very same numbers); a metric without a value is left empty.
pub fn csv_row(variant: &str, r: &RunRecord) -> String {
    let mut out = format!("{variant},{}", r.seed);
    for f in &r.figures {
        out.push(',');
        if f.is_finite() {
            out.push_str(&format!("{f}"));
        }
    }
    out.push('\n');
    out
}

/// A row of runs.csv: (variant index, seed, figures). The error says what is wrong with it.
pub(crate) fn parse_row(
    line: &str,
    names: &[String],
) -> Result<(usize, u64, Vec<f64>), SweepError> {
    let bad = |m: String| SweepError::Merge(m);
    let mut it = line.split(',');
    let name = it.next().unwrap_or("");
    let v = names
        .iter()
        .position(|n| n == name)
        .ok_or_else(|| bad(format!("unknown variant \"{name}\"")))?;
    let seed = it
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("bad seed column".into()))?;
    let figures = it
        .map(|x| {
            if x.is_empty() {
                Ok(f64::NAN)
            } else {
                x.parse::<f64>()
                    .map_err(|_| bad(format!("bad number \"{x}\"")))
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    if figures.len() != METRICS.len() {
        return Err(bad(format!(
            "{} figures, expected {}",
            figures.len(),
            METRICS.len()
        )));
    }
    Ok((v, seed, figures))
}

/// A stable fingerprint of the variants' scenarios (SHA-256 of their JSON): partials from
/// different inputs must not be merged.
pub fn fingerprint(variants: &[Variant]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for v in variants {
        h.update(v.name.as_bytes());
        h.update([0]);
        h.update(
            serde_json::to_string(&v.scenario)
                .unwrap_or_default()
                .as_bytes(),
        );
        h.update([0]);
    }
    h.finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What a shard leaves beside its runs.csv.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Partial {
    pub format: String,
    pub scenario: String,
    pub fingerprint: String,
    pub variants: Vec<(String, String)>,
    pub runs: u64,
    pub first_seed: u64,
    pub duration_h: f64,
    pub shard: Shard,
    /// Seeds run (absolute), end exclusive.
    pub seeds: (u64, u64),
    /// Per variant: good units per hour summed over this shard's seeds.
    pub hourly_sums: Vec<Vec<u64>>,
    /// Per variant: attack markers, from the shard holding the first seed.
    pub markers: Option<Vec<Vec<Marker>>>,
    /// The scenario's risk section, per variant, when the sweep annualizes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk: Option<RiskInputs>,
    /// The currency the scenario's costs are in.
    #[serde(default = "usd")]
    pub currency: String,
}

pub(crate) fn usd() -> String {
    "USD".into()
}

pub const PARTIAL_FORMAT: &str = "faultline-sweep-partial/1";

/// Writes runs.csv as records arrive, to a temporary name moved into place at the end.
pub struct CsvSink {
    tmp: PathBuf,
    path: PathBuf,
    out: std::io::BufWriter<std::fs::File>,
}

impl CsvSink {
    pub fn create(path: &Path) -> std::io::Result<Self> {
        let tmp = path.with_extension("csv.tmp");
        let mut out = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        out.write_all(csv_header().as_bytes())?;
        Ok(CsvSink {
            tmp,
            path: path.to_path_buf(),
            out,
        })
    }

    pub fn line(&mut self, line: &str) -> std::io::Result<()> {
        self.out.write_all(line.as_bytes())
    }

    pub fn finish(mut self) -> std::io::Result<()> {
        self.out.flush()?;
        drop(self.out);
        std::fs::rename(&self.tmp, &self.path)
    }
}

/// summary.json's text.
pub fn summary_json(s: &SweepSummary) -> String {
    serde_json::to_string_pretty(s).unwrap_or_default() + "\n"
}
