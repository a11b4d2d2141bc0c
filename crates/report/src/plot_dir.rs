//! What the charts and the report are drawn from: the files of a run folder, parsed.
//!
//! Charts never look at a `RunResult`: a run writes its CSVs, then draws from those
//! same bytes, and `crossover plot DIR` draws from the files on disk, so re-plotting a
//! folder reproduces its charts and report byte for byte.

use crate::PlotError;
use std::collections::BTreeMap;
use std::path::Path;

/// The files a report may use, by name; every one is optional except that a folder
/// needs `summary.csv` or `sweep.csv`.
pub const INPUT_FILES: &[&str] = &[
    "summary.csv",
    "services.csv",
    "latency.csv",
    "timeline.csv",
    "sweep.csv",
    "crossovers.csv",
    "commitments.csv",
    "scenario.resolved.toml",
];

/// Named file contents.
#[derive(Clone, Debug, Default)]
pub struct RunFiles {
    files: BTreeMap<String, Vec<u8>>,
}

impl RunFiles {
    pub fn insert(&mut self, name: &str, bytes: Vec<u8>) {
        self.files.insert(name.to_string(), bytes);
    }

    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.files.get(name).map(Vec::as_slice)
    }

    /// Reads every [`INPUT_FILES`] entry present in `dir`. Each must be a regular file
    /// (followed through a link): a FIFO or a device of that name never ended.
    pub fn read_dir(dir: &Path) -> Result<RunFiles, PlotError> {
        if !dir.is_dir() {
            return Err(PlotError::NotAFolder(dir.to_path_buf()));
        }
        let mut files = RunFiles::default();
        for name in INPUT_FILES {
            let path = dir.join(name);
            if std::fs::metadata(&path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
                return Err(PlotError::NotAFile(path));
            }
            match std::fs::read(&path) {
                Ok(bytes) => files.insert(name, bytes),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => return Err(PlotError::Read { path, source }),
            }
        }
        // The files every run or sweep writes rows into, cut after their header: refused
        // rather than drawn as an empty report over the folder's good one.
        for (name, why) in [
            ("summary.csv", "a run writes a row per platform"),
            ("sweep.csv", "a sweep writes a row per point and platform"),
        ] {
            if let Some(bytes) = files.get(name) {
                Table::parse(name, bytes)?.require_rows(why)?;
            }
        }
        Ok(files)
    }
}

/// The largest magnitude a number read back may have. No run writes more: latencies
/// stop at the histogram's 24 h (8.64e7 ms), and 1e15 dollars a month or requests is
/// beyond any horizon the resource guard lets through.
pub const MAX_CELL: f64 = 1e15;

/// A CSV file held as text cells, looked up by column name.
#[derive(Clone, Debug, Default)]
pub struct Table {
    pub file: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// An error unless the file has a row after its header.
    pub fn require_rows(&self, why: &str) -> Result<(), PlotError> {
        if self.rows.is_empty() {
            return Err(PlotError::Csv {
                file: self.file.clone(),
                line: 2,
                message: format!("no rows after the header ({why}): is the file cut short?"),
            });
        }
        Ok(())
    }

    pub fn parse(file: &str, bytes: &[u8]) -> Result<Table, PlotError> {
        let bad = |line: u64, message: String| PlotError::Csv { file: file.to_string(), line, message };
        let mut r = csv::ReaderBuilder::new().has_headers(true).from_reader(bytes);
        let header: Vec<String> =
            r.headers().map_err(|e| bad(1, e.to_string()))?.iter().map(str::to_string).collect();
        let mut rows = Vec::new();
        for (i, rec) in r.records().enumerate() {
            let rec = rec.map_err(|e| bad(i as u64 + 2, e.to_string()))?;
            rows.push(rec.iter().map(str::to_string).collect());
        }
        Ok(Table { file: file.to_string(), header, rows })
    }

