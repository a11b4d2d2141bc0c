//! `crossover import` end to end: fixtures written from the public documentation's own
//! examples (the Kubernetes HPA walkthrough, HPA `behavior`, KEDA and CronJob, a Cloud
//! Run service, an ECS task definition and service, a fly.toml) and a real application's
//! manifests (Google's Online Boutique, 12 Deployments); each imports, validates and runs,
//! and every size, replica count and autoscaler setting equals its file's. A scenario
//! exported by `import` gives the same summary.csv as the same stack written by hand.
//! Bad input (broken YAML or JSON, a quantity such as `100x`, unknown kinds, a Deployment
//! without requests) gets its message, located, exit 2 and no output file.

mod common;

use common::{crossover, stderr};
use std::path::{Path, PathBuf};
use toml::{Table, Value};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import")
}

/// `crossover import ARGS` in the fixtures folder: (stdout, stderr, exit code).
fn import(args: &[&str]) -> (String, String, i32) {
    let mut all = vec!["import"];
    all.extend_from_slice(args);
    let o = crossover(&all, &fixtures());
    (String::from_utf8_lossy(&o.stdout).into_owned(), stderr(&o), o.status.code().unwrap_or(-1))
}

/// The scenario `import` writes for `args`, parsed, after checking it validates.
fn imported(args: &[&str]) -> (Table, String, String) {
    let (out, err, code) = import(args);
    assert_eq!(code, 0, "{err}");
    crossover_scenario::parse_in(&out, "imported", "imported", &fixtures())
        .unwrap_or_else(|e| panic!("{e}\n{out}"));
    (out.parse().unwrap(), out, err)
}

fn platform<'a>(doc: &'a Table, name: &str) -> &'a Table {
    doc["platform"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_table().unwrap())
        .find(|p| p["name"].as_str() == Some(name))
        .unwrap_or_else(|| panic!("no platform {name}"))
}

/// `[platform.services.SERVICE]` of the platform named `name`.
fn on<'a>(doc: &'a Table, name: &str, service: &str) -> &'a Table {
    platform(doc, name)["services"][service].as_table().unwrap()
}

fn get<'a>(t: &'a Table, path: &str) -> &'a Value {
    let mut v: Option<&Value> = None;
    let mut table = t;
    for key in path.split('.') {
        v = Some(table.get(key).unwrap_or_else(|| panic!("no {path} in {t:?}")));
        if let Some(Value::Table(next)) = v {
            table = next;
        }
    }
    v.unwrap()
}

fn num(v: &Value) -> f64 {
    v.as_float().or_else(|| v.as_integer().map(|i| i as f64)).unwrap()
}

fn services(doc: &Table) -> Vec<String> {
    doc["service"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap().to_string()).collect()
}

/// Runs `text` briefly through the library: every platform, one replication, 20 minutes.
fn runs(text: &str) {
    let sets: Vec<crossover_scenario::Override> =
        ["simulation.horizon=20m", "simulation.replications=1"].iter().map(|s| s.parse().unwrap()).collect();
    let s = crossover_scenario::parse_with_overrides_in(text, "imported", "imported", &sets, &fixtures())
        .unwrap();
    let r = crossover_runner::run(&s, &crossover_runner::RunOptions::from_scenario(&s)).unwrap();
    assert_eq!(r.platforms.len(), s.platforms.len());
}

