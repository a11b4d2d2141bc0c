//! Stacks in the scenario format: `[[service]]` entries, their traffic (own, or the
//! top-level `[traffic]` times `share`), per-service platform overrides, and the errors
//! each of them can raise, located like every other.

use crossover_engine::SimDuration;
use crossover_platform::{AutoscalerSpec, Hpa, HpaMetric, PlatformSpec, RouterSpec};
use crossover_scenario::{parse, parse_with_overrides, Override, Scenario, ScenarioError};
use crossover_workload::{DailyProfile, Source, Traffic};

const STACK: &str = r#"name = "shop"
[simulation]
horizon = "1d"
slo_p99 = "2s"

[traffic]
profile = "constant"
rps = 10.0

[[service]]
name = "api"
cpu = { dist = "lognormal", p50 = "20ms", p99 = "250ms" }
io = "15ms"
response_size = "20KB"
slo_p99 = "500ms"
[service.traffic]
profile = "diurnal"
trough_rps = 1.0
peak_rps = 25.0

[[service]]
name = "admin"
cpu = "40ms"
traffic = { share = 0.3 }

[[service]]
name = "worker"
cpu = "100ms"

[[platform]]
name = "eks"
preset = "eks"
[platform.services.api]
instance = { cpu = 2, memory = "4GiB" }
min_instances = 2
autoscaler = { target = 0.5 }

[[platform]]
name = "run"
preset = "cloud-run"
[platform.services.admin]
max_instances = 5
router = { timeout = "5s" }
"#;

fn ok(text: &str) -> Scenario {
    parse(text, "stack.toml", "stack").unwrap_or_else(|e| panic!("{e}\n---\n{text}"))
}

fn err(text: &str) -> ScenarioError {
    match parse(text, "stack.toml", "stack") {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e,
    }
}

/// The diagnostic at `key`, which must exist.
fn at<'a>(e: &'a ScenarioError, key: &str) -> &'a crossover_scenario::Diagnostic {
    e.diagnostics.iter().find(|d| d.key == key).unwrap_or_else(|| panic!("nothing at `{key}`:\n{e}"))
}

fn spec<'a>(s: &'a Scenario, platform: &str, service: &str) -> &'a PlatformSpec {
    let p = s.platforms.iter().find(|p| p.name == platform).unwrap();
    let i = s.services.iter().position(|l| l.name == service).unwrap();
    &p.services[i]
}

