//! Shards: a contiguous block of seeds per shard, from a flag or the scheduler's environment, and the merge of their partial results.

use super::*;
/// Which slice of a sweep this process runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// 0-based.
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// `K/N` with K in 0..N.
    pub fn parse(s: &str) -> Result<Shard, SweepError> {
        let (k, n) = s
            .split_once('/')
            .ok_or_else(|| SweepError::Usage(format!("--shard {s}: expected K/N, e.g. 0/4")))?;
        let index: u64 = k
            .trim()
            .parse()
            .map_err(|_| SweepError::Usage(format!("--shard {s}: K must be a number")))?;
        let count: u64 = n
            .trim()
            .parse()
            .map_err(|_| SweepError::Usage(format!("--shard {s}: N must be a number")))?;
        Shard::new(index, count).map_err(|e| SweepError::Usage(format!("--shard {s}: {e}")))
    }

    pub fn new(index: u64, count: u64) -> Result<Shard, SweepError> {
        if count == 0 {
            return Err(SweepError::Usage(
                "the shard count must be at least 1".into(),
            ));
        }
        if index >= count {
            return Err(SweepError::Usage(format!(
                "shard index {index} is out of range: shards are numbered 0..{}",
                count - 1
            )));
        }
        Ok(Shard { index, count })
    }

    /// The shard from a cluster scheduler's environment: a Slurm job array
    /// (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT, SLURM_ARRAY_TASK_MIN) or a Kubernetes
    /// Indexed Job (JOB_COMPLETION_INDEX, with the shard count from `shards`, e.g.
    /// `--shards` or FAULTLINE_SHARDS). `None` when neither is set.
    pub fn from_env(
        get: impl Fn(&str) -> Option<String>,
        shards: Option<u64>,
    ) -> Result<Option<(Shard, &'static str)>, SweepError> {
        let usage = |m: &str| SweepError::Usage(m.to_string());
        let num = |k: &str| -> Result<Option<u64>, SweepError> {
            get(k)
                .map(|v| {
                    v.trim()
                        .parse::<u64>()
                        .map_err(|_| SweepError::Usage(format!("{k}={v} is not a number")))
                })
                .transpose()
        };
        if let Some(id) = num("SLURM_ARRAY_TASK_ID")? {
            let count = match num("SLURM_ARRAY_TASK_COUNT")? {
                Some(c) => c,
                None => shards.ok_or_else(|| {
                    usage("SLURM_ARRAY_TASK_ID is set but not SLURM_ARRAY_TASK_COUNT: pass --shards N")
                })?,
            };
            let min = num("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
            let index = id.checked_sub(min).ok_or_else(|| {
                SweepError::Usage(format!(
                    "SLURM_ARRAY_TASK_ID={id} is below SLURM_ARRAY_TASK_MIN={min}"
                ))
            })?;
            return Shard::new(index, count).map(|s| Some((s, "Slurm job array")));
        }
        if let Some(index) = num("JOB_COMPLETION_INDEX")? {
            let count = match shards {
                Some(c) => c,
                None => num("FAULTLINE_SHARDS")?.ok_or_else(|| {
                    usage("JOB_COMPLETION_INDEX is set: give the shard count with --shards N or FAULTLINE_SHARDS (the Job's completions)")
                })?,
            };
            return Shard::new(index, count).map(|s| Some((s, "Kubernetes Indexed Job")));
        }
        Ok(None)
    }

    /// The block of seeds (offsets from the first seed) this shard runs.
    pub fn seeds(&self, runs: u64) -> Range<u64> {
        (self.index * runs / self.count)..((self.index + 1) * runs / self.count)
    }
}

/// The directories holding partials: each argument is a partial, or a folder of them
/// (e.g. the `--out` every shard of a job array shared).
pub fn partial_dirs(args: &[PathBuf]) -> Result<Vec<PathBuf>, SweepError> {
    let mut out = Vec::new();
    for a in args {
        if a.join("partial.json").is_file() {
            out.push(a.clone());
            continue;
        }
        let mut found: Vec<PathBuf> = std::fs::read_dir(a)
            .map_err(SweepError::input(a))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.join("partial.json").is_file())
            .collect();
        if found.is_empty() {
            return Err(SweepError::Usage(format!(
                "{}: no partial.json here or in its subfolders (is it the --out of `faultline sweep --shard`?)",
                a.display()
            )));
        }
        found.sort();
        out.extend(found);
    }
    Ok(out)
}