    pub fn col(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    pub fn require(&self, name: &str) -> Result<usize, PlotError> {
        self.col(name).ok_or_else(|| PlotError::Csv {
            file: self.file.clone(),
            line: 1,
            message: format!("no column `{name}`"),
        })
    }

    /// The number in column `c` of row `i`; an empty cell is `None`. Only finite numbers
    /// within [`MAX_CELL`] are read: an axis spanning 1e300 made the charts' tick
    /// generation spin for ever, and NaN or infinity would be drawn as if they were data.
    pub fn num(&self, i: usize, c: usize) -> Result<Option<f64>, PlotError> {
        let cell = self.rows[i].get(c).map(String::as_str).unwrap_or("").trim();
        if cell.is_empty() {
            return Ok(None);
        }
        let bad = |message: String| PlotError::Csv { file: self.file.clone(), line: i as u64 + 2, message };
        let v = cell
            .parse::<f64>()
            .map_err(|_| bad(format!("`{}` is not a number in column `{}`", cell, self.header[c])))?;
        if !v.is_finite() || v.abs() > MAX_CELL {
            return Err(bad(format!(
                "`{}` in column `{}`: a run writes finite numbers of magnitude at most {MAX_CELL:e}",
                cell, self.header[c]
            )));
        }
        Ok(Some(v))
    }

    /// The platform name in column `c` of row `i`, checked as a scenario's would be.
    fn platform(&self, i: usize, c: usize) -> Result<&str, PlotError> {
        self.name(i, c, "platform")
    }

    /// A name in column `c` of row `i` (`what`: platform, service), refused if a
    /// scenario could not give it (control characters, a separator, too long).
    fn name(&self, i: usize, c: usize, what: &str) -> Result<&str, PlotError> {
        let name = self.text(i, c);
        match crossover_scenario::names::platform_name_problem(name) {
            None => Ok(name),
            Some(problem) => Err(PlotError::Csv {
                file: self.file.clone(),
                line: i as u64 + 2,
                message: format!("the {what} name {problem}"),
            }),
        }
    }

    /// `true`, `false` or empty (`None`) in column `name` of row `i`.
    fn flag(&self, i: usize, name: &str) -> Result<Option<bool>, PlotError> {
        let Some(c) = self.col(name) else { return Ok(None) };
        match self.text(i, c).trim() {
            "" => Ok(None),
            "true" => Ok(Some(true)),
            "false" => Ok(Some(false)),
            other => Err(PlotError::Csv {
                file: self.file.clone(),
                line: i as u64 + 2,
                message: format!("`{other}` in column `{name}`: expected true, false or nothing"),
            }),
        }
    }

    fn opt_num(&self, i: usize, name: &str) -> Result<Option<f64>, PlotError> {
        match self.col(name) {
            Some(c) => self.num(i, c),
            None => Ok(None),
        }
    }

    fn num_or(&self, i: usize, name: &str, default: f64) -> Result<f64, PlotError> {
        match self.col(name) {
            Some(c) => Ok(self.num(i, c)?.unwrap_or(default)),
            None => Ok(default),
        }
    }

    pub fn text(&self, i: usize, c: usize) -> &str {
        self.rows[i].get(c).map(String::as_str).unwrap_or("")
    }
}

/// The cost line items of `summary.csv`, with the labels the breakdown chart uses.
/// The first eleven make up the infrastructure cost; the last four are overhead and people.
pub const COST_ITEMS: &[(&str, &str)] = &[
    ("cost_cpu_usd", "vCPU"),
    ("cost_memory_usd", "memory"),
    ("cost_gpu_usd", "GPU"),
    ("cost_idle_usd", "idle instances"),
    ("cost_requests_usd", "requests"),
    ("cost_egress_usd", "egress"),
    ("cost_stopped_usd", "stopped machines"),
    ("cost_nodes_usd", "nodes"),
    ("cost_control_plane_usd", "control plane"),
    ("cost_fixed_usd", "other fixed fees"),
    ("cost_commitment_usd", "commitment fee"),
    ("cost_load_balancer_usd", "load balancer"),
    ("cost_nat_usd", "NAT gateway"),
    ("cost_observability_usd", "observability"),
    ("cost_people_usd", "operations people"),
];
/// The commitment fee's place in [`COST_ITEMS`].
pub const COMMITMENT_ITEM: usize = 10;
/// How many of [`COST_ITEMS`] are infrastructure.
pub const INFRA_ITEMS: usize = 11;

/// One platform's row of `summary.csv`.
#[derive(Clone, Debug, Default)]
pub struct PlatformRow {
    pub name: String,
    pub cost: f64,
    pub cost_ci: f64,
    pub overhead: f64,
    pub tco: f64,
    pub p50: f64,
    pub p99: f64,
    pub p999: f64,
    pub p99_ci: f64,
    pub requests: f64,
    pub failed: f64,
    /// Values of [`COST_ITEMS`], in that order (0 for a column the file lacks).
    pub items: Vec<f64>,
    /// Hybrids: share of requests spilled, the overflow's bill and each part's p99 (0
    /// for other platforms, or a file without the columns).
    pub spilled_fraction: f64,
    pub overflow_cost: f64,
    pub base_p99: f64,
    pub overflow_p99: f64,
}

/// One row of `services.csv`: a service of a platform's stack, or (service
/// [`crate::ALL_SERVICES`]) the stack's total with the part of its bill no service is
/// allocated.
#[derive(Clone, Debug, Default)]
pub struct ServiceRow {
    pub platform: String,
    pub service: String,
    /// Allocated cost (the stack's on the `all` row) under each cost model.
    pub cost: f64,
    pub cost_ci: f64,
    pub overhead: f64,
    pub tco: f64,
    /// Share of the stack's infrastructure bill.
    pub cost_share: f64,
    pub p50: f64,
    pub p99: f64,
    pub p999: f64,
    pub p99_ci: f64,
    /// The service's SLO in ms (none on the `all` row), p99 / SLO (the worst of the
    /// stack's on the `all` row) and whether it is met (every one, on the `all` row).
    pub slo: Option<f64>,
    pub slo_ratio: Option<f64>,
    pub meets: Option<bool>,
    pub requests: f64,
    pub failed: f64,
    /// Values of [`COST_ITEMS`], in that order.
    pub items: Vec<f64>,
    /// `all` rows: the nodes' capacity no service requested, and the rest of the bill
    /// billed once for the stack, under each cost model (0 on service rows).
    pub idle: f64,
    pub shared: f64,
    pub shared_overhead: f64,
    pub shared_tco: f64,
    /// `http`, `worker` or `cron` (empty on the `all` row, and `http` in files written
    /// before workers and jobs existed).
    pub kind: String,
    /// A worker's backlog and a scheduled job's runs (`None` where the cell is empty).
    pub jobs: JobCells,
}

/// The job columns of a `services.csv` row.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JobCells {
    pub peak_backlog: Option<f64>,
    pub mean_backlog: Option<f64>,
    pub runs: Option<f64>,
    pub missed_deadlines: Option<f64>,
    pub makespan_p50: Option<f64>,
    pub makespan_p99: Option<f64>,
    pub cost_per_run: Option<f64>,
}

