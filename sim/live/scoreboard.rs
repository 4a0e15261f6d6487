//! The red/blue scoreboard of a live session: what each actor did and cost so far, as a
//! JSON file rewritten (atomically) every simulated minute and a page beside it that a
//! projector shows, reloading itself. Nothing is served over the network for it.

use crate::report::Summary;
use crate::report::write_atomic;
use crate::world::World;
use anyhow::Result;
use std::path::{Path, PathBuf};

pub(super) struct Scoreboard {
    json: PathBuf,
    html: PathBuf,
}

/// The actor who has cost the most so far: (name, cost), for the status line.
pub(super) fn leader(summary: &Summary) -> Option<(String, f64)> {
    summary
        .actors
        .as_ref()?
        .actors
        .iter()
        .filter(|a| a.cost_owed > 0.0)
        .max_by(|a, b| a.cost_owed.total_cmp(&b.cost_owed))
        .map(|a| (a.name.clone(), a.cost_owed))
}

impl Scoreboard {
    pub(super) fn new(json: &Path) -> Scoreboard {
        Scoreboard {
            json: json.to_path_buf(),
            html: json.with_file_name("scoreboard.html"),
        }
    }

    /// Both files, from the world as it stands; `last`: the session has ended (the page
    /// stops reloading itself).
    pub(super) fn write(&self, world: &World, summary: &Summary, last: bool) -> Result<()> {
        let mut value = board(world, summary);
        value["ended"] = serde_json::Value::Bool(last);
        write_atomic(&self.json, &format!("{:#}\n", value))?;
        write_atomic(&self.html, &page(&value))?;
        Ok(())
    }
}

fn board(world: &World, s: &Summary) -> serde_json::Value {
    serde_json::json!({
        "scenario": s.scenario,
        "seed": s.seed,
        "t": crate::time::clock(world.now),
        "t_s": world.now as f64 / 1e6,
        "currency": s.cost.currency,
        "good_units": s.line.good_units,
        "production_vs_target_pct": s.scorecard.ot.production_vs_target_pct,
        "default_zone": s.actors.as_ref().map(|a| a.default_zone.clone()),
        "actors": s.actors.as_ref().map(|a| a.actors.clone()).unwrap_or_default(),
        "leader": leader(s).map(|(name, cost)| serde_json::json!({"name": name, "cost": cost})),
    })
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The page: the board's figures in a table, the data embedded (a page opened from disk
/// may not fetch a file beside it), reloading every two seconds.
fn page(v: &serde_json::Value) -> String {
    let cur = v["currency"].as_str().unwrap_or("");
    let mut rows = String::new();
    for a in v["actors"].as_array().into_iter().flatten() {
        let techniques: Vec<String> = a["techniques"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|t| {
                format!(
                    "{} {} ×{}",
                    t["id"].as_str().unwrap_or(""),
                    t["name"].as_str().unwrap_or(""),
                    t["count"]
                )
            })
            .collect();
        let detected = match a["detected_after_s"].as_f64() {
            Some(d) => format!("after {d:.0} s"),
            None => "no".into(),
        };
        rows += &format!(
            "<tr><td>{}</td><td>{}<br><small>{} as {}</small></td><td>{}</td><td class=n>{}</td><td class=n>{}</td><td>{}</td><td class=n>{:.0}</td><td class=n>{} {:.0}</td></tr>\n",
            esc(a["name"].as_str().unwrap_or("")),
            esc(a["zone"].as_str().unwrap_or("")),
            esc(a["source"].as_str().unwrap_or("")),
            esc(a["address"].as_str().unwrap_or("")),
            esc(&techniques.join("<br>")).replace("&lt;br&gt;", "<br>"),
            a["requests"],
            a["blocked"],
            detected,
            a["units_owed"].as_f64().unwrap_or(0.0),
            esc(cur),
            a["cost_owed"].as_f64().unwrap_or(0.0),
        );
    }
    if rows.is_empty() {
        rows = "<tr><td colspan=8>no client from outside the twin yet</td></tr>".into();
    }
    let leader = match v["leader"].as_object() {
        Some(l) => format!(
            "costing the plant most: <b>{}</b> ({} {:.0})",
            esc(l["name"].as_str().unwrap_or("")),
            esc(cur),
            l["cost"].as_f64().unwrap_or(0.0)
        ),
        None => "no actor has cost the plant anything yet".into(),
    };
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8">{refresh}
<title>faultline scoreboard</title>
<style>
body {{ font: 18px/1.4 system-ui, sans-serif; margin: 1.5em; background: #10151c; color: #e8edf2; }}
h1 {{ font-size: 1.4em; margin: 0 0 .3em; }}
table {{ border-collapse: collapse; width: 100%; margin-top: 1em; }}
th, td {{ border-bottom: 1px solid #34404d; padding: .4em .6em; text-align: left; vertical-align: top; }}
td.n {{ text-align: right; font-variant-numeric: tabular-nums; }}
small {{ color: #9fb0c0; }}
.line {{ color: #9fb0c0; }}
</style></head><body>
<h1>{scenario} · {t}{ended}</h1>
<div class="line">good units {good} · production {prod:.1} % of target · {leader}</div>
<table id="actors"><thead><tr><th>actor</th><th>zone</th><th>ATT&amp;CK for ICS</th><th>requests</th><th>blocked</th><th>detected</th><th>units owed</th><th>cost owed</th></tr></thead>
<tbody>
{rows}</tbody></table>
<script id="board" type="application/json">{data}</script>
</body></html>
"#,
        scenario = esc(v["scenario"].as_str().unwrap_or("")),
        t = v["t"].as_str().unwrap_or(""),
        good = v["good_units"],
        prod = v["production_vs_target_pct"].as_f64().unwrap_or(0.0),
        data = v.to_string().replace("</", "<\\/"),
        refresh = if v["ended"] == true {
            ""
        } else {
            "<meta http-equiv=\"refresh\" content=\"2\">"
        },
        ended = if v["ended"] == true {
            " · session ended"
        } else {
            ""
        },
    )
}