/// Merge partial results: check they are the shards of one sweep, all present once, then
/// fold their rows in shard order. Writes the merged runs.csv to `csv` and returns the
/// summary, identical to the unsharded sweep's.
pub fn merge(dirs: &[PathBuf], csv: &Path) -> Result<SweepSummary, SweepError> {
    let mut parts: Vec<(Partial, PathBuf)> = Vec::new();
    for d in dirs {
        let p = d.join("partial.json");
        let text = std::fs::read_to_string(&p).map_err(SweepError::input(&p))?;
        let part: Partial = serde_json::from_str(&text)
            .map_err(|e| SweepError::Merge(format!("{}: {e}", p.display())))?;
        if part.format != PARTIAL_FORMAT {
            return Err(SweepError::Merge(format!(
                "{}: format \"{}\", expected \"{PARTIAL_FORMAT}\"",
                p.display(),
                part.format
            )));
        }
        parts.push((part, d.clone()));
    }
    let Some((first, first_dir)) = parts.first().cloned() else {
        return Err(SweepError::Merge("nothing to merge".into()));
    };
    for (p, d) in &parts {
        let same = p.fingerprint == first.fingerprint
            && p.runs == first.runs
            && p.first_seed == first.first_seed
            && p.shard.count == first.shard.count
            && p.variants == first.variants;
        if !same {
            return Err(SweepError::Merge(format!(
                "{} and {} are not shards of the same sweep (scenario, variants, runs, first seed or shard count differ)",
                first_dir.display(),
                d.display()
            )));
        }
    }
    parts.sort_by_key(|(p, _)| p.shard.index);
    for w in parts.windows(2) {
        if w[0].0.shard.index == w[1].0.shard.index {
            return Err(SweepError::Merge(format!(
                "shard {} appears twice: {} and {}",
                w[0].0.shard.index,
                w[0].1.display(),
                w[1].1.display()
            )));
        }
    }
    let have: Vec<u64> = parts.iter().map(|(p, _)| p.shard.index).collect();
    let missing: Vec<String> = (0..first.shard.count)
        .filter(|k| !have.contains(k))
        .map(|k| k.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(SweepError::Merge(format!(
            "missing shard(s) {} of {}",
            missing.join(", "),
            first.shard.count
        )));
    }
    let names: Vec<String> = first.variants.iter().map(|v| v.0.clone()).collect();
    let nv = names.len();
    let mut agg = Aggregator::new(first.variants.clone(), first.risk.clone());
    let mut sink = CsvSink::create(csv).map_err(SweepError::io(csv))?;
    for (p, d) in &parts {
        let path = d.join("runs.csv");
        let file = std::fs::File::open(&path).map_err(SweepError::input(&path))?;
        let mut lines = std::io::BufReader::new(file).lines();
        let header = lines.next().transpose().map_err(SweepError::input(&path))?;
        if header.as_deref() != Some(csv_header().trim_end()) {
            return Err(SweepError::Merge(format!(
                "{}:1: unexpected header (written by another version of faultline?)",
                path.display()
            )));
        }
        let mut seed_rows: Vec<Vec<f64>> = Vec::with_capacity(nv);
        let mut expect_seed = p.seeds.0;
        for (i, line) in lines.enumerate() {
            let line = line.map_err(SweepError::input(&path))?;
            let at = format!("{}:{}", path.display(), i + 2);
            let (v, seed, figs) =
                parse_row(&line, &names).map_err(|e| SweepError::Merge(format!("{at}: {e}")))?;
            if v != seed_rows.len() || seed != expect_seed {
                return Err(SweepError::Merge(format!(
                    "{at}: expected variant \"{}\" of seed {expect_seed}, found \"{}\" of seed {seed}",
                    names[seed_rows.len()],
                    names[v]
                )));
            }
            sink.line(&line).map_err(SweepError::io(csv))?;
            sink.line("\n").map_err(SweepError::io(csv))?;
            seed_rows.push(figs);
            if seed_rows.len() == nv {
                let refs: Vec<&[f64]> = seed_rows.iter().map(|r| r.as_slice()).collect();
                agg.push_seed(&refs);
                seed_rows.clear();
                expect_seed += 1;
            }
        }
        if expect_seed != p.seeds.1 || !seed_rows.is_empty() {
            return Err(SweepError::Merge(format!(
                "{}: rows stop at seed {expect_seed}, but the shard ran seeds {}..{} (an unfinished shard?)",
                path.display(),
                p.seeds.0,
                p.seeds.1
            )));
        }
        for (v, h) in p.hourly_sums.iter().enumerate() {
            agg.add_hourly(v, h);
        }
        if let Some(ms) = &p.markers {
            for (v, m) in ms.iter().enumerate() {
                agg.set_markers(v, m.clone());
            }
        }
    }
    sink.finish().map_err(SweepError::io(csv))?;
    Ok(SweepSummary {
        currency: first.currency.clone(),
        ..agg.finish(&first.scenario, first.first_seed, first.duration_h)
    })
}