impl ServiceRow {
    /// The stack's total row of its platform.
    pub fn is_total(&self) -> bool {
        self.service == crate::ALL_SERVICES
    }
}

/// The pooled latency distribution of one platform: (quantile, latency ms) points.
#[derive(Clone, Debug, Default)]
pub struct LatencyCurve {
    pub platform: String,
    pub points: Vec<(f64, f64)>,
}

/// One minute of one platform's timeline.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TimelineRow {
    pub minute: u32,
    pub arrivals: f64,
    pub mean_instances: f64,
    pub mean_nodes: f64,
    pub max_waiting: f64,
    pub p99_ms: Option<f64>,
}

#[derive(Clone, Debug, Default)]
pub struct TimelineSeries {
    pub platform: String,
    pub minutes: Vec<TimelineRow>,
}

/// A swept parameter's value: a number (durations are read in milliseconds) or, when
/// it is neither, the text as a category.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepPoint {
    /// Value of every swept column, as text.
    pub params: Vec<String>,
    pub platform: String,
    pub cost: f64,
    pub cost_ci: f64,
    pub p99: Option<f64>,
    pub p99_ci: f64,
}

/// `sweep.csv`: every column before `platform` (but a `point` index) is a swept
/// parameter named by its key path.
#[derive(Clone, Debug, Default)]
pub struct SweepData {
    pub params: Vec<String>,
    pub points: Vec<SweepPoint>,
    pub crossovers: Vec<Crossover>,
}

