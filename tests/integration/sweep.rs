//! Sweeps: paired variants, the same bytes on any number of threads, shards that merge to
//! the unsharded result, variants files with placed errors, and the HTML report.

use faultline::load;
use faultline::sweep::{Shard, load_variants, metric, run_sweep, summary_json, toggle_variants};
use std::path::{Path, PathBuf};
use std::process::Command;

pub(crate) fn short_all_controls() -> faultline::Scenario {
    let mut s = load(Path::new("scenarios/all-controls.ron")).unwrap();
    // Through the setpoint attack at 04:00.
    s.duration_h = 4.5;
    s.schedule.retain(|e| e.at_h <= 4.5);
    s
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("faultline-sweep-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn a_sweep_gives_the_same_bytes_on_one_and_two_threads() {
    let s = short_all_controls();
    let variants = toggle_variants(&s, &["dpi".to_string()]).unwrap();
    assert_eq!(
        variants.iter().map(|v| v.name.as_str()).collect::<Vec<_>>(),
        ["none", "dpi"]
    );
    let dir = tmp("threads");
    let (c1, c2) = (dir.join("one.csv"), dir.join("two.csv"));
    let one = run_sweep(&variants, 3, 7, 1, &|| {}, Some(&c1), None).unwrap();
    let two = run_sweep(&variants, 3, 7, 2, &|| {}, Some(&c2), None).unwrap();
    assert_eq!(summary_json(&one), summary_json(&two));
    assert_eq!(
        std::fs::read(&c1).unwrap(),
        std::fs::read(&c2).unwrap(),
        "runs.csv differs between 1 and 2 threads"
    );
    // One row per run and variant, plus the header.
    let rows = std::fs::read_to_string(&c1).unwrap().lines().count();
    assert_eq!(rows, 1 + 3 * 2);
    // Paired by seed: the DPI's difference to the baseline is the mean of the per-seed
    // differences, recomputed here from runs.csv's rows.
    let cost = metric("cost_total");
    let text = std::fs::read_to_string(&c1).unwrap();
    let rows: Vec<Vec<&str>> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    let col = 2 + cost;
    let diffs: Vec<f64> = rows
        .chunks(2)
        .map(|seed| {
            assert_eq!((seed[0][0], seed[1][0]), ("none", "dpi"));
            assert_eq!(seed[0][1], seed[1][1], "rows of one seed");
            seed[1][col].parse::<f64>().unwrap() - seed[0][col].parse::<f64>().unwrap()
        })
        .collect();
    let mean = diffs.iter().sum::<f64>() / diffs.len() as f64;
    let paired = &one.variants[1].vs_baseline[cost].1;
    assert!(
        (paired.mean - mean).abs() < 0.01,
        "{} vs {mean}",
        paired.mean
    );
    assert_eq!(paired.n, 3);
    // The DPI blocks the tampering and the STOP command: fewer steps succeed.
    let succeeded = metric("steps_succeeded");
    assert!(one.variants[1].vs_baseline[succeeded].1.mean < 0.0);
    // Throughput per hour is kept, and the first seed's attack steps are marked.
    assert_eq!(one.variants[0].throughput_per_h.len(), 4);
    assert!(!one.variants[0].markers.is_empty());
    // The ranking puts the DPI first, with a saving whose interval excludes zero.
    assert_eq!(one.ranking[0].name, "dpi");
    assert!(
        one.ranking[0].net_saving.ci95.0 > 0.0,
        "{:?}",
        one.ranking[0]
    );
}

#[test]
fn the_confidence_interval_is_students_t() {
    // Three seeds: t(0.975, 2) = 4.303; the interval is mean ± t·sd/√n.
    let s = short_all_controls();
    let variants = toggle_variants(&s, &["dpi".to_string()]).unwrap();
    let sum = run_sweep(&variants, 3, 7, 2, &|| {}, None, None).unwrap();
    let st = &sum.variants[0].metrics[metric("good_units")].1;
    assert_eq!(st.n, 3);
    let half = 4.302652729911275 * st.sd / 3f64.sqrt();
    assert!((st.ci95.1 - st.mean - half).abs() < 1e-3, "{st:?}");
    assert!((st.mean - st.ci95.0 - half).abs() < 1e-3, "{st:?}");
}

#[test]
fn toggling_a_control_the_scenario_does_not_deploy_is_an_error() {
    let s = load(Path::new("scenarios/bottling-line.ron")).unwrap();
    let err = toggle_variants(&s, &["dpi".to_string()])
        .unwrap_err()
        .to_string();
    assert!(err.contains("does not deploy"), "{err}");
    let err = toggle_variants(&s, &["firewall".to_string()])
        .unwrap_err()
        .to_string();
    assert!(err.contains("known: segmentation"), "{err}");
}

#[test]
fn a_variants_file_names_each_variant_and_places_its_errors() {
    let s = load(Path::new("scenarios/all-controls.ron")).unwrap();
    let v = load_variants(Path::new("scenarios/sweeps/all-controls-variants.ron"), &s).unwrap();
    assert_eq!(v[0].name, "no controls");
    assert!(v.len() >= 3);
    // Every variant runs the sweep's seed and duration, whatever its file says.
    assert!(
        v.iter()
            .all(|x| x.scenario.seed == s.seed && x.scenario.duration_h == s.duration_h)
    );
    assert!(v[0].scenario.dpi.is_none() && v[0].scenario.segmentation.is_none());

    let dir = tmp("variants");
    let bad = dir.join("bad.ron");
    std::fs::write(
        &bad,
        "Variants(variants: [\n  (name: \"a\", off: [\"dpi\"]),\n  (name: \"a\", off: [\"firewall\"]),\n])\n",
    )
    .unwrap();
    let err = load_variants(&bad, &s).unwrap_err().to_string();
    assert!(err.contains("variants[1].name"), "{err}");
    assert!(err.contains("variants[1].off[0]"), "{err}");
    assert!(err.contains("known: segmentation"), "{err}");
    std::fs::write(&bad, "Variants(variants: [\n  (name: \"a\", of: []),\n])\n").unwrap();
    let err = load_variants(&bad, &s).unwrap_err().to_string();
    assert!(err.contains("bad.ron:2:"), "{err}");
}

#[test]
fn shards_come_from_the_flag_or_the_scheduler() {
    assert_eq!(Shard::parse("1/3").unwrap(), Shard { index: 1, count: 3 });
    assert!(
        Shard::parse("3/3")
            .unwrap_err()
            .to_string()
            .contains("out of range")
    );
    assert!(Shard::parse("x").is_err());
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |k: &str| {
            pairs
                .iter()
                .find(|(a, _)| *a == k)
                .map(|(_, v)| v.to_string())
        }
    };
    // Slurm arrays may start at 1: the index counts from SLURM_ARRAY_TASK_MIN.
    let s = Shard::from_env(
        env(&[
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
        ]),
        None,
    )
    .unwrap()
    .unwrap();
    assert_eq!(s.0, Shard { index: 2, count: 4 });
    let k = Shard::from_env(env(&[("JOB_COMPLETION_INDEX", "5")]), Some(8))
        .unwrap()
        .unwrap();
    assert_eq!(k.0, Shard { index: 5, count: 8 });
    assert!(
        Shard::from_env(env(&[("JOB_COMPLETION_INDEX", "5")]), None)
            .unwrap_err()
            .to_string()
            .contains("--shards")
    );
    assert!(Shard::from_env(env(&[]), None).unwrap().is_none());
    // The slices are disjoint and cover every seed.
    let mut all: Vec<u64> = (0..3)
        .flat_map(|i| Shard { index: i, count: 3 }.seeds(10))
        .collect();
    all.sort();
    assert_eq!(all, (0..10).collect::<Vec<_>>());
}

