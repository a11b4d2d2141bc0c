//! Warnings about how far a run's numbers can be trusted: inputs the scenario marks as
//! assumed (`assumed = ["traffic", "demand"]`, written by `crossover import`), a weekly
//! pattern cut short by the horizon, intervals too few replications cannot give, and
//! intervals wider than the estimate. Each says what to change. They are drawn from the run's files alone (the
//! resolved scenario and summary.csv), so `crossover plot` puts the same ones in the
//! report as the run that printed them.

use crate::plot_dir::PlatformRow;
use crossover_engine::time::{NANOS_PER_DAY, NANOS_PER_WEEK as WEEK};

/// Fewer replications than this give no useful interval: with two, the Student-t factor
/// is 12.7 and the interval spans most plausible values.
pub const MIN_REPLICATIONS: u64 = 3;

/// The caveat of a scenario whose traffic is a placeholder (`assumed = ["traffic"]`).
pub const ASSUMED_TRAFFIC: &str = "the traffic is assumed, not measured (the scenario's `assumed` \
     lists it: crossover import found no traffic in the deployment files and used the default \
     profile): the costs and latencies are those of that traffic, not of yours; give the real \
     traffic with crossover import --traffic FILE, or edit [traffic]";

/// The caveat of a scenario whose work per request is a placeholder (`assumed = ["demand"]`).
pub const ASSUMED_DEMAND: &str = "the work per request is assumed, not measured (the scenario's \
     `assumed` lists it: deployment files do not say how long a request takes): set each \
     service's cpu and io from your traces or APM before trusting the latencies";