/// A row of `crossovers.csv`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Crossover {
    /// The swept parameter (key path); empty means the first one.
    pub parameter: String,
    /// `cost` or `p99`.
    pub metric: String,
    pub platform_a: String,
    /// Empty when the crossing is of the SLO rather than of another platform.
    pub platform_b: String,
    pub x: f64,
    pub cost_model: String,
    /// The 95% interval of `x`, when the file gives one.
    pub ci: Option<(f64, f64)>,
    /// Which platform is cheaper (or `meets` / `misses` the SLO) below and above `x`;
    /// empty when the file does not say.
    pub below: String,
    pub above: String,
}

/// Everything the charts and report use.
#[derive(Clone, Debug, Default)]
pub struct RunData {
    pub summary: Vec<PlatformRow>,
    /// `services.csv`: every platform's services and its `all` row, in file order.
    pub services: Vec<ServiceRow>,
    /// `summary.csv` as read, for the report's table.
    pub summary_table: Option<Table>,
    pub latency: Vec<LatencyCurve>,
    pub timeline: Vec<TimelineSeries>,
    pub sweep: Option<SweepData>,
    /// `scenario.resolved.toml` as text.
    pub scenario: Option<String>,
    /// `simulation.slo_p99` of the resolved scenario, in ms.
    pub slo_ms: Option<f64>,
    /// `commitments.csv` as read, when some platform has a commitment.
    pub commitments: Option<Table>,
}

impl RunData {
    pub fn parse(files: &RunFiles) -> Result<RunData, PlotError> {
        let mut data = RunData::default();
        if let Some(bytes) = files.get("summary.csv") {
            let t = Table::parse("summary.csv", bytes)?;
            data.summary = summary_rows(&t)?;
            data.summary_table = Some(t);
        }
        if let Some(bytes) = files.get("services.csv") {
            data.services = service_rows(&Table::parse("services.csv", bytes)?)?;
        }
        if let Some(bytes) = files.get("latency.csv") {
            data.latency = latency_curves(&Table::parse("latency.csv", bytes)?)?;
        }
        if let Some(bytes) = files.get("timeline.csv") {
            data.timeline = timeline_series(&Table::parse("timeline.csv", bytes)?)?;
        }
        if let Some(bytes) = files.get("commitments.csv") {
            let t = Table::parse("commitments.csv", bytes)?;
            for i in 0..t.rows.len() {
                t.platform(i, 0)?;
            }
            data.commitments = Some(t);
        }
        if let Some(bytes) = files.get("sweep.csv") {
            let mut sweep = sweep_data(&Table::parse("sweep.csv", bytes)?)?;
            if let Some(bytes) = files.get("crossovers.csv") {
                sweep.crossovers = crossovers(&Table::parse("crossovers.csv", bytes)?)?;
            }
            data.sweep = Some(sweep);
        }
        if data.summary_table.is_none() && data.sweep.is_none() {
            return Err(PlotError::NothingToPlot);
        }
        if let Some(bytes) = files.get("scenario.resolved.toml") {
            let text = String::from_utf8_lossy(bytes).into_owned();
            data.slo_ms = slo_ms(&text);
            data.scenario = Some(text);
        }
        // A single service's SLO may be its own rather than `simulation.slo_p99`.
        if data.slo_ms.is_none() && !data.is_stack() {
            data.slo_ms = data.services.iter().find_map(|r| r.slo);
        }
        Ok(data)
    }