fn constant_rps(t: &Traffic) -> f64 {
    match &t.source {
        Source::Pattern(p) => match p.daily {
            DailyProfile::Constant { rps } => rps,
            ref other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

#[test]
fn each_service_gets_the_platform_with_only_its_own_overrides() {
    let s = ok(STACK);
    let names: Vec<&str> = s.services.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["api", "admin", "worker"]);
    assert_eq!(s.platforms.len(), 2);
    for p in &s.platforms {
        assert_eq!(p.services.len(), 3, "{}", p.name);
        assert!(p.services.iter().all(|spec| spec.name == p.name && spec.tariff == p.shared().tariff));
    }

    let (api, admin, worker) = (spec(&s, "eks", "api"), spec(&s, "eks", "admin"), spec(&s, "eks", "worker"));
    assert_eq!((api.instance.vcpu, api.instance.memory_gib, api.min_instances), (2.0, 4.0, 2));
    // The override merged over the preset's HPA: its target changed, the rest kept.
    let AutoscalerSpec::Hpa(Hpa { metric: HpaMetric::Cpu { target_utilization }, .. }) = &api.autoscaler
    else {
        panic!("{:?}", api.autoscaler)
    };
    assert_eq!(*target_utilization, 0.5);
    let AutoscalerSpec::Hpa(Hpa { metric: HpaMetric::Cpu { target_utilization }, .. }) = &admin.autoscaler
    else {
        panic!("{:?}", admin.autoscaler)
    };
    assert_eq!(*target_utilization, 0.6);
    // Without overrides a service runs on the platform entry exactly as written.
    assert_eq!(admin, worker);
    assert_ne!(admin.instance, api.instance);
    assert_eq!(api.nodes, admin.nodes);

    let (run_api, run_admin) = (spec(&s, "run", "api"), spec(&s, "run", "admin"));
    assert_eq!(run_admin.max_instances, 5);
    assert_ne!(run_api.max_instances, 5);
    assert!(
        matches!(run_admin.router, RouterSpec::CentralQueue { queue_timeout, .. } if queue_timeout == SimDuration::from_secs(5))
    );
    assert_ne!(run_api.router, run_admin.router);
    assert_eq!(spec(&s, "run", "worker"), run_api);
}

#[test]
fn slos_fall_back_to_the_simulation_and_traffic_to_the_top_level() {
    let s = ok(STACK);
    let slo = |i: usize| s.services[i].slo_p99;
    assert_eq!(slo(0), Some(SimDuration::from_millis(500)));
    assert_eq!(slo(1), Some(SimDuration::from_secs(2)));
    assert_eq!(slo(2), Some(SimDuration::from_secs(2)));
    assert_eq!(s.slo_p99, Some(SimDuration::from_secs(2)));
    let none = ok(&STACK.replace("slo_p99 = \"2s\"\n", ""));
    assert_eq!(
        (none.services[0].slo_p99, none.services[1].slo_p99),
        (Some(SimDuration::from_millis(500)), None)
    );

    let Source::Pattern(p) = &s.services[0].traffic.source else { panic!() };
    assert!(
        matches!(p.daily, DailyProfile::Diurnal { trough_rps: 1.0, peak_rps: 25.0, .. }),
        "{:?}",
        p.daily
    );
    assert_eq!(constant_rps(&s.services[1].traffic), 10.0 * 0.3);
    assert_eq!(constant_rps(&s.services[2].traffic), 10.0);
    // 20 KB is 20,000 bytes.
    assert!((s.services[0].response_gb - 20e3 / 1e9).abs() < 1e-15, "{}", s.services[0].response_gb);
}

#[test]
fn share_multiplies_the_rate_of_every_kind_of_traffic() {
    let with = |traffic: &str| {
        let text = format!(
            "[[service]]\nname = \"a\"\ncpu = \"1ms\"\ntraffic = {traffic}\n[[platform]]\nname = \"p\"\n\
             autoscaler = {{ kind = \"fixed\", instances = 1 }}\n"
        );
        ok(&text).services.remove(0).traffic
    };
    assert_eq!(constant_rps(&with("{ profile = \"constant\", rps = 4.0, share = 0.25 }")), 1.0);
    let diurnal = with("{ profile = \"diurnal\", trough_rps = 2.0, peak_rps = 30.0, share = 0.5 }");
    let plain = with("{ profile = \"diurnal\", trough_rps = 2.0, peak_rps = 30.0 }");
    let hourly = with("{ profile = \"hourly\", hourly_weights = [1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1], mean_rps = 3.0, share = 3.0 }");
    let hourly_plain = with("{ profile = \"hourly\", hourly_weights = [1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1], mean_rps = 3.0 }");
    for minute in (0..7 * 24 * 60).step_by(17) {
        let t = crossover_engine::SimTime(minute * 60_000_000_000 + 1);
        assert_eq!(diurnal.rate(t), plain.rate(t) * 0.5, "minute {minute}");
        let (h, hp) = (hourly.rate(t), hourly_plain.rate(t));
        assert!((h - hp * 3.0).abs() <= 1e-12 * hp, "minute {minute}: {h} vs {hp}");
    }
    // Fluctuations apply on top of the scaled rate, unchanged.
    let bursty = with("{ profile = \"constant\", rps = 4.0, share = 2.0, bursts = { per_day = 3 } }");
    assert_eq!(constant_rps(&bursty), 8.0);
    assert_eq!(bursty.fluctuations.bursts.unwrap().per_day, 3.0);
}

/// A scratch folder, unique per test.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("crossover-stacks-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn share_scales_a_trace_and_thins_recorded_timestamps_evenly() {
    let dir = scratch("share");
    std::fs::write(dir.join("inv.csv"), "HashOwner,HashApp,HashFunction,Trigger,1,2\no,a,f,http,60,120\n")
        .unwrap();
    let times: Vec<String> = (0..10).map(|i| format!("{i}.0")).collect();
    std::fs::write(dir.join("log.csv"), format!("timestamp\n{}\n", times.join("\n"))).unwrap();
    let text = |traffic: &str| {
        format!(
            "[traffic]\n{traffic}\n[[service]]\nname = \"a\"\ncpu = \"1ms\"\ntraffic = {{ share = 0.3 }}\n\
             [[service]]\nname = \"b\"\ncpu = \"1ms\"\n[[platform]]\nname = \"p\"\n\
             autoscaler = {{ kind = \"fixed\", instances = 1 }}\n"
        )
    };
    let s = crossover_scenario::parse_in(
        &text("profile = \"trace\"\ntrace = { file = \"inv.csv\", scale = 2 }"),
        "s.toml",
        "s",
        &dir,
    )
    .unwrap();
    let (Source::MinuteCounts(a), Source::MinuteCounts(b)) =
        (&s.services[0].traffic.source, &s.services[1].traffic.source)
    else {
        panic!()
    };
    for m in 0..2u64 {
        let t = m * 60_000_000_000;
        assert!((a.rate(t) - b.rate(t) * 0.3).abs() < 1e-12, "{} vs {}", a.rate(t), b.rate(t));
    }
    assert_eq!(b.rate(0), 2.0);

    let timestamps = text("profile = \"timestamps\"\ntimestamps = { file = \"log.csv\" }");
    let s = crossover_scenario::parse_in(&timestamps, "s.toml", "s", &dir).unwrap();
    let (Source::Timestamps(a), Source::Timestamps(b)) =
        (&s.services[0].traffic.source, &s.services[1].traffic.source)
    else {
        panic!()
    };
    assert_eq!(b.len(), 10);
    // floor(10 x 0.3) = 3 requests, evenly spread: the 3rd, 6th and 9th (i = 3, 6, 9
    // where floor((i + 1) x 0.3) steps up).
    assert_eq!(a.times(), &[3_000_000_000, 6_000_000_000, 9_000_000_000]);

    let e =
        crossover_scenario::parse_in(&timestamps.replace("share = 0.3", "share = 2.0"), "s.toml", "s", &dir)
            .unwrap_err();
    let d = at(&e, "service[0].traffic.share");
    assert!(d.message.contains("instants no one recorded"), "{e}");
    assert_eq!(d.line, 7);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_share_out_of_range_or_beyond_the_rate_bound_is_located() {
    // A subnormal share (1e-320) passed `> 0` and gave the service no traffic.
    for bad in ["0", "-1.0", "1001", "nan", "1e-320", "1e-10"] {
        let e = err(&STACK.replace("share = 0.3", &format!("share = {bad}")));
        let d = at(&e, "service[1].traffic.share");
        assert!(d.message.contains("must be between 1e-9 and 1000"), "{bad}: {e}");
        assert_eq!(d.line, 24, "{e}");
    }
    let e = err(&STACK.replace("rps = 10.0", "rps = 999999.0").replace("share = 0.3", "share = 2.0"));
    assert!(at(&e, "service[1].traffic.share").message.contains("makes the peak rate"), "{e}");
    // In the top-level [traffic] it scales every service that inherits it.
    let s = ok(&STACK.replace("rps = 10.0", "rps = 10.0\nshare = 0.5"));
    assert_eq!(constant_rps(&s.services[1].traffic), 10.0 * 0.5 * 0.3);
    assert_eq!(constant_rps(&s.services[2].traffic), 5.0);
}

#[test]
fn a_traffic_without_profile_takes_only_share() {
    let e = err(&STACK.replace("traffic = { share = 0.3 }", "traffic = { share = 0.3, rps = 3.0 }"));
    let d = at(&e, "service[1].traffic.rps");
    assert!(d.message.contains("has no `profile`") && d.message.contains("add `profile = ...`"), "{e}");
    assert_eq!(e.diagnostics.len(), 1, "{e}");
}

#[test]
fn the_top_level_traffic_is_required_when_inherited_and_refused_when_unused() {
    let without = STACK.replace("[traffic]\nprofile = \"constant\"\nrps = 10.0\n", "");
    let e = err(&without);
    let d = at(&e, "service[1].name");
    assert!(d.message.contains("service \"admin\" has no `traffic` of its own"), "{e}");
    assert!(at(&e, "service[2].name").message.contains("\"worker\""), "{e}");
    assert_eq!(e.diagnostics.len(), 2, "{e}");

    let own = STACK
        .replace("traffic = { share = 0.3 }", "traffic = { profile = \"constant\", rps = 1.0 }")
        .replace("cpu = \"100ms\"", "cpu = \"100ms\"\ntraffic = { profile = \"constant\", rps = 2.0 }");
    let e = err(&own);
    let d = at(&e, "traffic");
    assert!(d.message.contains("no service uses the top-level [traffic]"), "{e}");
    assert_eq!(d.line, 6);
    ok(&own.replace("[traffic]\nprofile = \"constant\"\nrps = 10.0\n", ""));

    // The single-service form still needs [traffic] unless its [service] has traffic.
    let single = "[service]\ncpu = \"10ms\"\n[[platform]]\nname = \"p\"\nautoscaler = { kind = \"fixed\", instances = 1 }\n";
    let e = err(single);
    assert_eq!(
        (e.diagnostics[0].key.as_str(), e.diagnostics[0].message.as_str()),
        ("traffic", "missing key `traffic`")
    );
    let s =
        ok(&single
            .replace("cpu = \"10ms\"", "cpu = \"10ms\"\ntraffic = { profile = \"constant\", rps = 3.0 }"));
    assert_eq!(constant_rps(&s.services[0].traffic), 3.0);
    let e = err(&format!("[traffic]\nrps = 1.0\n{single}"));
    assert!(
        e.diagnostics
            .iter()
            .any(|d| d.key == "traffic.profile" && d.message.contains("missing key `profile`")),
        "{e}"
    );
}

#[test]
fn names_are_required_valid_unique_and_not_all() {
    let e = err(&STACK.replace("name = \"admin\"\n", ""));
    let d = at(&e, "service[1].name");
    assert!(d.message.contains("missing key `name`"), "{e}");
    assert_eq!(d.line, 21);
    let e = err(&STACK.replace("name = \"admin\"", "name = \"api\""));
    assert!(at(&e, "service[1].name").message.contains("\"api\" is used twice"), "{e}");
    let e = err(&STACK.replace("name = \"admin\"", "name = \"all\""));
    assert!(at(&e, "service[1].name").message.contains("reserved"), "{e}");
    let e = err(&STACK.replace("name = \"admin\"", "name = \"Admin Panel\""));
    let d = at(&e, "service[1].name");
    assert!(d.message.contains("lower-case letters, digits and '-'"), "{e}");
    assert_eq!((d.line, d.column), (22, 8));
    let long = "x".repeat(10_000);
    let e = err(&STACK.replace("name = \"admin\"", &format!("name = \"{long}\"")));
    assert!(at(&e, "service[1].name").message.contains("is 10000 characters long; at most 63"), "{e}");
    // The single-service form takes an optional name by the same rules.
    let single = "[traffic]\nprofile = \"constant\"\nrps = 1.0\n[service]\nname = \"API\"\ncpu = \"10ms\"\n[[platform]]\nname = \"p\"\nautoscaler = { kind = \"fixed\", instances = 1 }\n";
    assert!(at(&err(single), "service.name").message.contains("not a service name"));
    let s = ok(&single.replace("API", "checkout"));
    assert_eq!(s.services[0].name, "checkout");
}

#[test]
fn a_stack_has_between_one_and_a_hundred_services() {
    let mut text = String::from("[traffic]\nprofile = \"constant\"\nrps = 1.0\n");
    for i in 0..101 {
        text.push_str(&format!("[[service]]\nname = \"s{i}\"\ncpu = \"1ms\"\n"));
    }
    text.push_str("[[platform]]\nname = \"p\"\nautoscaler = { kind = \"fixed\", instances = 1 }\n");
    let e = err(&format!("{text}[platform.services.s1]\nmax_instances = 3\n"));
    assert!(at(&e, "service").message.contains("at most 100 services, got 101"), "{e}");
    assert_eq!(e.diagnostics.len(), 1, "{e}");
    let hundred = text.replace("[[service]]\nname = \"s100\"\ncpu = \"1ms\"\n", "");
    assert_eq!(ok(&hundred).services.len(), 100);
    let e = err("service = []\n[traffic]\nprofile = \"constant\"\nrps = 1.0\n[[platform]]\nname = \"p\"\nautoscaler = { kind = \"fixed\", instances = 1 }\n");
    assert!(at(&e, "service").message.contains("has no service"), "{e}");
}

#[test]
fn the_two_forms_cannot_be_mixed() {
    let text = "[service]\ncpu = \"1ms\"\n[[service]]\nname = \"a\"\ncpu = \"1ms\"\n";
    let e = err(text);
    assert_eq!(e.diagnostics.len(), 1, "{e}");
    let d = &e.diagnostics[0];
    assert!(d.message.contains("`[service]` and `[[service]]` cannot both appear"), "{e}");
    assert_eq!(d.line, 3);
    let e = err("[[service]]\nname = \"a\"\ncpu = \"1ms\"\n[service]\ncpu = \"1ms\"\n");
    assert!(e.diagnostics[0].message.contains("cannot both appear"), "{e}");
    let e = err(&STACK.replace("[[platform]]\nname = \"eks\"", "service = 3\n[[platform]]\nname = \"eks\""));
    assert!(e.to_string().contains("service"), "{e}");
}

#[test]
fn overrides_name_a_known_service_and_set_only_per_service_keys() {
    let e = err(&STACK.replace("[platform.services.admin]", "[platform.services.admn]"));
    let d = at(&e, "platform[1].services.admn");
    assert!(d.message.contains("no service is named \"admn\" (did you mean \"admin\"?)"), "{e}");
    assert!(d.message.contains("`api`, `admin` or `worker`"), "{e}");
    assert_eq!(d.line, 41);

    let e = err(&STACK.replace("min_instances = 2\n", "min_instances = 2\nnodes = {}\n"));
    let d = at(&e, "platform[0].services.api.nodes");
    assert!(d.message.contains("is shared by every service of the platform"), "{e}");
    assert!(d.help.as_deref().unwrap_or_default().contains("instance"), "{e}");
    assert_eq!(e.diagnostics.len(), 1, "{e}");
    // A service's usage rates are its own; what the platform bills once is not.
    let own_rates =
        ok(&STACK.replace("min_instances = 2\n", "min_instances = 2\nbilling = { vcpu_second = 1.0 }\n"));
    assert_eq!(spec(&own_rates, "eks", "api").tariff.active.vcpu_second, 1.0);
    assert_eq!(spec(&own_rates, "eks", "admin").tariff.active.vcpu_second, 0.0);
    let e = err(&STACK
        .replace("min_instances = 2\n", "min_instances = 2\nbilling = { control_plane_monthly = 5.0 }\n"));
    assert!(
        at(&e, "platform[0].services.api.billing").message.contains("billed once for the platform"),
        "{e}"
    );

    let e = err(&STACK.replace("min_instances = 2\n", "min_instancs = 2\n"));
    let d = at(&e, "platform[0].services.api.min_instancs");
    assert_eq!(d.help.as_deref(), Some("did you mean `min_instances`?"));
    let e = err(&STACK.replace("max_instances = 5", "max_instances = \"five\""));
    assert!(at(&e, "platform[1].services.admin.max_instances").message.contains("whole number"), "{e}");
    let e = err(&STACK
        .replace("[platform.services.admin]", "[platform.services]\nadmin = 3\n[platform.services.worker]"));
    assert!(at(&e, "platform[1].services.admin").message.contains("expected a table"), "{e}");
}

#[test]
fn a_services_values_are_validated_where_it_sets_them() {
    // Cloud Run takes 1, 2, 4, 6 or 8 vCPU between 0.5 and 32 GiB: the platform's limits
    // apply to a service's instance.
    let e = err(&STACK.replace("max_instances = 5", "max_instances = 5\ninstance = { cpu = 3 }"));
    let d = at(&e, "platform[1].services.admin.instance.memory");
    assert!(d.message.contains("with 3 vCPU this platform allows"), "{e}");
    assert_eq!(e.diagnostics.len(), 1, "{e}");
    // A pod that fits no node of the shared pool is refused for that service alone.
    let e = err(&STACK.replace("cpu = 2, memory = \"4GiB\"", "cpu = 2, memory = \"64GiB\""));
    let d = at(&e, "platform[0].services.api.instance");
    assert!(d.message.contains("fits on no node"), "{e}");
    assert_eq!(e.diagnostics.len(), 1, "{e}");
    let e = err(&STACK.replace("min_instances = 2\n", "min_instances = 0\n"));
    assert!(
        at(&e, "platform[0].services.api.min_instances").message.contains("cannot scale from zero"),
        "{e}"
    );
    // A problem only the service's keys and the entry's make together is the service's.
    let e = err(&STACK
        .replace("max_instances = 5\n", "autoscaler = { kind = \"hpa\", metric = \"cpu\", target = 0.6 }\n"));
    let d = at(&e, "platform[1].services.admin.min_instances");
    assert!(d.message.starts_with("with this service's keys, the HPA cannot scale from zero"), "{e}");
    assert_eq!(d.line, 41, "{e}");
    assert_eq!(e.diagnostics.len(), 1, "{e}");
    // A problem of the entry itself is reported once, at the entry, not again for every
    // service that inherits it.
    let e = err(&STACK.replace("preset = \"cloud-run\"", "preset = \"cloud-run\"\nrequest_timeout = \"0s\""));
    assert_eq!(e.diagnostics.len(), 1, "{e}");
    assert_eq!(e.diagnostics[0].key, "platform[1].request_timeout");
    let e = err(&STACK
        .replace("preset = \"cloud-run\"", "preset = \"cloud-run\"\ninstance = { concurrency = \"x\" }"));
    assert_eq!(e.diagnostics.len(), 1, "{e}");
    assert_eq!(e.diagnostics[0].key, "platform[1].instance.concurrency");
}

#[test]
fn an_autoscaler_of_another_kind_replaces_the_platforms() {
    let s =
        ok(&STACK
            .replace("autoscaler = { target = 0.5 }", "autoscaler = { kind = \"fixed\", instances = 3 }"));
    assert_eq!(spec(&s, "eks", "api").autoscaler, AutoscalerSpec::Fixed { instances: 3 });
    let e = err(&STACK.replace("autoscaler = { target = 0.5 }", "autoscaler = { kind = \"fixed\" }"));
    assert!(at(&e, "platform[0].services.api.autoscaler.instances").message.contains("missing key"), "{e}");
    let e = err(&STACK.replace("autoscaler = { target = 0.5 }", "autoscaler = { keep_alive = \"1m\" }"));
    let d = at(&e, "platform[0].services.api.autoscaler.keep_alive");
    assert!(d.message.contains("does not apply to kind = \"hpa\""), "{e}");
}

#[test]
fn spills_are_linked_per_service() {
    let text = STACK.replace(
        "[platform.services.admin]",
        "spill = { to = \"eks\" }\n[platform.services.admin]\nspill = { to = \"eks\", threshold = 2.0 }",
    );
    let s = ok(&text);
    let api = spec(&s, "run", "api").spill.as_ref().unwrap();
    assert_eq!((api.threshold, api.to.instance.vcpu), (1.0, 2.0));
    assert_eq!(*api.to, *spec(&s, "eks", "api"));
    let admin = spec(&s, "run", "admin").spill.as_ref().unwrap();
    assert_eq!(admin.threshold, 2.0);
    assert_eq!(*admin.to, *spec(&s, "eks", "admin"));
    assert!(s.platforms[1].is_hybrid() && !s.platforms[0].is_hybrid());

    let e = err(&text.replace("spill = { to = \"eks\", threshold", "spill = { to = \"ek\", threshold"));
    let d = at(&e, "platform[1].services.admin.spill.to");
    assert!(d.message.contains("did you mean \"eks\""), "{e}");
    assert_eq!(e.diagnostics.len(), 1, "{e}");
    let e = err(&text.replace("spill = { to = \"eks\" }\n", "spill = { to = \"nowhere\" }\n"));
    // Reported once at the entry, though two services inherit it.
    assert_eq!(e.diagnostics.len(), 1, "{e}");
    assert_eq!(e.diagnostics[0].key, "platform[1].spill.to");
}

#[test]
fn overrides_address_services_and_their_platform_tables_by_name() {
    let set = |arg: &str| Override::parse(arg).unwrap();
    let s = parse_with_overrides(
        STACK,
        "stack.toml",
        "stack",
        &[
            set("service.admin.cpu=30ms"),
            set("service.api.traffic.peak_rps=40"),
            set("service[2].slo_p99=1s"),
            set("platform.eks.services.api.instance.cpu=3"),
            set("platform.run.services.worker.min_instances=1"),
        ],
    )
    .unwrap();
    assert_eq!(s.services[1].demand.cpu.mean(), 0.030);
    let Source::Pattern(p) = &s.services[0].traffic.source else { panic!() };
    assert!(matches!(p.daily, DailyProfile::Diurnal { peak_rps: 40.0, .. }));
    assert_eq!(s.services[2].slo_p99, Some(SimDuration::from_secs(1)));
    assert_eq!(spec(&s, "eks", "api").instance.vcpu, 3.0);
    assert_eq!(spec(&s, "eks", "api").instance.memory_gib, 4.0);
    assert_eq!(spec(&s, "run", "worker").min_instances, 1);
    assert_eq!(spec(&s, "run", "api").min_instances, 0);
    let resolved = s.resolved_toml("test");
    assert!(resolved.contains("[platform.services.worker]"), "{resolved}");

    let e = parse_with_overrides(
        STACK,
        "stack.toml",
        "stack",
        &[set("platform.eks.services.apii.min_instances=1")],
    )
    .unwrap_err();
    let d = at(&e, "platform[0].services.apii");
    assert_eq!(d.set_by.as_deref(), Some("--set platform.eks.services.apii.min_instances=1"));
    assert!(d.message.contains("did you mean \"api\""), "{e}");
    let e = parse_with_overrides(STACK, "stack.toml", "stack", &[set("service.wrker.cpu=1ms")]).unwrap_err();
    assert!(e.diagnostics[0].message.contains("no service named `wrker`"), "{e}");
    assert_eq!(e.diagnostics[0].help.as_deref(), Some("did you mean `service.worker`?"));
}

/// The services' loads, field by field (`ServiceLoad` has no `PartialEq`).
fn same_loads(a: &Scenario, b: &Scenario) {
    assert_eq!(a.services.len(), b.services.len());
    for (x, y) in a.services.iter().zip(&b.services) {
        assert_eq!(x.name, y.name);
        assert_eq!(x.traffic, y.traffic, "{}", x.name);
        assert_eq!(x.demand, y.demand, "{}", x.name);
        assert_eq!(x.response_gb, y.response_gb, "{}", x.name);
        assert_eq!(x.slo_p99, y.slo_p99, "{}", x.name);
    }
}

/// The resolved file parses back to the same scenario.
fn round_trip(s: &Scenario) {
    let again = parse(&s.resolved_toml("test"), "resolved", "x").unwrap_or_else(|e| panic!("{e}"));
    same_loads(&again, s);
    assert_eq!(again.platforms, s.platforms);
    assert_eq!(again.resolved_toml("test"), s.resolved_toml("test"));
}

#[test]
fn a_resolved_stack_round_trips() {
    let s = ok(STACK);
    round_trip(&s);
    let resolved = s.resolved_toml("test");
    for part in ["[[service]]", "name = \"admin\"", "[platform.services.api.instance]", "share = 0.3"] {
        assert!(resolved.contains(part), "{part} missing from\n{resolved}");
    }
    let hybrid = STACK.replace(
        "[platform.services.admin]",
        "spill = { to = \"eks\" }\n[platform.services.admin]\nspill = { to = \"eks\", threshold = 2.0 }\nautoscaler = { kind = \"schedule\", weekday = [1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1] }",
    );
    let s = ok(&hybrid);
    // The schedule's weekend, a default filled while resolving, is written back.
    assert!(s.resolved_toml("t").contains("weekend = ["), "{}", s.resolved_toml("t"));
    round_trip(&s);
}

#[test]
fn a_stack_of_one_service_named_service_is_the_single_service_form() {
    let single = r#"[traffic]
profile = "diurnal"
trough_rps = 1.0
peak_rps = 9.0
[service]
cpu = "20ms"
io = "5ms"
response_size = "10KB"
[[platform]]
name = "eks"
preset = "eks"
[[platform]]
name = "run"
preset = "cloud-run"
spill = { to = "eks" }
"#;
    let stack = single.replace("[service]", "[[service]]\nname = \"service\"");
    let (a, b) = (ok(single), ok(&stack));
    same_loads(&a, &b);
    assert_eq!(a.platforms, b.platforms);
    assert_eq!(a.services[0].name, crossover_engine::DEFAULT_SCOPE);
    assert!(a.resolved_toml("t").contains("[service]\nname = \"service\""), "{}", a.resolved_toml("t"));
    round_trip(&a);
    round_trip(&b);
    // And an override on the platform for that one service is the platform's own key.
    let overridden = format!("{stack}[platform.services.service]\nmax_instances = 7\n");
    let c = ok(&overridden);
    let d =
        parse_with_overrides(&stack, "s", "s", &[Override::parse("platform.run.max_instances=7").unwrap()])
            .unwrap();
    assert_eq!(c.platforms[1], d.platforms[1]);
}

#[test]
fn hostile_stacks_are_refused_without_panicking() {
    for text in [
        "[[service]]\n[[service]]\n".to_string(),
        "[[service]]\nname = 5\ncpu = \"1ms\"\n".to_string(),
        "[[platform]]\nname = \"p\"\nservices = 5\n".to_string(),
        "[[platform]]\nname = \"p\"\n[platform.services.\"a.b\"]\ninstance = 3\n".to_string(),
        format!("{STACK}[platform.services.worker.autoscaler]\nkind = 7\n"),
        format!("{STACK}[platform.services.worker.spill]\nthreshold = 1.0\n"),
        STACK.replace("traffic = { share = 0.3 }", "traffic = 0.3"),
        STACK.replace("traffic = { share = 0.3 }", "traffic = { share = 1e308 }"),
    ] {
        let e = err(&text);
        assert!(!e.diagnostics.is_empty());
        let _ = e.to_string();
    }
}

/// A stack with a worker and a scheduled job on the presets' platforms.
const JOBS: &str = r#"
name = "jobs"
[[service]]
name = "api"
cpu = "20ms"
traffic = { profile = "constant", rps = 2 }

[[service]]
name = "emails"
kind = "worker"
cpu = "2s"
traffic = { profile = "constant", rps = 1 }

[[service]]
name = "report"
kind = "cron"
schedule = "0 2 * * *"
tasks = 4
parallelism = 2
cpu = "5m"

[[platform]]
name = "eks"
preset = "eks"

[[platform]]
name = "lambda"
preset = "lambda"

[[platform]]
name = "fly"
preset = "fly-machines"
"#;

#[test]
fn workers_and_jobs_take_their_platforms_defaults() {
    let s = ok(JOBS);
    let emails = spec(&s, "eks", "emails");
    assert!(matches!(&emails.autoscaler, AutoscalerSpec::Hpa(h) if h.keda.is_some()), "{emails:?}");
    assert_eq!(emails.min_instances, 0);
    let report = spec(&s, "eks", "report");
    assert_eq!(report.autoscaler, AutoscalerSpec::Fixed { instances: 0 });
    assert_eq!(report.instance.concurrency, 1);
    // Fly: an always-on machine, not fly-proxy.
    assert_eq!(spec(&s, "fly", "emails").autoscaler, AutoscalerSpec::Fixed { instances: 1 });
    // The API keeps the platform's own.
    assert!(matches!(spec(&s, "fly", "api").autoscaler, AutoscalerSpec::FlyProxy(_)));
    let kinds: Vec<&str> = s.services.iter().map(|l| l.work.kind()).collect();
    assert_eq!(kinds, ["http", "worker", "cron"]);
    // A stack without workers or jobs does not carry their defaults in its resolved file.
    let resolved = s.resolved_toml("test");
    assert!(resolved.contains("[platform.worker]"), "{resolved}");
    let http_only = ok(STACK).resolved_toml("test");
    assert!(!http_only.contains("[platform.worker]") && !http_only.contains("[platform.cron]"));
}

#[test]
fn what_a_platform_cannot_do_with_a_worker_or_a_job_is_refused_with_the_reason() {
    // A malformed schedule, at its column.
    let e = err(&JOBS.replace("\"0 2 * * *\"", "\"0 25 * * *\""));
    let d = at(&e, "service[2].schedule");
    assert!(d.message.contains("column 3") && d.message.contains("0-23"), "{e}");
    // A task longer than Lambda's 15 minutes.
    let e = err(&JOBS.replace("cpu = \"5m\"", "cpu = \"20m\""));
    let d = e.diagnostics.iter().find(|d| d.message.contains("max_duration")).expect("the limit is named");
    assert!(d.key.starts_with("platform[1]") && d.message.contains("900 s"), "{e}");
    // Fly's autostop on a worker.
    let e = err(&JOBS.replace(
        "preset = \"fly-machines\"",
        "preset = \"fly-machines\"\n[platform.services.emails]\nautoscaler = { kind = \"fly-proxy\", soft_limit = 5 }",
    ));
    assert!(at(&e, "platform[2].services.emails.autoscaler").message.contains("fly-proxy"), "{e}");
    // A platform with no scheduler.
    let e = err(&JOBS.replace(
        "[[platform]]\nname = \"lambda\"\npreset = \"lambda\"",
        "[[platform]]\nname = \"vm\"\nautoscaler = { kind = \"fixed\", instances = 1 }",
    ));
    assert!(at(&e, "platform[1].name").message.contains("no scheduler"), "{e}");
    // Cron keys on another kind; traffic on a job.
    let e = err(&JOBS.replace("kind = \"worker\"", "kind = \"worker\"\ntasks = 3"));
    assert!(at(&e, "service[1].tasks").message.contains("kind = \"cron\""), "{e}");
    let e = err(&JOBS.replace("tasks = 4", "tasks = 4\ntraffic = { profile = \"constant\", rps = 1 }"));
    assert!(at(&e, "service[2].traffic").message.contains("schedule"), "{e}");
    let e = err(&JOBS.replace("parallelism = 2", "parallelism = 0"));
    assert!(at(&e, "service[2].parallelism").message.contains("between 1 and"), "{e}");
}