/// The warnings for a run whose resolved scenario is `resolved` and whose summary rows
/// are `summary`, in a fixed order.
pub fn caveats(summary: &[PlatformRow], resolved: Option<&str>) -> Vec<String> {
    let doc: Option<toml::Table> = resolved.and_then(|t| toml::from_str(t).ok());
    let get = |section: &str, key: &str| doc.as_ref()?.get(section)?.get(key).cloned();
    let mut out = Vec::new();
    let assumed: Vec<String> = doc
        .as_ref()
        .and_then(|d| d.get("assumed")?.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    if assumed.iter().any(|a| a == "traffic") {
        out.push(ASSUMED_TRAFFIC.to_string());
    }
    if assumed.iter().any(|a| a == "demand") {
        out.push(ASSUMED_DEMAND.to_string());
    }
    let horizon = get("simulation", "horizon")
        .and_then(|v| v.as_str().and_then(|s| crossover_scenario::units::parse_duration(s).ok()));
    if let Some(horizon) = horizon.map(|h| h.as_nanos()) {
        if weekly(&get("traffic", "weekend_factor"), &get("traffic", "weekly_factors")) && horizon % WEEK != 0
        {
            let days = horizon as f64 / NANOS_PER_DAY as f64;
            out.push(format!(
                "the traffic has a weekly pattern, but the {} horizon is not a whole number of weeks: \
                 the month is scaled from {} (the simulation starts on a Monday), so costs lean towards \
                 those days; set --set simulation.horizon=7d (or 14d, 21d, 28d)",
                get("simulation", "horizon").and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(),
                covered(days),
            ));
        }
    }
    let n = get("simulation", "replications").and_then(|v| v.as_integer()).unwrap_or(0);
    let n = u64::try_from(n).unwrap_or(0);
    if n == 1 {
        out.push(
            "one replication gives no confidence interval: every ± is printed as 0.00, which means \
             unknown, not exact; run at least 3 (-n 5)"
                .to_string(),
        );
    } else if (2..MIN_REPLICATIONS).contains(&n) {
        out.push(format!(
            "{n} replications give intervals too wide to compare platforms by (the 95% factor for 2 is \
             12.7, against 2.8 for 5); run at least {MIN_REPLICATIONS} (-n 5)"
        ));
    }
    if n >= 2 {
        for p in summary {
            let mut wide = Vec::new();
            if p.cost_ci > p.cost && p.cost > 0.0 {
                wide.push(format!("monthly cost ${:.2} ± {:.2}", p.cost, p.cost_ci));
            }
            if p.p99_ci > p.p99 && p.p99 > 0.0 {
                wide.push(format!("p99 {:.1} ms ± {:.1} ms", p.p99, p.p99_ci));
            }
            if !wide.is_empty() {
                out.push(format!(
                    "{}: the 95% interval is wider than the estimate ({}): its replications disagree \
                     too much for the figure to mean much; run more replications (-n) or a longer \
                     horizon (--set simulation.horizon=...)",
                    p.name,
                    wide.join(", ")
                ));
            }
        }
    }
    out
}

/// Whether the traffic's rate changes with the day of the week.
fn weekly(weekend_factor: &Option<toml::Value>, weekly_factors: &Option<toml::Value>) -> bool {
    let number = |v: &toml::Value| v.as_float().or_else(|| v.as_integer().map(|i| i as f64));
    let weekend = weekend_factor.as_ref().and_then(number).is_some_and(|f| f != 1.0);
    let factors = weekly_factors.as_ref().and_then(|v| v.as_array()).is_some_and(|a| {
        let f: Vec<Option<f64>> = a.iter().map(number).collect();
        f.windows(2).any(|w| w[0] != w[1])
    });
    weekend || factors
}

/// The days a horizon of `days` covers, from Monday: "Monday only", "Monday to Wednesday",
/// or "1 week and Monday to Tuesday".
fn covered(days: f64) -> String {
    const NAMES: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
    let weeks = (days / 7.0).floor() as u64;
    let rest = days - 7.0 * weeks as f64;
    let last = (rest.ceil() as usize).clamp(1, 7) - 1;
    let part = if rest < 1.0 {
        let hours = rest * 24.0;
        format!("{hours:.0} hours of a Monday")
    } else if last == 0 {
        "Monday only".to_string()
    } else {
        format!("Monday to {}", NAMES[last])
    };
    match weeks {
        0 => part,
        1 => format!("1 week and {part}"),
        w => format!("{w} weeks and {part}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, cost: f64, cost_ci: f64, p99: f64, p99_ci: f64) -> PlatformRow {
        PlatformRow { name: name.into(), cost, cost_ci, p99, p99_ci, ..PlatformRow::default() }
    }

    const WEEKLY: &str =
        "[simulation]\nhorizon = \"1d\"\nreplications = 6\n[traffic]\nweekend_factor = 0.2\n";

    #[test]
    fn a_weekly_pattern_cut_short_is_named_with_its_fix() {
        let c = caveats(&[], Some(WEEKLY));
        assert_eq!(c.len(), 1, "{c:?}");
        assert!(c[0].contains("not a whole number of weeks") && c[0].contains("Monday only"), "{}", c[0]);
        assert!(c[0].contains("simulation.horizon=7d"));
        assert!(caveats(&[], Some(&WEEKLY.replace("1d", "7d"))).is_empty());
        assert!(caveats(&[], Some(&WEEKLY.replace("1d", "14d"))).is_empty());
        assert!(
            caveats(&[], Some(&WEEKLY.replace("1d", "10d")))[0].contains("1 week and Monday to Wednesday")
        );
        // No weekly pattern, no warning, whatever the horizon.
        assert!(caveats(&[], Some(&WEEKLY.replace("0.2", "1.0"))).is_empty());
        let flat = "[simulation]\nhorizon = \"1d\"\nreplications = 6\n[traffic]\nweekly_factors = [1, 1, 1, 1, 1, 1, 1]\n";
        assert!(caveats(&[], Some(flat)).is_empty());
        assert_eq!(caveats(&[], Some(&flat.replace("1, 1]", "1, 0.5]"))).len(), 1);
    }

    #[test]
    fn assumed_inputs_are_named_first() {
        let both = "assumed = [\"traffic\", \"demand\"]\n[simulation]\nhorizon = \"7d\"\nreplications = 5\n";
        let c = caveats(&[], Some(both));
        assert_eq!(c, vec![ASSUMED_TRAFFIC.to_string(), ASSUMED_DEMAND.to_string()]);
        assert!(c[0].contains("traffic is assumed") && c[0].contains("--traffic"));
        let demand = both.replace("\"traffic\", ", "");
        assert_eq!(caveats(&[], Some(&demand)), vec![ASSUMED_DEMAND.to_string()]);
        assert!(caveats(&[], Some(&both.replace("assumed = [\"traffic\", \"demand\"]\n", ""))).is_empty());
    }

    #[test]
    fn too_few_replications_and_wide_intervals_are_named() {
        let one = "[simulation]\nhorizon = \"7d\"\nreplications = 1\n";
        let c = caveats(&[row("a", 10.0, 0.0, 100.0, 0.0)], Some(one));
        assert_eq!(c.len(), 1);
        assert!(c[0].contains("0.00") && c[0].contains("-n"), "{}", c[0]);
        let two = one.replace("= 1", "= 2");
        let c = caveats(&[row("a", 10.0, 1.0, 1266.7, 23000.5), row("b", 10.0, 1.0, 100.0, 5.0)], Some(&two));
        assert_eq!(c.len(), 2, "{c:?}");
        assert!(c[0].contains("2 replications"));
        assert!(c[1].starts_with("a: ") && c[1].contains("p99 1266.7 ms ± 23000.5 ms"), "{}", c[1]);
        let five = one.replace("= 1", "= 5");
        assert!(caveats(&[row("a", 10.0, 1.0, 100.0, 5.0)], Some(&five)).is_empty());
        assert_eq!(caveats(&[row("a", 10.0, 11.0, 100.0, 5.0)], Some(&five)).len(), 1);
        assert!(caveats(&[], None).is_empty());
    }
}