#[test]
fn the_hpa_walkthrough_imports_with_its_request_and_autoscaler() {
    let (doc, text, err) = imported(&["php-apache.yaml"]);
    assert_eq!(services(&doc), ["php-apache"]);
    for k8s in ["gke-standard", "eks", "k8s-self-managed"] {
        let s = on(&doc, k8s, "php-apache");
        assert_eq!(num(get(s, "instance.cpu")), 0.2, "{k8s}: requests.cpu 200m");
        assert_eq!(get(s, "autoscaler.kind").as_str(), Some("hpa"));
        assert_eq!(get(s, "autoscaler.metric").as_str(), Some("cpu"));
        assert_eq!(num(get(s, "autoscaler.target")), 0.5, "averageUtilization 50");
        assert_eq!(num(get(s, "min_instances")), 1.0, "minReplicas");
        assert_eq!(num(get(s, "max_instances")), 10.0, "maxReplicas");
    }
    // The Kubernetes platforms come first: the manifests run on any of them as they are.
    let names: Vec<&str> =
        doc["platform"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(&names[..4], ["gke-autopilot", "gke-standard", "eks", "k8s-self-managed"]);
    assert!(names.contains(&"cloud-run") && names.contains(&"fargate") && names.contains(&"lambda"));
    // Rounding to what a provider sells is said.
    assert_eq!(num(get(on(&doc, "fargate", "php-apache"), "instance.cpu")), 0.25);
    assert!(text.contains("0.2 vCPU rounded up to 0.25"), "{text}");
    assert_eq!(num(get(on(&doc, "cloud-run", "php-apache"), "instance.cpu")), 1.0);
    // No memory request: the default is said, in the file and on stderr.
    assert!(err.contains("requests memory") && err.contains("BestEffort"), "{err}");
    // Traffic and demand are marked as assumed, and said so.
    assert_eq!(doc["assumed"].as_array().unwrap().len(), 2);
    assert!(text.contains("TRAFFIC: not in these files") && err.contains("default profile"), "{err}");
    runs(&text);
}

#[test]
fn hpa_behavior_v1_limit_only_containers_and_probe_delays() {
    let (doc, text, err) = imported(&["behavior.yaml"]);
    assert_eq!(services(&doc), ["web", "api"]);
    let web = on(&doc, "eks", "web");
    // 0.5 + 0.1 (a limit standing in for a missing request) vCPU; 1.5Gi + 64Mi.
    assert_eq!(num(get(web, "instance.cpu")), 0.6);
    assert_eq!(get(web, "instance.memory").as_str(), Some("1600MiB"));
    assert!(err.contains("container log-shipper has a cpu limit and no request"), "{err}");
    assert_eq!(get(web, "startup.fixed").as_str(), Some("5s"), "readinessProbe.initialDelaySeconds");
    assert_eq!(num(get(web, "autoscaler.target")), 0.7);
    assert_eq!((num(get(web, "min_instances")), num(get(web, "max_instances"))), (3.0, 30.0));
    let up = get(web, "autoscaler.scale_up").as_table().unwrap();
    assert_eq!(up["stabilization"].as_str(), Some("0s"));
    assert_eq!((num(&up["pods"]), num(&up["percent"])), (4.0, 100.0));
    assert_eq!((up["period"].as_str(), up["select"].as_str()), (Some("15s"), Some("max")));
    let down = get(web, "autoscaler.scale_down").as_table().unwrap();
    assert_eq!(down["stabilization"].as_str(), Some("600s"));
    assert_eq!((num(&down["pods"]), num(&down["percent"])), (5.0, 10.0));
    assert_eq!((down["period"].as_str(), down["select"].as_str()), (Some("60s"), Some("min")));
    // autoscaling/v1 on a StatefulSet, memory in decimal gigabytes.
    let api = on(&doc, "gke-standard", "api");
    assert_eq!(num(get(api, "instance.cpu")), 1.0);
    assert_eq!(get(api, "instance.memory").as_str(), Some("1GB"));
    assert_eq!(num(get(api, "autoscaler.target")), 0.65);
    assert_eq!((num(get(api, "min_instances")), num(get(api, "max_instances"))), (2.0, 8.0));
    runs(&text);
}

#[test]
fn keda_limit_ranges_workers_and_cron_jobs() {
    let (doc, text, err) = imported(&["keda.yaml"]);
    // The HTTP service, the RabbitMQ-scaled worker and the CronJob are all services.
    assert_eq!(services(&doc), ["checkout", "mailer", "hello"]);
    let c = on(&doc, "eks", "checkout");
    assert_eq!(num(get(c, "instance.cpu")), 0.25, "LimitRange defaultRequest cpu");
    assert_eq!(get(c, "instance.memory").as_str(), Some("256MiB"), "LimitRange defaultRequest memory");
    assert!(err.contains("the LimitRange at keda.yaml:"), "{err}");
    assert_eq!(num(get(c, "autoscaler.target")), 0.6, "cpu trigger value 60");
    assert_eq!(get(c, "autoscaler.keda.polling").as_str(), Some("15s"));
    assert_eq!(get(c, "autoscaler.keda.cooldown").as_str(), Some("120s"));
    assert_eq!((num(get(c, "min_instances")), num(get(c, "max_instances"))), (1.0, 20.0));
    // The worker: RabbitMQ's `value` in QueueLength mode is the target; KEDA's defaults
    // for polling and cooldown; min and max replica counts.
    let service = |name: &str| {
        doc["service"].as_array().unwrap().iter().find(|s| s["name"].as_str() == Some(name)).unwrap().clone()
    };
    let mailer = service("mailer");
    assert_eq!(mailer["kind"].as_str(), Some("worker"));
    assert_eq!(num(&mailer["traffic"]["share"]), 0.5, "workers share the stack's traffic");
    for p in ["gke-autopilot", "gke-standard", "eks", "k8s-self-managed"] {
        let m = on(&doc, p, "mailer");
        assert_eq!(get(m, "autoscaler.kind").as_str(), Some("hpa"), "{p}");
        assert_eq!(get(m, "autoscaler.metric").as_str(), Some("queue"), "{p}");
        assert_eq!(num(get(m, "autoscaler.target")), 20.0, "rabbitmq value 20");
        assert_eq!(get(m, "autoscaler.keda.polling").as_str(), Some("30s"), "KEDA's default");
        assert_eq!(get(m, "autoscaler.keda.cooldown").as_str(), Some("300s"), "KEDA's default");
        assert!(get(m, "autoscaler.keda").get("activation").is_none(), "the trigger has none");
        assert_eq!((num(get(m, "min_instances")), num(get(m, "max_instances"))), (0.0, 10.0));
    }
    // The CronJob: schedule, completions, parallelism, activeDeadlineSeconds; no timeZone.
    let hello = service("hello");
    assert_eq!(hello["kind"].as_str(), Some("cron"));
    assert_eq!(hello["schedule"].as_str(), Some("* * * * *"));
    assert_eq!(num(&hello["tasks"]), 3.0);
    assert_eq!(num(&hello["parallelism"]), 2.0);
    assert_eq!(hello["deadline"].as_str(), Some("600s"));
    assert_eq!(num(&hello["utc_offset"]), 0.0);
    assert!(hello.get("traffic").is_none(), "a cron service has no traffic");
    assert_eq!(get(on(&doc, "eks", "hello"), "instance.memory").as_str(), Some("256MiB"));
    assert!(
        text.contains("# SCHEDULED JOBS: how long a scheduled job's task runs is not in these"),
        "{text}"
    );
    assert!(err.contains("warning: a worker's jobs per second are not in these files"), "{err}");
    assert!(
        err.contains("CronJob hello: no concurrencyPolicy (Kubernetes' default, Allow, lets runs overlap): crossover runs Forbid"),
        "{err}"
    );
    assert!(!text.contains("# [[service]]"), "nothing is commented out:\n{text}");
    runs(&text);
}

#[test]
fn cron_jobs_with_a_time_zone_and_queue_workers() {
    let (doc, text, err) = imported(&["workers.yaml"]);
    assert_eq!(services(&doc), ["api", "emails", "transcode", "nightly-report", "digest"]);
    let service = |name: &str| {
        doc["service"].as_array().unwrap().iter().find(|s| s["name"].as_str() == Some(name)).unwrap().clone()
    };
    // CronJob with timeZone Etc/GMT+5: five hours behind UTC.
    let r = service("nightly-report");
    assert_eq!(r["kind"].as_str(), Some("cron"));
    assert_eq!(r["schedule"].as_str(), Some("0 2 * * *"));
    assert_eq!(num(&r["utc_offset"]), -5.0, "Etc/GMT+5");
    assert_eq!((num(&r["tasks"]), num(&r["parallelism"])), (20.0, 10.0));
    assert_eq!(r["deadline"].as_str(), Some("3600s"));
    for p in ["gke-autopilot", "eks"] {
        let n = on(&doc, p, "nightly-report");
        assert_eq!(num(get(n, "instance.cpu")), 1.0, "{p}");
        assert_eq!(get(n, "instance.memory").as_str(), Some("2GiB"), "{p}");
        assert!(n.get("autoscaler").is_none() && n.get("min_instances").is_none(), "{p}: {n:?}");
    }
    // Europe/Berlin has daylight saving time: read in UTC, and said; Replace is not Forbid.
    let d = service("digest");
    assert_eq!(d["schedule"].as_str(), Some("@daily"));
    assert_eq!(num(&d["utc_offset"]), 0.0);
    assert_eq!((num(&d["tasks"]), num(&d["parallelism"])), (1.0, 1.0), "the defaults");
    assert!(d.get("deadline").is_none());
    assert!(err.contains("CronJob digest: spec.timeZone \"Europe/Berlin\" is not mapped"), "{err}");
    assert!(err.contains("the schedule is read in UTC"), "{err}");
    assert!(
        err.contains("CronJob digest: concurrencyPolicy Replace is not modelled: crossover runs Forbid"),
        "{err}"
    );
    // Suspended: skipped; a Job with no schedule: commented out and listed.
    assert!(err.contains("CronJob paused: spec.suspend is true (no run is scheduled); skipped"), "{err}");
    assert!(!text.contains("name = \"paused\""), "{text}");
    assert!(text.contains("# name = \"migrate\""), "{text}");
    assert!(err.contains("Job migrate: a Job runs once, when it is created"), "{err}");
    // The SQS worker: queueLength, activationQueueLength, scaleOnInFlight, polling,
    // cooldown, min and max replica counts, on every Kubernetes platform.
    assert_eq!(service("emails")["kind"].as_str(), Some("worker"));
    for p in ["gke-autopilot", "gke-standard", "eks", "k8s-self-managed"] {
        let e = on(&doc, p, "emails");
        assert_eq!(get(e, "autoscaler.metric").as_str(), Some("queue"), "{p}");
        assert_eq!(num(get(e, "autoscaler.target")), 10.0, "queueLength");
        assert_eq!(num(get(e, "autoscaler.keda.activation")), 2.0, "activationQueueLength");
        assert_eq!(get(e, "autoscaler.keda.in_flight").as_bool(), Some(false), "scaleOnInFlight");
        assert_eq!(get(e, "autoscaler.keda.polling").as_str(), Some("10s"));
        assert_eq!(get(e, "autoscaler.keda.cooldown").as_str(), Some("60s"));
        assert_eq!((num(get(e, "min_instances")), num(get(e, "max_instances"))), (1.0, 15.0));
        assert_eq!(num(get(e, "instance.cpu")), 0.25);
    }
    // The ScaledJob: a worker taking one message per pod, its caveat listed.
    let t = on(&doc, "eks", "transcode");
    assert_eq!(service("transcode")["kind"].as_str(), Some("worker"));
    assert_eq!(num(get(t, "instance.concurrency")), 1.0);
    assert_eq!(num(get(t, "autoscaler.target")), 3.0, "listLength");
    assert_eq!(get(t, "autoscaler.keda.polling").as_str(), Some("20s"));
    assert_eq!((num(get(t, "min_instances")), num(get(t, "max_instances"))), (0.0, 8.0));
    assert!(err.contains("ScaledJob transcode: one Kubernetes Job per message is not modelled"), "{err}");
    // Traffic: three fed services (the API and two workers) share it; crons take none.
    for s in ["api", "emails", "transcode"] {
        assert!((num(&service(s)["traffic"]["share"]) - 1.0 / 3.0).abs() < 1e-6, "{s}");
    }
    // The candidates run them too, each sized to the provider's shapes.
    assert_eq!(get(on(&doc, "fargate", "transcode"), "instance.memory").as_str(), Some("2GiB"));
    runs(&text);
}

#[test]
fn an_imported_stack_with_a_worker_and_a_cron_job_runs_as_written_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("stack.toml");
    let (_, err, code) = import(&["stack-with-jobs.yaml", "--out", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let run = |file: &Path, to: &str| {
        let target = dir.path().join(to);
        let o = crossover(
            &[
                "run",
                file.to_str().unwrap(),
                "--set",
                "simulation.horizon=1d",
                "-n",
                "2",
                "--platform",
                "eks",
                "--platform",
                "gke-autopilot",
                "--platform",
                "cloud-run",
                "--out",
                target.to_str().unwrap(),
            ],
            dir.path(),
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        (
            std::fs::read(target.join("summary.csv")).unwrap(),
            std::fs::read_to_string(target.join("services.csv")).unwrap(),
        )
    };
    let (from_import, import_services) = run(&out, "imported");
    let (by_hand, by_hand_services) = run(&fixtures().join("stack-with-jobs-by-hand.toml"), "by-hand");
    assert!(!from_import.is_empty());
    assert_eq!(String::from_utf8_lossy(&from_import), String::from_utf8_lossy(&by_hand));
    assert_eq!(import_services, by_hand_services);
    assert!(import_services.contains("nightly-report") && import_services.contains("emails"));
    // --share gives a worker its jobs per second; a scheduled job takes none.
    let (doc, _, _) = imported(&["stack-with-jobs.yaml", "--share", "emails=0.2"]);
    let shares: Vec<f64> = doc["service"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s.get("traffic").map(|t| num(&t["share"])))
        .collect();
    assert_eq!(shares, [0.8, 0.2]);
    let (_, err, code) = import(&["stack-with-jobs.yaml", "--share", "nightly-report=0.2"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("nightly-report is a scheduled job: it runs on its schedule and takes no traffic"),
        "{err}"
    );
}

#[test]
fn scheduled_jobs_alone_take_no_traffic() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("backup.yaml");
    std::fs::write(
        &file,
        "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: backup\nspec:\n  schedule: \"@midnight\"\n  timeZone: UTC\n  concurrencyPolicy: Forbid\n  jobTemplate:\n    spec:\n      parallelism: 300\n      template:\n        spec:\n          containers:\n          - name: b\n            image: b\n            resources: {requests: {cpu: \"2\", memory: 4Gi}}\n",
    )
    .unwrap();
    let (doc, text, err) = imported(&[file.to_str().unwrap()]);
    assert!(doc.get("traffic").is_none(), "no [traffic]: nothing takes it\n{text}");
    assert_eq!(doc["assumed"].as_array().unwrap().len(), 1, "only the demand is assumed");
    let b = &doc["service"][0];
    assert_eq!(b["schedule"].as_str(), Some("@midnight"));
    assert_eq!(num(&b["utc_offset"]), 0.0, "UTC");
    // No completions with a parallelism: a work-queue Job, one task per pod.
    assert_eq!((num(&b["tasks"]), num(&b["parallelism"])), (300.0, 300.0));
    assert!(err.contains("parallelism 300 and no completions"), "{err}");
    // Kubernetes runs the 300 pods at once; a candidate with fewer instances is left out.
    assert_eq!(num(get(on(&doc, "eks", "backup"), "max_instances")), 300.0);
    assert!(err.contains("platform fly-machines left out"), "{err}");
    assert!(
        !err.contains("warning: not in these files: the scenario uses crossover's default profile"),
        "{err}"
    );
    runs(&text);
    // Kubernetes' `?` is `*`; a schedule crossover cannot run is listed, commented out.
    let odd = dir.path().join("odd.yaml");
    let job = |name: &str, schedule: &str| {
        format!("apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: {name}\nspec:\n  schedule: \"{schedule}\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n          - name: c\n            image: c\n")
    };
    std::fs::write(
        &odd,
        [job("weekly", "0 0 ? * MON"), job("never", "0 0 30 2 *"), job("tz", "TZ=UTC 0 0 * * *")]
            .join("---\n"),
    )
    .unwrap();
    let (doc, text, err) = imported(&[odd.to_str().unwrap()]);
    assert_eq!(services(&doc), ["weekly"]);
    assert_eq!(doc["service"][0]["schedule"].as_str(), Some("0 0 * * MON"));
    assert!(err.contains("CronJob never: schedule \"0 0 30 2 *\": never runs"), "{err}");
    assert!(err.contains("CronJob tz: schedule \"TZ=UTC 0 0 * * *\": column"), "{err}");
    assert!(text.contains("# name = \"never\""), "{text}");
}

#[test]
fn a_cloud_run_service_keeps_its_revision_settings() {
    let (doc, text, err) = imported(&["cloud-run-service.yaml"]);
    let names: Vec<&str> =
        doc["platform"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names[0], "cloud-run", "where it runs now comes first");
    let h = on(&doc, "cloud-run", "hello");
    assert_eq!(num(get(h, "instance.cpu")), 2.0);
    assert_eq!(get(h, "instance.memory").as_str(), Some("1GiB"));
    assert_eq!(num(get(h, "instance.concurrency")), 50.0, "containerConcurrency");
    assert_eq!(
        (num(get(h, "min_instances")), num(get(h, "max_instances"))),
        (1.0, 20.0),
        "minScale, maxScale"
    );
    assert_eq!(get(h, "request_timeout").as_str(), Some("120s"), "timeoutSeconds");
    assert!(err.contains("annotation run.googleapis.com/execution-environment is not modelled"), "{err}");
    // On Kubernetes it keeps its size and the preset's HPA.
    assert_eq!(num(get(on(&doc, "eks", "hello"), "instance.cpu")), 2.0);
    assert!(on(&doc, "eks", "hello").get("autoscaler").is_none());
    runs(&text);
}

#[test]
fn a_cloud_run_job_is_batch_work_listed_as_not_mapped() {
    let (out, err, code) = import(&["cloud-run-job.yaml", "cloud-run-service.yaml"]);
    assert_eq!(code, 0, "{err}");
    // It has no schedule (a Cloud Scheduler trigger would be elsewhere): not a cron service.
    for line in [
        "# name = \"nightly-report\"",
        "# kind = \"cron\"",
        "# tasks = 10",
        "# parallelism = 5",
        "# deadline = \"3600s\"",
        "# each task: 1 vCPU, 2GiB",
    ] {
        assert!(out.contains(line), "{line} missing:\n{out}");
    }
    assert!(
        err.contains("Cloud Run job nightly-report: a job run when started (by hand or by a scheduler whose trigger is not in the file): crossover's scheduled jobs (kind = \"cron\") need a schedule"),
        "{err}"
    );
}

#[test]
fn an_ecs_service_and_its_task_definition() {
    let (doc, text, err) = imported(&["ecs/service.json", "ecs/taskdef.json"]);
    assert_eq!(services(&doc), ["webserver-svc"]);
    let names: Vec<&str> =
        doc["platform"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names[0], "fargate-spot", "capacityProviderStrategy FARGATE_SPOT");
    let w = on(&doc, "fargate-spot", "webserver-svc");
    assert_eq!(num(get(w, "instance.cpu")), 0.5, "cpu \"512\" units");
    assert_eq!(get(w, "instance.memory").as_str(), Some("1GiB"), "memory \"1 GB\"");
    assert_eq!(get(w, "autoscaler.kind").as_str(), Some("fixed"));
    assert_eq!(num(get(w, "autoscaler.instances")), 2.0, "desiredCount");
    assert_eq!(num(get(w, "min_instances")), 2.0);
    assert!(err.contains("networkConfiguration` is not modelled"), "{err}");
    runs(&text);
}

#[test]
fn ecs_target_tracking_from_application_auto_scaling() {
    let (doc, text, _) = imported(&["ecs"]);
    let w = on(&doc, "fargate-spot", "webserver-svc");
    assert_eq!(get(w, "autoscaler.kind").as_str(), Some("target-tracking"));
    assert_eq!(get(w, "autoscaler.metric").as_str(), Some("cpu"), "ECSServiceAverageCPUUtilization");
    assert_eq!(num(get(w, "autoscaler.target")), 0.75, "TargetValue 75");
    assert_eq!(get(w, "autoscaler.scale_out_cooldown").as_str(), Some("60s"));
    assert_eq!(get(w, "autoscaler.scale_in_cooldown").as_str(), Some("120s"));
    assert_eq!(
        (num(get(w, "min_instances")), num(get(w, "max_instances"))),
        (2.0, 10.0),
        "MinCapacity, MaxCapacity"
    );
    runs(&text);
}

#[test]
fn a_fly_toml_keeps_its_machine_and_proxy_settings() {
    let (doc, text, _) = imported(&["fly.toml"]);
    let f = on(&doc, "fly-machines", "bold-dawn-1234");
    assert_eq!(num(get(f, "instance.cpu")), 2.0, "shared-cpu-2x");
    assert_eq!(get(f, "instance.memory").as_str(), Some("1GiB"), "memory = \"1gb\"");
    assert_eq!(num(get(f, "instance.concurrency")), 250.0, "hard_limit");
    assert_eq!(get(f, "autoscaler.kind").as_str(), Some("fly-proxy"));
    assert_eq!(num(get(f, "autoscaler.soft_limit")), 200.0, "soft_limit");
    assert_eq!(num(get(f, "min_instances")), 1.0, "min_machines_running");
    runs(&text);
}

/// Online Boutique's requests, from its kubernetes-manifests.yaml: (name, cpu, memory).
const BOUTIQUE: [(&str, f64, &str); 12] = [
    ("frontend", 0.1, "64MiB"),
    ("adservice", 0.2, "180MiB"),
    ("currencyservice", 0.1, "64MiB"),
    ("cartservice", 0.2, "64MiB"),
    ("redis-cart", 0.07, "200MiB"),
    ("loadgenerator", 0.3, "256MiB"),
    ("recommendationservice", 0.1, "220MiB"),
    ("checkoutservice", 0.1, "64MiB"),
    ("emailservice", 0.1, "64MiB"),
    ("paymentservice", 0.1, "64MiB"),
    ("shippingservice", 0.1, "64MiB"),
    ("productcatalogservice", 0.1, "64MiB"),
];

#[test]
fn online_boutique_imports_all_twelve_deployments() {
    let (doc, text, err) = imported(&["online-boutique", "--share", "frontend=0.45"]);
    let names = services(&doc);
    assert_eq!(names, BOUTIQUE.map(|b| b.0));
    for (name, cpu, memory) in BOUTIQUE {
        for k8s in ["gke-standard", "eks", "k8s-self-managed"] {
            let s = on(&doc, k8s, name);
            assert_eq!(num(get(s, "instance.cpu")), cpu, "{name} on {k8s}");
            assert_eq!(get(s, "instance.memory").as_str(), Some(memory), "{name} on {k8s}");
            assert_eq!(num(get(s, "autoscaler.instances")), 1.0, "{name}: no replicas, Kubernetes' 1");
        }
    }
    // --share gives the frontend its part; the other eleven split the rest.
    let shares: Vec<f64> =
        doc["service"].as_array().unwrap().iter().map(|s| num(&s["traffic"]["share"])).collect();
    assert_eq!(shares[0], 0.45);
    assert!(shares[1..].iter().all(|s| (s - 0.05).abs() < 1e-6), "{shares:?}");
    assert!(text.contains("Service frontend-external (type LoadBalancer)"), "the load balancer is counted");
    assert!(err.contains("ServiceAccount frontend (v1): kind not modelled, skipped"), "{err}");
    // The load generator's init container does not add to its requests.
    runs(&text);
}

#[test]
fn an_imported_scenario_runs_as_the_same_stack_written_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("php-apache.toml");
    let (_, err, code) = import(&["php-apache.yaml", "--out", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("wrote ") && err.contains("crossover run"), "{err}");
    let run = |file: &Path, to: &str| {
        let target = dir.path().join(to);
        let o = crossover(
            &[
                "run",
                file.to_str().unwrap(),
                "--set",
                "simulation.horizon=3h",
                "-n",
                "2",
                "--platform",
                "eks",
                "--platform",
                "gke-autopilot",
                "--platform",
                "cloud-run",
                "--out",
                target.to_str().unwrap(),
            ],
            dir.path(),
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        (std::fs::read(target.join("summary.csv")).unwrap(), stderr(&o))
    };
    let (imported, warnings) = run(&out, "imported");
    let (by_hand, plain) = run(&fixtures().join("php-apache-by-hand.toml"), "by-hand");
    assert_eq!(String::from_utf8_lossy(&imported), String::from_utf8_lossy(&by_hand));
    assert!(!imported.is_empty());
    // The run repeats the import's warning; the hand-written file, which assumes
    // nothing, does not get it.
    assert!(warnings.contains("warning: the traffic is assumed, not measured"), "{warnings}");
    assert!(warnings.contains("warning: the work per request is assumed"), "{warnings}");
    assert!(!plain.contains("assumed"), "{plain}");
    let report = std::fs::read_to_string(dir.path().join("imported/report.html")).unwrap();
    assert!(report.contains("the traffic is assumed, not measured"), "the report repeats the warning");
    let report = std::fs::read_to_string(dir.path().join("by-hand/report.html")).unwrap();
    assert!(!report.contains("assumed, not measured"));
}

#[test]
fn traffic_from_a_file_replaces_the_assumed_profile() {
    let dir = tempfile::tempdir().unwrap();
    let traffic = dir.path().join("traffic.toml");
    std::fs::write(&traffic, "[traffic]\nprofile = \"constant\"\nrps = 12.0\n").unwrap();
    let (doc, text, err) = imported(&["php-apache.yaml", "--traffic", traffic.to_str().unwrap()]);
    assert_eq!(doc["traffic"]["profile"].as_str(), Some("constant"));
    assert_eq!(num(&doc["traffic"]["rps"]), 12.0);
    assert_eq!(
        doc["assumed"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect::<Vec<_>>(),
        ["demand"]
    );
    assert!(!err.contains("default profile"), "{err}");
    assert!(!text.contains("TRAFFIC: not in these files"));
    let (_, err, code) = import(&["php-apache.yaml", "--traffic", "fly.toml"]);
    assert_eq!(code, 2);
    assert!(err.contains("no [traffic] table"), "{err}");
}

#[test]
fn broken_yaml_is_located_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s.toml");
    let (stdout, err, code) = import(&["bad/broken.yaml", "--out", out.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.starts_with("error: bad/broken.yaml:7:1: invalid YAML:"), "{err}");
    assert!(stdout.is_empty() && !out.exists());
}

/// Standard input is bounded like a file: a pipe that never ends (`/dev/zero` here) is
/// read no further than the 64 MiB an import reads, then refused, and nothing is written.
#[cfg(target_os = "linux")]
#[test]
fn an_endless_standard_input_is_refused_at_the_limit() {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_crossover"))
        .args(["import", "-"])
        .current_dir(fixtures())
        .stdin(std::fs::File::open("/dev/zero").unwrap())
        .output()
        .expect("the binary runs");
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.trim_end(), format!("error: <stdin>: more than the {} bytes an import reads", 64 << 20));
    assert!(o.stdout.is_empty());
}

#[test]
fn broken_json_is_located() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("task.json");
    std::fs::write(&bad, "{\n  \"family\": \"x\",\n  \"cpu\": 256,\n  oops\n}\n").unwrap();
    let o = crossover(&["import", bad.to_str().unwrap()], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("task.json:4:3: invalid JSON"), "{}", stderr(&o));
    std::fs::write(&bad, "{\"family\": \"x\", \"cpu\": \"lots\", \"containerDefinitions\": []}").unwrap();
    let o = crossover(&["import", bad.to_str().unwrap()], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("`cpu` = \"lots\" is not a size ECS accepts"), "{}", stderr(&o));
}

#[test]
fn a_quantity_that_is_not_one_is_refused_where_it_stands() {
    let (stdout, err, code) = import(&["bad/quantity.yaml"]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert!(
        err.contains("bad/quantity.yaml:13:18: container odd: resources.requests.cpu: \"100x\" is not a Kubernetes quantity"),
        "{err}"
    );
}

#[test]
fn unknown_kinds_are_listed_as_skipped() {
    let (doc, text, err) = imported(&["bad/unknown-kind.yaml"]);
    assert_eq!(services(&doc), ["app"]);
    for kind in [
        "PodDisruptionBudget app-pdb (policy/v1): kind not modelled, skipped",
        "Widget thing (example.com/v1): kind not modelled, skipped",
    ] {
        assert!(err.contains(kind), "stderr lacks {kind}: {err}");
        assert!(text.contains(kind), "the output lacks {kind}");
    }
    let end = text.rfind("NOT MAPPED").unwrap();
    assert!(text[end..].contains("PodDisruptionBudget"), "listed at the end");
}

#[test]
fn a_deployment_without_requests_says_what_it_is_given() {
    let (doc, _, err) = imported(&["bad/no-requests.yaml"]);
    assert!(err.contains("no container requests cpu and no LimitRange gives a default"), "{err}");
    assert!(err.contains("BestEffort") && err.contains("preset's default pod"), "{err}");
    // No instance table: each platform's own default pod.
    assert!(on(&doc, "eks", "bare").get("instance").is_none());
    assert_eq!(num(get(on(&doc, "eks", "bare"), "autoscaler.instances")), 2.0);
}

#[test]
fn out_files_are_not_overwritten_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s.toml");
    std::fs::write(&out, "keep").unwrap();
    let (_, err, code) = import(&["fly.toml", "--out", out.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("already exists; pass --force"), "{err}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "keep");
    let (_, err, code) = import(&["fly.toml", "--out", out.to_str().unwrap(), "--force"]);
    assert_eq!(code, 0, "{err}");
    let o = crossover(&["validate", out.to_str().unwrap()], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// `--out` naming a folder: with --force the write failed at the end, as a runtime
/// error (exit 1, "Is a directory"); it is the user's mistake, said before anything is
/// read, and the folder is left as it was.
#[test]
fn an_out_that_is_a_folder_is_refused_even_with_force() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("keep.txt"), "keep").unwrap();
    for force in [false, true] {
        let mut args = vec!["fly.toml", "--out", dir.path().to_str().unwrap()];
        args.extend(force.then_some("--force"));
        let (out, err, code) = import(&args);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("is a folder; --out names the scenario file to write"), "{err}");
        assert!(out.is_empty());
    }
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, ["keep.txt"]);
}

#[test]
fn names_are_made_valid_and_shares_checked() {
    let dir = tempfile::tempdir().unwrap();
    let td = dir.path().join("td.json");
    std::fs::write(&td, r#"{"family": "Web_Server", "cpu": "1 vCPU", "memory": "2048", "containerDefinitions": [{"name": "w", "image": "w"}]}"#).unwrap();
    let o = crossover(&["import", td.to_str().unwrap()], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("name = \"web-server\""), "{text}");
    assert!(stderr(&o).contains("renamed: \"Web_Server\" is named \"web-server\""), "{}", stderr(&o));
    let o = crossover(&["import", td.to_str().unwrap(), "--share", "nope=0.5"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no service is named \"nope\""), "{}", stderr(&o));
    let o = crossover(&["import", td.to_str().unwrap(), "--share", "web-server"], dir.path());
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn completions_and_the_manual_know_import() {
    let dir = tempfile::tempdir().unwrap();
    let o = crossover(&["completions", "bash"], dir.path());
    assert!(String::from_utf8_lossy(&o.stdout).contains("import"));
    let o = crossover(&["man"], dir.path());
    assert!(String::from_utf8_lossy(&o.stdout).contains("import"));
    let o = crossover(&["import", "--help"], dir.path());
    assert!(String::from_utf8_lossy(&o.stdout).contains("--traffic"));
}

/// scenarios/online-boutique.toml is exactly what the import writes for the fixture, so
/// the shipped example cannot drift from the importer.
#[test]
fn the_shipped_online_boutique_scenario_is_the_import_of_the_fixture() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let o =
        crossover(&["import", "tests/fixtures/import/online-boutique", "--name", "online-boutique"], root);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let shipped = std::fs::read_to_string(root.join("scenarios/online-boutique.toml")).unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout), shipped, "regenerate: crossover import tests/fixtures/import/online-boutique --name online-boutique > scenarios/online-boutique.toml");
}

mod hostile {
    use super::fixtures;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, RngSeed};

    const FILES: [&str; 8] = [
        "php-apache.yaml",
        "behavior.yaml",
        "keda.yaml",
        "workers.yaml",
        "cloud-run-service.yaml",
        "ecs/taskdef.json",
        "ecs/scaling-policy.json",
        "fly.toml",
    ];

    /// Imports `name` with its text as given: an error must be located input error, a
    /// success must give a scenario that validates (never a defect, never a panic).
    fn import_text(name: &str, text: String) {
        let source = crossover_import::Source { name: name.to_string(), text };
        let mut sources = vec![source];
        if name == "ecs/scaling-policy.json" {
            // With the service and task definition it scales.
            for f in ["ecs/service.json", "ecs/taskdef.json"] {
                let text = std::fs::read_to_string(fixtures().join(f)).unwrap();
                sources.push(crossover_import::Source { name: f.to_string(), text });
            }
        }
        match crossover_import::read(&sources) {
            Err(e) => assert!(e.to_string().starts_with(name), "{e}"),
            Ok(imported) => {
                let opts = crossover_import::Options { name: "p".into(), ..Default::default() };
                if let Err(e) = crossover_import::build(&imported, &opts, &fixtures()) {
                    assert!(!e.contains("a defect of crossover import"), "{e}");
                }
            }
        }
    }

    proptest! {
        #![proptest_config(Config { cases: 256, rng_seed: RngSeed::Fixed(20_261_206), failure_persistence: None, ..Config::default() })]

        /// A fixture with a span replaced by fragments of quantities, numbers and syntax.
        #[test]
        fn mangled_inputs_are_refused_or_imported_never_a_panic(
            file in 0..FILES.len(),
            at in 0.0..1.0f64,
            cut in 0usize..12,
            insert in proptest::collection::vec(prop::sample::select(vec![
                "0", "1", "-1", "1e9", "99999999999", "1m", "0m", "1Ki", "100x", "Gi", ".", ":", " ", "\n",
                "  ", "-", "[", "]", "{", "}", "\"", "'", "&a", "*a", "null", "true", "\u{e9}", "#",
            ]), 0..4),
        ) {
            let name = FILES[file];
            let text = std::fs::read_to_string(fixtures().join(name)).unwrap();
            let mut pos = (at * text.len() as f64) as usize;
            while !text.is_char_boundary(pos) {
                pos -= 1;
            }
            let mut end = (pos + cut).min(text.len());
            while !text.is_char_boundary(end) {
                end += 1;
            }
            let mangled = format!("{}{}{}", &text[..pos], insert.concat(), &text[end..]);
            import_text(name, mangled);
        }

        /// Arbitrary text in every format's clothing.
        #[test]
        fn arbitrary_text_is_refused_or_imported(text in ".{0,200}", ext in prop::sample::select(vec!["yaml", "json", "toml", "txt"])) {
            import_text(&format!("x.{ext}"), text);
        }
    }

    /// Extreme but valid quantities land inside the format's ranges.
    #[test]
    fn extreme_quantities_are_brought_within_range() {
        let yaml = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: tiny}\nspec:\n  replicas: 999999999\n  template:\n    spec:\n      containers:\n      - name: a\n        resources: {requests: {cpu: 1m, memory: 1Ki}}\n";
        import_text("tiny.yaml", yaml.to_string());
        let huge = yaml.replace("1m", "5000").replace("1Ki", "900Ti");
        import_text("huge.yaml", huge);
    }
}

