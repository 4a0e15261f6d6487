//! What to buy first: the sweep's variants as portfolios of controls, ranked by expected
//! net benefit per year among those a yearly budget can own.

use super::*;

/// A variant as a purchase: the controls it adds to the baseline and what they return.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Portfolio {
    pub name: String,
    /// Owning the controls it adds to the baseline, per year (purchase / life + running):
    /// what the budget pays.
    pub ownership_added: f64,
    /// Their measured friction per year (not paid from the budget, but in the net).
    pub friction_added: f64,
    /// Expected net benefit per year against the baseline (0 for buying nothing).
    pub net_benefit_mean: f64,
    /// Share of simulated years it comes out ahead (none for buying nothing).
    pub p_net_positive: Option<f64>,
    /// The 90th percentile of a year's attack losses with it.
    pub annual_loss_p90: f64,
}

/// Every variant within the budget, best first, then those over it (cheapest first).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Budget {
    /// The yearly amount available for owning controls.
    pub amount: f64,
    pub within: Vec<Portfolio>,
    pub over: Vec<Portfolio>,
}

/// Rank the sweep's variants as portfolios within `amount` a year. Needs the scenario's
/// `risk` section (the prices and the year).
pub fn budget(s: &SweepSummary, amount: f64) -> Result<Budget, SweepError> {
    if !(amount.is_finite() && amount >= 0.0) {
        return Err(SweepError::Usage(format!(
            "--budget {amount}: give an amount per year ≥ 0, e.g. --budget 20000"
        )));
    }
    let Some(annual) = &s.annual else {
        return Err(SweepError::Usage(
            "--budget needs the scenario's `risk` section (how often a campaign comes and \
             what each control costs to own): see the reference's RiskSpec"
                .into(),
        ));
    };
    let own0 = annual.first().map_or(0.0, |a| a.ownership);
    let fr0 = annual.first().map_or(0.0, |a| a.friction.mean);
    let all: Vec<Portfolio> = annual
        .iter()
        .map(|a| Portfolio {
            name: a.name.clone(),
            ownership_added: round(a.ownership - own0, 2),
            friction_added: round(a.friction.mean - fr0, 2),
            net_benefit_mean: a
                .vs_baseline
                .as_ref()
                .map_or(0.0, |d| d.net_benefit_mean.mean),
            p_net_positive: a.vs_baseline.as_ref().map(|d| d.p_net_positive),
            annual_loss_p90: a.annual_loss.p90,
        })
        .collect();
    let (mut within, mut over): (Vec<_>, Vec<_>) =
        all.into_iter().partition(|p| p.ownership_added <= amount);
    within.sort_by(|a, b| {
        b.net_benefit_mean
            .total_cmp(&a.net_benefit_mean)
            .then(a.ownership_added.total_cmp(&b.ownership_added))
            .then_with(|| a.name.cmp(&b.name))
    });
    over.sort_by(|a, b| {
        a.ownership_added
            .total_cmp(&b.ownership_added)
            .then_with(|| a.name.cmp(&b.name))
    });
    Ok(Budget {
        amount,
        within,
        over,
    })
}