/// Hourly sums and markers of a shard, for its partial.json.
pub struct ShardExtras {
    pub hourly_sums: Vec<Vec<u64>>,
    pub markers: Option<Vec<Vec<Marker>>>,
}

impl ShardExtras {
    pub fn new(nv: usize) -> Self {
        ShardExtras {
            hourly_sums: vec![Vec::new(); nv],
            markers: None,
        }
    }

    pub fn push(&mut self, r: &RunRecord, nv: usize) {
        add_hours(&mut self.hourly_sums[r.variant], &r.hourly_good);
        if let Some(m) = &r.markers {
            self.markers.get_or_insert_with(|| vec![Vec::new(); nv])[r.variant] = m.clone();
        }
    }
}

/// The folder a shard writes into, under the sweep's `--out`.
pub fn shard_dir(out: &Path, shard: Shard) -> PathBuf {
    out.join(format!("shard-{:04}-of-{:04}", shard.index, shard.count))
}

/// Run one shard and write its partial result (runs.csv, then partial.json, which marks
/// the shard complete) into `dir`.
pub fn run_shard(
    variants: &[Variant],
    runs: u64,
    first_seed: u64,
    threads: usize,
    shard: Shard,
    tick: &(dyn Fn() + Sync),
    dir: &Path,
) -> Result<Partial, SweepError> {
    std::fs::create_dir_all(dir).map_err(SweepError::io(dir))?;
    let part = dir.join("partial.json");
    if part.exists() {
        // A rerun replaces the shard: drop the completion mark first.
        std::fs::remove_file(&part).map_err(SweepError::io(&part))?;
    }
    let nv = variants.len();
    let range = shard.seeds(runs);
    let seeds = first_seed + range.start..first_seed + range.end;
    let csv = dir.join("runs.csv");
    let mut sink = CsvSink::create(&csv).map_err(SweepError::io(&csv))?;
    let mut extras = ShardExtras::new(nv);
    execute(
        variants,
        seeds.clone(),
        first_seed,
        threads,
        tick,
        |records| {
            for r in &records {
                sink.line(&csv_row(&variants[r.variant].name, r))
                    .map_err(SweepError::io(&csv))?;
                extras.push(r, nv);
            }
            Ok(true)
        },
    )?;
    sink.finish().map_err(SweepError::io(&csv))?;
    let base = &variants[0].scenario;
    let partial = Partial {
        format: PARTIAL_FORMAT.into(),
        scenario: base.name.clone(),
        fingerprint: fingerprint(variants),
        variants: names(variants),
        runs,
        first_seed,
        duration_h: base.duration_h,
        shard,
        seeds: (seeds.start, seeds.end),
        hourly_sums: extras.hourly_sums,
        markers: extras.markers,
        risk: RiskInputs::of(variants),
        currency: base.cost.currency.clone(),
    };
    let json = serde_json::to_string_pretty(&partial)
        .map_err(|e| SweepError::Merge(format!("partial.json: {e}")))?
        + "\n";
    crate::files::write_atomic(&part, &json).map_err(SweepError::io(&part))?;
    Ok(partial)
}