    /// The services of the stacks (every platform runs the same), in stack order.
    pub fn service_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for r in self.services.iter().filter(|r| !r.is_total()) {
            if !names.contains(&r.service) {
                names.push(r.service.clone());
            }
        }
        names
    }

    /// Whether the platforms run stacks of several services (the report then shows
    /// each service; with one, everything reads as it did before stacks).
    pub fn is_stack(&self) -> bool {
        self.service_names().len() > 1
    }

    /// The services of `platform`'s stack (its `all` row apart).
    pub fn services_of<'a>(&'a self, platform: &'a str) -> impl Iterator<Item = &'a ServiceRow> + 'a {
        self.services.iter().filter(move |r| r.platform == platform && !r.is_total())
    }

    /// `platform`'s stack-total row, if `services.csv` has one.
    pub fn stack_total(&self, platform: &str) -> Option<&ServiceRow> {
        self.services.iter().find(|r| r.platform == platform && r.is_total())
    }

    /// Whether `platform` meets the latency target: for a stack of several services,
    /// every service with an SLO meets it (`None` when none has one); otherwise its
    /// p99 against `simulation.slo_p99`, as before stacks.
    pub fn meets_slo(&self, p: &PlatformRow) -> Option<bool> {
        if self.is_stack() {
            self.stack_total(&p.name).and_then(|t| t.meets)
        } else {
            self.slo_ms.map(|slo| p.p99 <= slo)
        }
    }

    /// Whether there is a latency target to judge by (see [`RunData::meets_slo`]).
    pub fn has_slo(&self) -> bool {
        if self.is_stack() {
            self.services.iter().any(|r| r.slo.is_some())
        } else {
            self.slo_ms.is_some()
        }
    }

    /// Platform names in run order: `summary.csv`, then any new in the sweep.
    pub fn platforms(&self) -> Vec<String> {
        let mut names: Vec<String> = self.summary.iter().map(|p| p.name.clone()).collect();
        for n in self.sweep.iter().flat_map(|s| s.points.iter().map(|p| &p.platform)) {
            if !names.contains(n) {
                names.push(n.clone());
            }
        }
        names
    }
}

/// The SLO of a resolved scenario (`simulation.slo_p99`, a duration), in ms.
fn slo_ms(toml_text: &str) -> Option<f64> {
    let doc: toml::Table = toml::from_str(toml_text).ok()?;
    let v = doc.get("simulation")?.get("slo_p99")?.as_str()?;
    let d = crossover_scenario::units::parse_duration(v).ok()?;
    Some(d.as_nanos() as f64 / 1e6)
}

fn summary_rows(t: &Table) -> Result<Vec<PlatformRow>, PlotError> {
    let platform = t.require("platform")?;
    for c in ["cost_month_usd", "p99_ms"] {
        t.require(c)?;
    }
    (0..t.rows.len())
        .map(|i| {
            let n = |name: &str| t.num_or(i, name, 0.0);
            let cost = n("cost_month_usd")?;
            Ok(PlatformRow {
                name: t.platform(i, platform)?.to_string(),
                cost,
                cost_ci: n("cost_month_ci95")?,
                overhead: t.num_or(i, "cost_overhead_month_usd", cost)?,
                tco: t.num_or(i, "cost_tco_month_usd", cost)?,
                p50: n("p50_ms")?,
                p99: n("p99_ms")?,
                p999: n("p999_ms")?,
                p99_ci: n("p99_ms_ci95")?,
                requests: n("requests")?,
                failed: n("rejected")? + n("timed_out")?,
                items: COST_ITEMS.iter().map(|(c, _)| n(c)).collect::<Result<_, _>>()?,
                spilled_fraction: n("spilled_fraction")?,
                overflow_cost: n("overflow_cost_month_usd")?,
                base_p99: n("base_p99_ms")?,
                overflow_p99: n("overflow_p99_ms")?,
            })
        })
        .collect()
}

fn service_rows(t: &Table) -> Result<Vec<ServiceRow>, PlotError> {
    let (platform, service) = (t.require("platform")?, t.require("service")?);
    for c in ["cost_month_usd", "p99_ms"] {
        t.require(c)?;
    }
    (0..t.rows.len())
        .map(|i| {
            let n = |name: &str| t.num_or(i, name, 0.0);
            let cost = n("cost_month_usd")?;
            Ok(ServiceRow {
                platform: t.platform(i, platform)?.to_string(),
                service: t.name(i, service, "service")?.to_string(),
                cost,
                cost_ci: n("cost_month_ci95")?,
                overhead: t.num_or(i, "cost_overhead_month_usd", cost)?,
                tco: t.num_or(i, "cost_tco_month_usd", cost)?,
                cost_share: n("cost_share")?,
                p50: n("p50_ms")?,
                p99: n("p99_ms")?,
                p999: n("p999_ms")?,
                p99_ci: n("p99_ms_ci95")?,
                slo: t.opt_num(i, "slo_p99_ms")?,
                slo_ratio: t.opt_num(i, "slo_ratio")?,
                meets: t.flag(i, "meets_slo")?,
                requests: n("requests")?,
                failed: n("rejected")? + n("timed_out")?,
                items: COST_ITEMS.iter().map(|(c, _)| n(c)).collect::<Result<_, _>>()?,
                idle: n("idle_month_usd")?,
                shared: n("shared_month_usd")?,
                shared_overhead: n("shared_overhead_month_usd")?,
                shared_tco: n("shared_tco_month_usd")?,
                kind: match t.col("kind") {
                    Some(c) => match t.text(i, c).trim() {
                        kind @ ("" | "http" | "worker" | "cron") => kind.to_string(),
                        other => {
                            return Err(PlotError::Csv {
                                file: t.file.clone(),
                                line: i as u64 + 2,
                                message: format!(
                                    "`{other}` in column `kind`: expected http, worker, cron or nothing"
                                ),
                            })
                        }
                    },
                    None => "http".to_string(),
                },
                jobs: JobCells {
                    peak_backlog: t.opt_num(i, "peak_backlog")?,
                    mean_backlog: t.opt_num(i, "mean_backlog")?,
                    runs: t.opt_num(i, "runs")?,
                    missed_deadlines: t.opt_num(i, "missed_deadlines")?,
                    makespan_p50: t.opt_num(i, "makespan_p50_s")?,
                    makespan_p99: t.opt_num(i, "makespan_p99_s")?,
                    cost_per_run: t.opt_num(i, "cost_per_run_usd")?,
                },
            })
        })
        .collect()
}