fn faultline(args: &[&str], envs: &[(&str, &str)]) -> std::process::Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_faultline"));
    c.args(args);
    for k in [
        "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_TASK_COUNT",
        "SLURM_ARRAY_TASK_MIN",
        "JOB_COMPLETION_INDEX",
        "FAULTLINE_SHARDS",
    ] {
        c.env_remove(k);
    }
    c.envs(envs.iter().copied());
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "faultline {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn three_shards_in_separate_processes_merge_to_the_unsharded_bytes() {
    let dir = tmp("shards");
    let d = |p: &str| dir.join(p).display().to_string();
    let common = [
        "sweep",
        "scenarios/all-controls.ron",
        "--runs",
        "5",
        "--toggle",
        "dpi",
        "--hours",
        "4.5",
    ];
    let whole = d("whole");
    let mut args = common.to_vec();
    // With a budget: the merge ranks the portfolios as the whole sweep does.
    args.extend(["--threads", "2", "--budget", "20000", "--out", &whole]);
    let out = faultline(&args, &[]);
    // all-controls' seed is 42: five seeds are 42 to 46, counted as people count.
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("5 seed(s), 42 to 46 × 2 variant(s)"), "{err}");
    // Shard 0 from the flag, shard 1 as a Slurm array task (ids from 1), shard 2 as a
    // Kubernetes Indexed Job; all three into one folder, as a job array would.
    let parts = d("parts");
    let mut a0 = common.to_vec();
    a0.extend(["--threads", "1", "--shard", "0/3", "--out", &parts]);
    faultline(&a0, &[]);
    let mut a1 = common.to_vec();
    a1.extend(["--threads", "1", "--out", &parts]);
    faultline(
        &a1,
        &[
            ("SLURM_ARRAY_TASK_ID", "2"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
        ],
    );
    let mut a2 = common.to_vec();
    a2.extend(["--threads", "2", "--shards", "3", "--out", &parts]);
    faultline(&a2, &[("JOB_COMPLETION_INDEX", "2")]);
    // Merging with a shard missing is refused, naming it.
    let two = [
        dir.join("parts/shard-0000-of-0003"),
        dir.join("parts/shard-0002-of-0003"),
    ];
    let out = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args([
            "merge",
            &two[0].display().to_string(),
            &two[1].display().to_string(),
        ])
        .args(["--out", &d("incomplete")])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("missing shard(s) 1 of 3"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A shard of another sweep (the same seeds and variants, another scenario: its
    // fingerprint differs) is refused, naming both folders.
    let other = d("other");
    let mut a3 = common.to_vec();
    a3[1] = "scenarios/sweeps/all-controls-dpi-monitor.ron";
    a3.extend(["--threads", "1", "--shard", "1/3", "--out", &other]);
    faultline(&a3, &[]);
    let out = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args([
            "merge",
            &two[0].display().to_string(),
            &dir.join("other/shard-0001-of-0003").display().to_string(),
            &two[1].display().to_string(),
        ])
        .args(["--out", &d("mixed")])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    // Partial results that do not belong together are invalid input: 65.
    assert_eq!(out.status.code(), Some(65), "{err}");
    assert!(err.contains("are not shards of the same sweep"), "{err}");
    assert!(err.contains("other/shard-0001-of-0003"), "{err}");
    let merged = d("merged");
    faultline(
        &["merge", &parts, "--budget", "20000", "--out", &merged],
        &[],
    );
    let json = std::fs::read_to_string(dir.join("merged/summary.json")).unwrap();
    assert!(
        json.contains("\"budget\""),
        "no budget in the merged summary"
    );
    for f in ["summary.json", "runs.csv", "report.html"] {
        let a = std::fs::read(dir.join("whole").join(f)).unwrap();
        let b = std::fs::read(dir.join("merged").join(f)).unwrap();
        assert!(
            a == b,
            "{f} differs between the unsharded and the merged sweep"
        );
    }
}

#[test]
fn the_html_report_is_self_contained_with_scorecard_and_charts() {
    let s = short_all_controls();
    let variants = toggle_variants(&s, &["dpi".to_string(), "segmentation".to_string()]).unwrap();
    let sum = run_sweep(&variants, 2, 7, 2, &|| {}, None, None).unwrap();
    let page = faultline::report::html::sweep_page(&sum);
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("id=\"scorecard\""));
    for v in &sum.variants {
        assert!(page.contains(&format!("<th>{}</th>", v.name)), "{}", v.name);
    }
    // Four charts, each inline SVG: throughput, downtime, cost, and (a risk section) the
    // loss exceedance curve beside the per-year table.
    assert_eq!(page.matches("<svg").count(), 4);
    assert!(page.contains("id=\"exceedance\""));
    assert!(page.contains("annualized loss exposure"));
    // Nothing fetched: no external references, no script.
    // Nothing fetched: no external references, no script (the SVG namespace is a name).
    let bare = page.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    for bad in ["http:", "https:", "<script", "src=", "<link", "url("] {
        assert!(!bare.contains(bad), "the page references {bad}");
    }
    assert!(!page.contains("chart not drawn"));

    // A single run's page has the same parts.
    let mut w = faultline::World::with_recording(
        &s,
        7,
        faultline::world::Recording {
            timeline: true,
            events: false,
            frames: false,
        },
    );
    w.run();
    let summary = faultline::report::Summary::from_world(&w);
    let page = faultline::report::html::run_page(&w, &summary);
    assert!(page.contains("id=\"scorecard\""));
    // Throughput, downtime, cost, a process trend per thermal station and the waterfall
    // from target to good units.
    let thermal = w.plant.stations.iter().filter(|st| st.thermal.is_some());
    assert_eq!(page.matches("<svg").count(), 4 + thermal.count());
    assert!(page.contains("id=\"waterfall\""));
    assert!(page.contains("Attack steps"));
    assert!(!page.contains("chart not drawn"));
}

/// The reference line for a quarter of an hour: cheap runs whose cost still varies from
/// seed to seed (a failure or not).
fn quarter_hour() -> Vec<faultline::sweep::Variant> {
    let mut s = load(Path::new("scenarios/bottling-line.ron")).unwrap();
    s.duration_h = 0.25;
    s.schedule.retain(|e| e.at_h <= 0.25);
    toggle_variants(&s, &[]).unwrap()
}

#[test]
fn a_precision_stops_the_sweep_at_a_whole_chunk_on_any_thread_count() {
    let variants = quarter_hour();
    // Any precision at all is reached by the first chunk of 64 seeds.
    let one = run_sweep(&variants, 500, 1, 1, &|| {}, None, Some(1e12)).unwrap();
    let two = run_sweep(&variants, 500, 1, 2, &|| {}, None, Some(1e12)).unwrap();
    assert_eq!(one.runs, 64);
    assert_eq!(summary_json(&one), summary_json(&two));
    let st = one.stopping.as_ref().unwrap();
    assert!(st.reached && st.max_runs == 500, "{st:?}");
    let widest = st.widest.unwrap();
    assert!(widest > 0.0 && widest < 1e12, "{st:?}");
    assert!(
        st.describe(one.runs, "USD")
            .starts_with("stopped at 64 of at most 500 seeds")
    );
    // It is the baseline's cost interval (a sweep of one variant): the same as reported.
    let cost = one.variants[0].metrics[metric("cost_total")].1.clone();
    assert!(
        (widest - (cost.ci95.1 - cost.mean)).abs() < 0.01,
        "{cost:?} vs {widest}"
    );
    // A precision out of reach runs every seed asked for, and says so.
    let all = run_sweep(&variants, 70, 1, 2, &|| {}, None, Some(1e-9)).unwrap();
    assert_eq!(all.runs, 70);
    let st = all.stopping.as_ref().unwrap();
    assert!(!st.reached, "{st:?}");
    assert!(
        st.describe(70, "USD")
            .starts_with("ran all 70 seeds without reaching")
    );
    // Without a precision nothing is recorded: summary.json is as it always was.
    let plain = run_sweep(&variants, 3, 1, 2, &|| {}, None, None).unwrap();
    assert!(plain.stopping.is_none());
    assert!(!summary_json(&plain).contains("stopping"));
}

#[test]
fn a_precision_is_refused_on_a_shard() {
    let dir = tmp("precision-shard");
    let out = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("JOB_COMPLETION_INDEX")
        .args([
            "sweep",
            "scenarios/minimal.ron",
            "--runs",
            "4",
            "--precision",
            "100",
        ])
        .args(["--shard", "0/2", "--out"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--precision needs every seed in one place"),
        "{err}"
    );
    assert!(!dir.join("shard-0000-of-0002").exists());
}

#[test]
fn one_false_positive_costs_its_price_once_and_the_ranking_parts_add_up() {
    let s = load(Path::new("scenarios/attack-setpoint-dpi.ron")).unwrap();
    let variants = toggle_variants(&s, &["dpi".to_string()]).unwrap();
    // On seed 42 the DPI blocks one legitimate write (the changeover's recipe): one false
    // positive at the scenario's price — the operator's retries until the engineer releases
    // it are the same ticket — plus the product 2 it held below its band, owed to the DPI.
    let r = faultline::sweep::run_one(&variants[1], 1, 42, 42);
    assert_eq!(r.figures[metric("false_positives")], 1.0);
    assert_eq!(r.figures[metric("control_downtime_h")], 0.0);
    let mut w = faultline::World::new(&s, 42);
    w.run();
    let ledger = faultline::report::Summary::from_world(&w).cost;
    let dpi = ledger
        .by_cause
        .iter()
        .find(|c| c.cause == "control: dpi")
        .unwrap();
    assert_eq!(
        dpi.false_positive_review,
        s.cost.per_false_positive.mean(),
        "one false positive counted once"
    );
    assert!(
        dpi.lost_output > 0.0 && dpi.scrap_materials > 0.0,
        "{dpi:?}"
    );
    assert!(
        (r.figures[metric("cost_controls")] - dpi.total).abs() < 0.005,
        "{} vs {dpi:?}",
        r.figures[metric("cost_controls")]
    );
    // Every variant's net saving is its parts: avoided − friction + other, to the cent.
    let sum = run_sweep(&variants, 3, 40, 2, &|| {}, None, None).unwrap();
    assert_eq!(sum.ranking.len(), 1, "the baseline is not ranked");
    for r in &sum.ranking {
        let parts = r.attack_losses_avoided - r.control_friction_added + r.other_costs_avoided;
        assert!(
            (parts - r.net_saving.mean).abs() < 0.011,
            "{}: {parts} vs {}",
            r.name,
            r.net_saving.mean
        );
    }
}

#[test]
fn the_year_adds_up_and_a_campaign_costs_its_day_less_the_ordinary_day() {
    let s = short_all_controls();
    let r = s
        .risk
        .clone()
        .expect("all-controls.ron prices its controls");
    let variants = toggle_variants(&s, &["dpi".to_string()]).unwrap();
    let sum = run_sweep(&variants, 4, 42, 2, &|| {}, None, None).unwrap();
    let annual = sum.annual.as_ref().expect("a risk section gives a year");
    assert_eq!(annual.len(), 2);

    // Owning the controls: purchase / life + running, for the controls each variant deploys.
    let price = |name: &str| {
        r.controls
            .iter()
            .find(|p| p.control == name)
            .map_or(0.0, |p| {
                p.purchase.mean() / p.life_years + p.running_per_year.mean()
            })
    };
    let owned = price("segmentation") + price("ids");
    assert!((annual[0].ownership - owned).abs() < 0.01);
    assert!((annual[1].ownership - owned - price("dpi")).abs() < 0.01);

    // A campaign's loss magnitude on seed 42: the scenario's day less the same seed
    // without the attacks, run here separately.
    let day = faultline::sweep::run_one(&variants[0], 0, 42, 42);
    let mut w = faultline::World::new(&faultline::sweep::ordinary(&variants[0].scenario), 42);
    w.run();
    let ordinary = faultline::report::Summary::from_world(&w).cost;
    assert_eq!(day.figures[metric("ordinary_cost")], ordinary.total);
    assert_eq!(day.figures[metric("ordinary_controls")], ordinary.controls);
    assert!(day.figures[metric("cost_total")] > ordinary.total);

    // ALE = E[frequency] × the mean loss magnitude; percentiles in order.
    let lambda = r.campaigns_per_year.mean();
    for a in annual {
        assert!(
            (a.ale.mean - lambda * a.loss_magnitude.mean).abs() < 0.01 * a.ale.mean.abs() + 0.01,
            "{a:?}"
        );
        let p = a.annual_loss;
        assert!(p.p5 <= p.p50 && p.p50 <= p.p90 && p.p90 <= p.p95 && p.p95 <= p.p99);
        assert!(a.exceedance.windows(2).all(|w| w[1].1 <= w[0].1));
        // The band holds the frequency at its P10 and P90: the curve lies between.
        for (e, b) in a.exceedance.iter().zip(&a.exceedance_band) {
            assert_eq!(e.0, b.0);
            assert!(b.1 <= e.1 + 0.02 && e.1 <= b.2 + 0.02, "{e:?} {b:?}");
        }
    }
    // The net benefit is its parts, to the cent; ROSI is the net over the cost added.
    let d = annual[1].vs_baseline.as_ref().unwrap();
    let parts = d.attack_losses_avoided + d.other_losses_avoided - d.control_cost_added;
    assert!((parts - d.net_benefit_mean.mean).abs() < 0.011, "{d:?}");
    assert!(
        (d.attack_production_avoided + d.attack_fees_avoided - d.attack_losses_avoided).abs()
            < 0.011
    );
    let rosi = d.rosi.as_ref().unwrap();
    assert!((rosi.mean - d.net_benefit_mean.mean / d.control_cost_added).abs() < 0.001);
    // The year's spread holds the frequency: P5–P95 of a year's net is wider than the
    // interval on the mean, and the mean's break-even frequency zeroes the expected net.
    let (n, m) = (d.net_benefit, &d.net_benefit_mean);
    assert!(n.p95 - n.p5 > m.ci95.1 - m.ci95.0, "{n:?} vs {m:?}");
    let per_campaign = d.attack_losses_avoided / lambda;
    let fixed = m.mean - d.attack_losses_avoided;
    match d.break_even_frequency {
        Some(0.0) => assert!(fixed >= -0.01, "{d:?}"),
        Some(f) => assert!(
            (f * per_campaign + fixed).abs() < 0.01 * per_campaign + 0.02,
            "{d:?}"
        ),
        None => assert!(per_campaign <= 0.0 && fixed < 0.0, "{d:?}"),
    }
    assert_eq!(d.sensitivity.len(), 4);
    assert!(
        d.sensitivity
            .windows(2)
            .all(|w| w[0].width() >= w[1].width())
    );
    assert!(annual[0].vs_baseline.is_none());
    assert!((0.0..=1.0).contains(&d.p_net_positive));
}

#[test]
fn a_sweep_in_euros_prints_no_dollar() {
    let mut s = short_all_controls();
    s.cost.currency = "EUR".into();
    let variants = toggle_variants(&s, &["dpi".to_string()]).unwrap();
    let sum = run_sweep(&variants, 2, 42, 2, &|| {}, None, None).unwrap();
    assert_eq!(sum.currency, "EUR");
    let text = faultline::report::text::sweep_table(&sum);
    let page = faultline::report::html::sweep_page(&sum);
    for (what, out) in [("text", &text), ("report.html", &page)] {
        assert!(out.contains("EUR"), "{what} names the currency");
        assert!(!out.contains('$'), "{what} prints a dollar:\n{out}");
    }
}

#[test]
fn a_budget_ranks_the_portfolios_it_can_own_best_first() {
    let s = short_all_controls();
    let variants = toggle_variants(&s, &["dpi".to_string(), "segmentation".to_string()]).unwrap();
    let sum = run_sweep(&variants, 2, 42, 2, &|| {}, None, None).unwrap();
    let annual = sum.annual.as_ref().unwrap();
    // A budget that owns the DPI (16,000 a year in all-controls) but not the DPI with
    // segmentation on top.
    let own = |name: &str| {
        let a = annual.iter().find(|a| a.name == name).unwrap();
        a.ownership - annual[0].ownership
    };
    let amount = own("dpi") + 1.0;
    assert!(own("dpi+segmentation") > amount);
    let b = faultline::sweep::budget(&sum, amount).unwrap();
    assert_eq!(b.within.len() + b.over.len(), annual.len());
    assert!(b.within.iter().all(|p| p.ownership_added <= amount));
    assert!(b.over.iter().all(|p| p.ownership_added > amount));
    assert!(b.over.iter().any(|p| p.name == "dpi+segmentation"));
    // Best first, buying nothing among them at 0; each figure is the year's own.
    assert!(
        b.within
            .windows(2)
            .all(|w| w[0].net_benefit_mean >= w[1].net_benefit_mean)
    );
    assert!(
        b.within
            .iter()
            .any(|p| p.name == "none" && p.net_benefit_mean == 0.0)
    );
    for p in b.within.iter().chain(&b.over) {
        let a = annual.iter().find(|a| a.name == p.name).unwrap();
        let net = a
            .vs_baseline
            .as_ref()
            .map_or(0.0, |d| d.net_benefit_mean.mean);
        assert_eq!(p.net_benefit_mean, net);
        assert_eq!(p.annual_loss_p90, a.annual_loss.p90);
    }
    assert!(faultline::sweep::budget(&sum, -1.0).is_err());
}

#[test]
fn a_budget_without_prices_is_refused_before_any_run() {
    let out = Command::new(env!("CARGO_BIN_EXE_faultline"))
        .args([
            "sweep",
            "scenarios/minimal.ron",
            "--runs",
            "2",
            "--budget",
            "1000",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--budget needs a `risk` section in scenarios/minimal.ron"),
        "{err}"
    );
    assert!(!err.contains("seed(s)"), "it ran seeds first: {err}");
}

#[test]
fn a_control_price_written_as_a_range_widens_the_years_and_enters_the_tornado() {
    // The DPI's purchase as a quote's range, Pert(30k, 40k, 80k) (mean 45k against the
    // fixed 40k): the same seeds, the mean ownership from the mean price, each simulated
    // year its own price, and the purchase among what moves the answer.
    let mut s = short_all_controls();
    let variants = toggle_variants(&s, &["dpi".to_string()]).unwrap();
    let fixed = run_sweep(&variants, 3, 42, 2, &|| {}, None, None).unwrap();
    let risk = s.risk.as_mut().unwrap();
    let dpi = risk
        .controls
        .iter_mut()
        .find(|p| p.control == "dpi")
        .unwrap();
    dpi.purchase = faultline::dist::Quantity::Drawn(faultline::dist::Dist::Pert {
        min: 30_000.0,
        likely: 40_000.0,
        max: 80_000.0,
    });
    let variants = toggle_variants(&s, &["dpi".to_string()]).unwrap();
    let drawn = run_sweep(&variants, 3, 42, 2, &|| {}, None, None).unwrap();
    let (f, d) = (
        &fixed.annual.as_ref().unwrap()[1],
        &drawn.annual.as_ref().unwrap()[1],
    );
    // Mean ownership 45k / 5 + 8k against 40k / 5 + 8k: 1,000 a year more.
    assert!((d.ownership - f.ownership - 1_000.0).abs() < 0.01);
    let (fd, dd) = (
        f.vs_baseline.as_ref().unwrap(),
        d.vs_baseline.as_ref().unwrap(),
    );
    assert!(
        (fd.net_benefit_mean.mean - dd.net_benefit_mean.mean - 1_000.0).abs() < 0.01,
        "{} vs {}",
        fd.net_benefit_mean.mean,
        dd.net_benefit_mean.mean
    );
    // Most years see no campaign: the fixed price gives them one net, the drawn a spread.
    assert_eq!(fd.net_benefit.p5, fd.net_benefit.p50);
    assert!(
        dd.net_benefit.p5 < dd.net_benefit.p50,
        "{:?}",
        dd.net_benefit
    );
    let row = dd
        .sensitivity
        .iter()
        .find(|s| s.input == "price: dpi purchase")
        .expect("the purchase in the tornado");
    assert!(row.net_at_low > row.net_at_high, "{row:?}");
    assert!(fd.sensitivity.iter().all(|s| !s.input.starts_with("price")));
}