#[test]
fn standard_input_ingresses_and_pods_too_large_for_a_preset() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: big}\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n      - name: big\n        resources: {requests: {cpu: '6', memory: 20Gi}}\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web}\n";
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_crossover"))
        .args(["import", "-"])
        .current_dir(dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), yaml.as_bytes()).unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(text.contains("#   <stdin>:12:1: Ingress web"), "{text}");
    // A 6-vCPU pod fits no 4-vCPU node: those presets are left out, with the reason.
    let err = stderr(&o);
    assert!(err.contains("not mapped: platform eks left out:"), "{err}");
    let doc: Table = text.parse().unwrap();
    assert_eq!(num(get(on(&doc, "gke-autopilot", "big"), "instance.cpu")), 6.0);
    assert!(
        text.contains("platform k8s-self-managed left out") && text.contains("fits on no node"),
        "{text}"
    );
    crossover_scenario::parse(&text, "stdin", "stdin").unwrap();
}

#[test]
fn a_trace_as_the_stacks_traffic() {
    let dir = tempfile::tempdir().unwrap();
    let trace = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/azure-functions-2019/10_inv.csv");
    let out = dir.path().join("s.toml");
    let (_, err, code) =
        import(&["fly.toml", "--traffic", trace.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let doc: Table = std::fs::read_to_string(&out).unwrap().parse().unwrap();
    assert_eq!(doc["traffic"]["profile"].as_str(), Some("trace"));
    assert!(doc["traffic"]["trace"]["file"].as_str().unwrap().ends_with("10_inv.csv"));
    let o = crossover(&["validate", out.to_str().unwrap()], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}