/// Groups rows by the `platform` column, keeping first-appearance order.
fn group<T>(
    t: &Table,
    mut row: impl FnMut(usize) -> Result<T, PlotError>,
) -> Result<Vec<(String, Vec<T>)>, PlotError> {
    let platform = t.require("platform")?;
    let mut out: Vec<(String, Vec<T>)> = Vec::new();
    for i in 0..t.rows.len() {
        let name = t.platform(i, platform)?;
        let v = row(i)?;
        match out.iter_mut().find(|(n, _)| n == name) {
            Some((_, vs)) => vs.push(v),
            None => out.push((name.to_string(), vec![v])),
        }
    }
    Ok(out)
}

fn latency_curves(t: &Table) -> Result<Vec<LatencyCurve>, PlotError> {
    let (q, ms) = (t.require("quantile")?, t.require("latency_ms")?);
    let groups = group(t, |i| Ok((t.num(i, q)?.unwrap_or(0.0), t.num(i, ms)?.unwrap_or(0.0))))?;
    Ok(groups.into_iter().map(|(platform, points)| LatencyCurve { platform, points }).collect())
}

fn timeline_series(t: &Table) -> Result<Vec<TimelineSeries>, PlotError> {
    let c = |name| t.require(name);
    let (minute, arrivals, inst, nodes, waiting, p99) = (
        c("minute")?,
        c("arrivals")?,
        c("mean_instances")?,
        c("mean_nodes")?,
        c("max_waiting")?,
        c("p99_ms")?,
    );
    let groups = group(t, |i| {
        Ok(TimelineRow {
            minute: t.num(i, minute)?.unwrap_or(0.0) as u32,
            arrivals: t.num(i, arrivals)?.unwrap_or(0.0),
            mean_instances: t.num(i, inst)?.unwrap_or(0.0),
            mean_nodes: t.num(i, nodes)?.unwrap_or(0.0),
            max_waiting: t.num(i, waiting)?.unwrap_or(0.0),
            p99_ms: t.num(i, p99)?,
        })
    })?;
    Ok(groups.into_iter().map(|(platform, minutes)| TimelineSeries { platform, minutes }).collect())
}

fn sweep_data(t: &Table) -> Result<SweepData, PlotError> {
    let platform = t.require("platform")?;
    let cost = t.require("cost_month_usd")?;
    // Every column before `platform` is a swept key, except a `point` index.
    let keys: Vec<usize> = (0..platform).filter(|&c| t.header[c] != "point").collect();
    if keys.is_empty() {
        return Err(PlotError::Csv {
            file: t.file.clone(),
            line: 1,
            message: "no swept parameter: the columns before `platform` name the swept keys".into(),
        });
    }
    let params = keys.iter().map(|&c| t.header[c].clone()).collect();
    let mut points = Vec::new();
    for i in 0..t.rows.len() {
        points.push(SweepPoint {
            params: keys.iter().map(|&c| t.text(i, c).to_string()).collect(),
            platform: t.platform(i, platform)?.to_string(),
            cost: t.num(i, cost)?.unwrap_or(0.0),
            cost_ci: t.num_or(i, "cost_month_ci95", 0.0)?,
            p99: match t.col("p99_ms") {
                Some(c) => t.num(i, c)?,
                None => None,
            },
            p99_ci: t.num_or(i, "p99_ms_ci95", 0.0)?,
        });
    }
    Ok(SweepData { params, points, crossovers: Vec::new() })
}

fn crossovers(t: &Table) -> Result<Vec<Crossover>, PlotError> {
    let a = t.require("platform_a")?;
    let x = match t.col("crossing") {
        Some(c) => c,
        None => t.require("x")?,
    };
    let text = |i: usize, name: &str| t.col(name).map(|c| t.text(i, c).to_string()).unwrap_or_default();
    let parameter = if t.col("parameter").is_some() { "parameter" } else { "dimension" };
    let mut out = Vec::new();
    for i in 0..t.rows.len() {
        let Some(value) = t.num(i, x)? else { continue };
        let metric = text(i, "metric");
        let bound = |name: &str| -> Result<Option<f64>, PlotError> {
            match t.col(name) {
                Some(c) => t.num(i, c),
                None => Ok(None),
            }
        };
        let ci = match (bound("ci95_low")?, bound("ci95_high")?) {
            (Some(lo), Some(hi)) => Some((lo, hi)),
            _ => None,
        };
        out.push(Crossover {
            parameter: text(i, parameter),
            metric: if metric.is_empty() { "cost".into() } else { metric },
            platform_a: t.text(i, a).to_string(),
            platform_b: text(i, "platform_b"),
            x: value,
            cost_model: text(i, "cost_model"),
            ci,
            below: text(i, "below"),
            above: text(i, "above"),
        });
    }
    Ok(out)
}

/// A swept value as a number: a plain number, or a duration in milliseconds.
pub fn param_number(text: &str) -> Option<f64> {
    let t = text.trim();
    if let Ok(v) = t.parse::<f64>() {
        // Beyond MAX_CELL a value is read as a category, never as an axis position.
        return (v.is_finite() && v.abs() <= MAX_CELL).then_some(v);
    }
    crossover_scenario::units::parse_duration(t).ok().map(|d| d.as_nanos() as f64 / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slo_comes_from_the_resolved_scenario() {
        assert_eq!(slo_ms("[simulation]\nslo_p99 = \"300ms\"\n"), Some(300.0));
        assert_eq!(slo_ms("[simulation]\nseed = 1\n"), None);
        assert_eq!(slo_ms("not toml ["), None);
    }

    #[test]
    fn swept_values_are_numbers_or_durations() {
        assert_eq!(param_number("42"), Some(42.0));
        assert_eq!(param_number("1.5s"), Some(1500.0));
        assert_eq!(param_number("go"), None);
    }

    /// Values no run writes (NaN, infinity, 1e300) are refused with their place: a
    /// 1e300 p99 once made `crossover plot` spin for ever on the axis ticks.
    #[test]
    fn absurd_numbers_are_refused_not_drawn() {
        for v in ["NaN", "inf", "-inf", "1e300", "-2e15"] {
            let csv = format!("platform,cost_month_usd,p99_ms\na,1,2\nb,3,{v}\n");
            let t = Table::parse("summary.csv", csv.as_bytes()).unwrap();
            let e = summary_rows(&t).unwrap_err().to_string();
            assert!(e.contains("line 3") && e.contains("p99_ms") && e.contains("1e15"), "{v}: {e}");
        }
        let t = Table::parse("s.csv", b"platform,cost_month_usd,p99_ms\nx\x1b[2J,1,2\n").unwrap();
        assert!(summary_rows(&t).unwrap_err().to_string().contains("control character"));
        assert_eq!(param_number("1e300"), None);
    }

    #[test]
    fn a_bad_cell_names_file_line_and_column() {
        let t = Table::parse("x.csv", b"platform,cost_month_usd,p99_ms\na,1,2\nb,oops,3\n").unwrap();
        let e = summary_rows(&t).unwrap_err().to_string();
        assert!(e.contains("x.csv") && e.contains("line 3") && e.contains("cost_month_usd"), "{e}");
    }
}
