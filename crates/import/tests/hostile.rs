//! Hostile and mistaken input, found by fuzzing (`fuzz/fuzz_targets/import.rs`) or by
//! reading the code around what it found: each must give an error that says where and
//! what is wrong, never a panic, a hang, a huge allocation, or an error blaming crossover
//! for the user's own mistake.

use crossover_import::{build, read, Options, Source};
use std::path::Path;

fn source(name: &str, text: &str) -> Source {
    Source { name: name.into(), text: text.into() }
}

const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec:\n  template:\n    spec:\n      containers:\n      - resources: {requests: {cpu: 100m, memory: 64Mi}}\n";

/// A mistake in the `--traffic` table is the user's: named as theirs, with the key and
/// what is accepted, not reported as a defect of crossover import.
#[test]
fn a_bad_traffic_table_is_the_users_mistake() {
    let imported = read(&[source("a.yaml", DEPLOYMENT)]).unwrap();
    let traffic: toml::Table =
        "profile = \"timestamps\"\ntimestAmps = { file = \"requests.csv\" }\n".parse().unwrap();
    let opts = Options {
        name: "t".into(),
        traffic: Some((traffic, "the [traffic] table of t.toml".into())),
        ..Options::default()
    };
    let e = build(&imported, &opts, Path::new(".")).unwrap_err();
    assert!(!e.contains("defect"), "{e}");
    assert!(e.starts_with("--traffic: the [traffic] table of t.toml: "), "{e}");
    assert!(e.contains("`traffic.timestAmps`: unknown key `timestAmps` (did you mean `timestamps`?)"), "{e}");
}

/// Aliases repeated level by level ("billion laughs"): each level doubles what the
/// previous one names, so copying every alias out would take memory and time
/// exponential in the file's few hundred bytes.
#[test]
fn aliases_that_expand_exponentially_are_refused() {
    let mut text = String::from("a0: &a0 [x, x]\n");
    for i in 1..40 {
        text.push_str(&format!("a{i}: &a{i} [*a{p}, *a{p}]\n", p = i - 1));
    }
    let e = read(&[source("bomb.yaml", &text)]).unwrap_err();
    assert_eq!(e.loc.file, "bomb.yaml");
    assert!(e.loc.pos.line > 1, "{e}");
    assert!(e.message.contains("alias"), "{e}");
}

/// More workloads than a scenario holds: the error names the first one too many and the
/// limit, as the user's to fix (the scenario's validation said "a defect of crossover
/// import"; and naming thousands of duplicates tried each against all those taken).
#[test]
fn more_services_than_a_scenario_holds_are_refused_by_name() {
    let text = DEPLOYMENT.repeat(101).replace("\napiVersion", "\n---\napiVersion");
    let imported = read(&[source("many.yaml", &text)]).unwrap();
    assert_eq!(imported.workloads.len(), 101);
    let opts = Options { name: "t".into(), ..Options::default() };
    let e = build(&imported, &opts, Path::new(".")).unwrap_err();
    assert!(!e.contains("defect"), "{e}");
    assert!(e.starts_with("many.yaml:901:1: Deployment a: 101 workloads"), "{e}");
    assert!(e.contains("at most 100"), "{e}");
}

/// Hundreds of thousands of small objects (a 64 MiB file allows them) made the passes
/// matching autoscalers to workloads and services to task definitions run for hours:
/// past `MAX_OBJECTS` the import stops, located at the first object too many.
#[test]
fn more_objects_than_an_import_reads_are_refused() {
    let n = crossover_import::MAX_OBJECTS;
    let yaml = "a: 1\n---\n".repeat(n + 1);
    let e = read(&[source("many.yaml", &yaml)]).unwrap_err();
    assert_eq!((e.loc.file.as_str(), e.loc.pos.line), ("many.yaml", 2 * n + 1), "{e}");
    assert!(e.message.contains(&format!("more than {n} objects")), "{e}");
    // ECS services listed inside one document count one by one.
    let service = r#"{"serviceName": "s", "taskDefinition": "f:1"}"#;
    let json = format!(r#"{{"services": [{}]}}"#, vec![service; n + 1].join(","));
    let e = read(&[source("services.json", &json)]).unwrap_err();
    assert!(e.message.contains(&format!("more than {n} objects")), "{e}");
    // Exactly the limit is read.
    assert!(read(&[source("many.yaml", &"a: 1\n---\n".repeat(n))]).is_ok());
}

/// A symbolic link back to a folder being walked (`here -> .`): each file was read once
/// per level of the 32 walked (and two such links doubled the walk at every level, 2^33
/// folders). Each folder is now walked once.
#[cfg(unix)]
#[test]
fn symbolic_link_loops_are_walked_once() {
    let dir = std::env::temp_dir().join(format!("crossover-import-links-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join("sub/a.yaml"), DEPLOYMENT).unwrap();
    std::os::unix::fs::symlink(".", dir.join("sub/here")).unwrap();
    let files = crossover_import::collect(std::slice::from_ref(&dir));
    std::fs::remove_dir_all(&dir).unwrap();
    let files = files.unwrap();
    assert_eq!(files.len(), 1, "{:?}", files.iter().map(|f| &f.name).collect::<Vec<_>>());
}

/// A device or pipe reports a size of 0 whatever it yields: `/dev/zero` was read until
/// memory ran out. The read stops past the 64 MiB an import reads.
#[cfg(target_os = "linux")]
#[test]
fn an_endless_file_is_read_no_further_than_the_limit() {
    let e = crossover_import::collect(&["/dev/zero".into()]).unwrap_err();
    assert_eq!(e.to_string(), format!("/dev/zero: more than the {} bytes an import reads", 64 << 20));
}

/// The same for `--traffic`.
#[cfg(target_os = "linux")]
#[test]
fn an_endless_traffic_file_is_read_no_further_than_the_limit() {
    let e = crossover_import::traffic::table(Path::new("/dev/zero"), Path::new(".")).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("/dev/zero: --traffic: more than the {} bytes an import reads", 64 << 20)
    );
}

/// Sizes that are not finite numbers: Rust's float parsing takes "NaN" and "inf", a
/// product overflows, and sums of finite requests overflow. A NaN size made fitting a
/// provider's shapes panic (`f64::clamp` on NaN bounds); each is now an error at the file.
#[test]
fn sizes_that_are_not_finite_are_refused() {
    // Two containers each asking for 9.99e307 cores (a quantity's exponent stops at 30).
    let cpu = "9".repeat(308);
    let pods = format!("apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: a}}\nspec:\n  template:\n    spec:\n      containers:\n      - resources: {{requests: {{cpu: \"{cpu}\", memory: 1Gi}}}}\n      - resources: {{requests: {{cpu: \"{cpu}\", memory: 1Gi}}}}\n");
    for (name, text, says) in [
        ("fly.toml", "app = \"a\"\n[http_service]\n[[vm]]\nsize = \"shared-cpu-NaNx\"\n", "not a Fly size"),
        ("fly.toml", "app = \"a\"\n[http_service]\n[[vm]]\nsize = \"performance-infx\"\n", "not a Fly size"),
        ("fly.toml", "app = \"a\"\n[http_service]\n[[vm]]\nmemory = \"1e308gb\"\n", "expected a size"),
        (
            "t.json",
            r#"{"family": "f", "cpu": "inf", "memory": "512", "containerDefinitions": [{}]}"#,
            "not a size ECS accepts",
        ),
        (
            "t.json",
            r#"{"family": "f", "cpu": "256", "memory": "1e308 GB", "containerDefinitions": [{}]}"#,
            "not a size ECS accepts",
        ),
        ("a.yaml", &pods, "Deployment a: its CPU comes to inf"),
    ] {
        let e = read(&[source(name, text)]).unwrap_err();
        assert_eq!(e.loc.file, name);
        assert!(e.message.contains(says), "{name}: {e}");
    }
}

/// Values that take memory out of all proportion to the bytes that write them: each
/// value of the tree takes some fifty to a hundred bytes however short its text, so a
/// 64 MiB file of `0,` asked for gigabytes (serde_json's own tree of a JSON file was a
/// second copy); an anchor keeps a copy of what it names, so anchors nested two hundred
/// deep copied everything under them two hundred times. Past `MAX_VALUES` values, or
/// 16 MiB of copies, the import stops, located where it stopped.
#[test]
fn values_past_the_limit_are_refused_where_they_start() {
    let n = crossover_import::MAX_VALUES;
    let zeros = vec!["0"; n].join(",");
    for (name, text, line) in [
        ("flow.yaml", format!("a: 1\nb: [{zeros}]\n"), 2),
        // The mapping, its keys and `1` take five: the item on line 2 + (n - 4) is one too many.
        ("block.yaml", format!("a: 1\nb:\n{}", "- 0\n".repeat(n)), n - 2),
        ("list.json", format!("[\n{zeros}]\n"), 2),
        ("object.json", format!("{{\"a\":\n[{zeros}]}}\n"), 2),
    ] {
        let e = read(&[source(name, &text)]).unwrap_err();
        assert_eq!((e.loc.file.as_str(), e.loc.pos.line), (name, line), "{e}");
        assert!(e.message.starts_with(&format!("more than {n} values")), "{e}");
    }
    // The budget is the import's, not each file's.
    let half = format!("{{\"a\": [{}]}}", vec!["0"; n / 2].join(","));
    let e = read(&[source("a.json", &half), source("b.json", &half)]).unwrap_err();
    assert_eq!(e.loc.file, "b.json", "{e}");
    // Anchors within anchors: each level's copy counts.
    let depth = 150;
    let inner = vec!["\"xxxxxxxxxxxxxxxx\""; 20_000].join(",");
    let nested = format!(
        "a: {}[{inner}]{}\n",
        (0..depth).map(|i| format!("&n{i} [")).collect::<String>(),
        "]".repeat(depth)
    );
    let e = read(&[source("anchors.yaml", &nested)]).unwrap_err();
    assert!(e.message.contains("anchors (`&name`) and aliases (`*name`)"), "{e}");
    assert_eq!(e.loc.pos.line, 1, "{e}");
}

/// A `fly.toml` is a few hundred bytes; the TOML parser builds a tree of the whole
/// file (some hundred and fifty bytes a value) before anything can be counted.
#[test]
fn toml_files_past_the_limit_are_refused_unparsed() {
    let big = format!("app = \"a\"\nx = [{}]\n", vec!["0"; crossover_import::MAX_TOML_BYTES / 2].join(","));
    let e = read(&[source("fly.toml", &big)]).unwrap_err();
    assert_eq!(e.loc.file, "fly.toml");
    assert!(e.message.contains("at most 1048576 bytes"), "{e}");
    // Nor as --traffic's [traffic] table (30 MB of it took 4.7 GB).
    let dir = std::env::temp_dir().join(format!("crossover-import-traffic-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("traffic.toml");
    std::fs::write(&file, format!("[traffic]\nprofile = \"constant\"\nrps = 1\n{}", &big[10..])).unwrap();
    let e = crossover_import::traffic::table(&file, &dir);
    std::fs::remove_dir_all(&dir).unwrap();
    let e = e.unwrap_err();
    assert!(e.message.starts_with("--traffic: ") && e.message.contains("at most 1048576 bytes"), "{e}");
    // Not named .toml: not tried as TOML but read as YAML (one long text, skipped).
    assert!(read(&[source("config", &big)]).unwrap().workloads.is_empty());
}

/// A key written twice: YAML and JSON parsers differ on which value they keep (the YAML
/// reader kept the first, serde_json the last), so either was a silent guess at what the
/// cluster or AWS would read; it is an error at the second key.
#[test]
fn a_key_written_twice_is_refused_at_the_second() {
    let yaml =
        DEPLOYMENT.replace("spec:\n  template:", "spec:\n  replicas: 2\n  template:") + "  replicas: 50\n";
    let e = read(&[source("dup.yaml", &yaml)]).unwrap_err();
    assert_eq!(e.to_string(), "dup.yaml:10:3: invalid YAML: the key `replicas` appears twice in this mapping (first at line 5, column 3): YAML keys must be unique; keep one");
    let flow = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, name: b}\n";
    let e = read(&[source("flow.yaml", flow)]).unwrap_err();
    assert_eq!((e.loc.pos.line, e.loc.pos.col), (3, 21), "{e}");
    let json = "{\"family\": \"f\", \"cpu\": \"256\",\n \"cpu\": \"4096\", \"containerDefinitions\": [{}]}";
    let e = read(&[source("td.json", json)]).unwrap_err();
    assert_eq!(e.loc.pos.line, 2, "{e}");
    assert!(e.message.starts_with("the key \"cpu\" appears twice in this object"), "{e}");
    // The same key in different mappings, and keys differing by case, are fine.
    assert!(read(&[source("ok.yaml", "a: {x: 1}\nb: {x: 1, X: 2}\n")]).is_ok());
}

/// A Deployment `a` and an autoscaler document for it.
fn with_autoscaler(doc: &str) -> String {
    format!("{DEPLOYMENT}---\n{doc}")
}

const HPA: &str = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: a}\nspec:\n  scaleTargetRef: {name: a}\n  minReplicas: 1\n  maxReplicas: 10\n";
const KEDA: &str = "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: a}\nspec:\n  scaleTargetRef: {name: a}\n";
const RPS: &str = "  metrics: [{type: Pods, pods: {metric: {name: http_requests_per_second}, target: {type: AverageValue, averageValue: TARGET}}}]\n";
const TASK: &str =
    r#"{"family": "api", "cpu": "256", "memory": "512", "containerDefinitions": [{"name": "a"}]}"#;
const SERVICE: &str = r#"{"serviceName": "api", "taskDefinition": "api:1", "desiredCount": 2}"#;
const KNATIVE: &str = "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: hello}\nspec:\n  template:\n    metadata:\n      annotations: {ANNOTATIONS}\n    spec:\n      containers: [{image: x}]\n";
const FLY: &str = "app = \"a\"\n[http_service]\nauto_stop_machines = \"stop\"\n";

/// An Application Auto Scaling policy for the service `api`, `config` inside its
/// TargetTrackingScalingPolicyConfiguration.
fn policy(config: &str) -> String {
    format!(
        r#"{{"ServiceNamespace": "ecs", "ResourceId": "service/default/api", "TargetTrackingScalingPolicyConfiguration": {{"PredefinedMetricSpecification": {{"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}}, {config}}}}}"#
    )
}

/// Values the files' own tools refuse (a target of 0, a minimum above the maximum, an
/// unknown selectPolicy, a negative cooldown, a count that is not a whole number) were
/// read, or passed over, and the scenario's validation then refused them: the platform
/// the files describe was quietly left out ("not mapped"), or the value ignored. Each is
/// now an error at the value, saying what is allowed.
#[test]
fn autoscaler_values_the_files_tools_refuse_are_errors_at_the_value() {
    let ecs = |p: String| vec![source("td.json", TASK), source("svc.json", SERVICE), source("p.json", &p)];
    let yaml = |text: String| vec![source("a.yaml", &text)];
    let hpa_with = |extra: &str| with_autoscaler(&format!("{HPA}{extra}"));
    let cases: Vec<(Vec<Source>, &str, &str)> = vec![
        (yaml(hpa_with(&RPS.replace("TARGET", "0"))), "a.yaml:17:", "target: \"0\": must be above 0"),
        (
            yaml(hpa_with("  behavior: {scaleDown: {selectPolicy: Bogus}}\n")),
            "a.yaml:17:",
            "Kubernetes allows Max, Min or Disabled",
        ),
        (
            yaml(with_autoscaler(&HPA.replace("minReplicas: 1", "minReplicas: 12"))),
            "a.yaml:15:",
            "minReplicas 12 is above maxReplicas 10",
        ),
        (
            yaml(with_autoscaler(&format!(
                "{KEDA}  pollingInterval: 0\n  triggers: [{{type: cpu, metadata: {{value: '50'}}}}]\n"
            ))),
            "a.yaml:15:",
            "pollingInterval: expected a whole number of seconds from 1",
        ),
        (
            yaml(with_autoscaler(&format!(
                "{KEDA}  triggers: [{{type: cpu, metadata: {{value: '-50'}}}}]\n"
            ))),
            "a.yaml:15:",
            "metadata.value: expected a utilisation in percent above 0",
        ),
        (
            yaml(with_autoscaler(&format!("{KEDA}  minReplicaCount: 5\n  maxReplicaCount: 2\n"))),
            "a.yaml:15:",
            "minReplicaCount 5 is above maxReplicaCount 2",
        ),
        (
            yaml(KNATIVE.replace("ANNOTATIONS", "autoscaling.knative.dev/minScale: '2.5'")),
            "a.yaml:7:",
            "minScale: expected a whole number",
        ),
        (
            yaml(KNATIVE.replace(
                "ANNOTATIONS",
                "autoscaling.knative.dev/minScale: '5', autoscaling.knative.dev/maxScale: '2'",
            )),
            "a.yaml:7:",
            "minScale 5 is above maxScale 2",
        ),
        (
            ecs(policy(r#""TargetValue": 0"#)),
            "p.json: ",
            "TargetValue: expected a number above 0, found \"0\"",
        ),
        (
            ecs(policy(r#""TargetValue": "high""#)),
            "p.json: ",
            "TargetValue: expected a number above 0, found \"high\"",
        ),
        (
            ecs(policy(r#""TargetValue": 50, "ScaleOutCooldown": -60"#)),
            "p.json: ",
            "ScaleOutCooldown: expected a number of seconds, at least 0",
        ),
        (
            ecs(policy(r#""TargetValue": 50, "MinCapacity": "two""#).replace(
                r#", "TargetTrackingScalingPolicyConfiguration": {"#,
                r#", "MinCapacity": "two", "TargetTrackingScalingPolicyConfiguration": {"#,
            )),
            "p.json: ",
            "MinCapacity: expected a whole number",
        ),
        (
            ecs(policy(r#""TargetValue": 50"#)
                .replace(r#""ResourceId""#, r#""MinCapacity": 9, "MaxCapacity": 3, "ResourceId""#)),
            "p.json: ",
            "MinCapacity 9 is above MaxCapacity 3",
        ),
        (
            vec![source("fly.toml", &format!("{FLY}[[vm]]\ncpus = -2\n"))],
            "fly.toml: ",
            "cpus = \"-2\": expected a number of vCPUs above 0",
        ),
        (vec![source("fly.toml", &format!("{FLY}[[vm]]\ncpus = \"two\"\n"))], "fly.toml: ", "cpus = \"two\""),
        (
            vec![source("fly.toml", &format!("{FLY}min_machines_running = -3\n"))],
            "fly.toml: ",
            "min_machines_running = \"-3\": expected a whole number",
        ),
        (
            vec![source("fly.toml", &format!("{FLY}[http_service.concurrency]\nsoft_limit = 0\n"))],
            "fly.toml: ",
            "concurrency.soft_limit = \"0\": expected a whole number from 1",
        ),
    ];
    for (sources, at, says) in cases {
        let e = read(&sources).map(|_| ()).unwrap_err().to_string();
        assert!(e.starts_with(at) && e.contains(says), "{at} {says}: {e}");
    }
}

/// Values valid in the files but outside the scenario format's ranges are brought
/// within them and said, the files' platforms kept (they were left out: a target of
/// 1e30 requests/s, a CPU target of 1e308%, an initialDelaySeconds of 1e300 s); a
/// Knative maxScale of 0 means no limit (it became a limit of one instance).
#[test]
fn autoscaler_values_outside_the_formats_ranges_are_brought_in_and_said() {
    let opts = Options { name: "t".into(), ..Options::default() };
    let delay = DEPLOYMENT.replace(
        "      - resources:",
        "      - readinessProbe: {initialDelaySeconds: 1e300}\n        resources:",
    );
    let ecs = [
        source("td.json", TASK),
        source("svc.json", SERVICE),
        source("p.json", &policy(r#""TargetValue": 1e308"#)),
    ];
    for (sources, platform, says) in [
        (
            vec![source("a.yaml", &with_autoscaler(&format!("{HPA}{}", RPS.replace("TARGET", "1e30"))))],
            "gke-autopilot",
            "target = 1000000000.0 }   # a target of 1e30 is taken as 1e9, within crossover's 0.000001 to 1000000000",
        ),
        (vec![source("a.yaml", &delay)], "gke-autopilot", "startup = { fixed = \"31536000s\" }"),
        (ecs.to_vec(), "fargate", "target = 1.0 }   # a CPU target of 1e308% is taken as 100%"),
    ] {
        let imported = read(&sources).unwrap();
        let (text, notes) = build(&imported, &opts, Path::new(".")).unwrap();
        assert!(text.contains(&format!("name = \"{platform}\"")), "{platform} left out: {notes:?}");
        assert!(text.contains(says), "{says}: {text}");
    }
    let unlimited = KNATIVE.replace("ANNOTATIONS", "autoscaling.knative.dev/maxScale: '0'");
    let (text, _) = build(&read(&[source("k.yaml", &unlimited)]).unwrap(), &opts, Path::new(".")).unwrap();
    let cloud_run = text.split("name = \"cloud-run\"").nth(1).unwrap().split("[[platform]]").next().unwrap();
    assert!(!cloud_run.contains("max_instances"), "{cloud_run}");
    assert!(text.contains("maxScale 0 means no limit"), "{text}");
}

/// A count the files run above a preset's pool (a Deployment of 300 replicas on presets
/// of 200, an ECS service of 300 tasks or a Knative minScale of 300 on presets of 100):
/// the scenario's validation refused `instances` above `max_instances` and the platform
/// the files describe was left out; it now gets room for the count, said in a comment.
#[test]
fn counts_above_a_presets_pool_get_room_on_the_files_own_platform() {
    let opts = Options { name: "t".into(), ..Options::default() };
    let deployment = DEPLOYMENT.replace("spec:\n  template:", "spec:\n  replicas: 300\n  template:");
    let service = SERVICE.replace("\"desiredCount\": 2", "\"desiredCount\": 300");
    let knative = KNATIVE.replace("ANNOTATIONS", "autoscaling.knative.dev/minScale: '300'");
    for (sources, platforms) in [
        (
            vec![source("a.yaml", &deployment)],
            &["gke-autopilot", "gke-standard", "eks", "k8s-self-managed"][..],
        ),
        (vec![source("td.json", TASK), source("svc.json", &service)], &["fargate"][..]),
        (vec![source("k.yaml", &knative)], &["cloud-run"][..]),
    ] {
        let (text, notes) = build(&read(&sources).unwrap(), &opts, Path::new(".")).unwrap();
        for p in platforms {
            let block = text
                .split(&format!("name = \"{p}\"\n"))
                .nth(1)
                .unwrap_or_else(|| panic!("{p} left out: {notes:?}"));
            let block = block.split("[[platform]]").next().unwrap();
            assert!(block.contains("max_instances = 300   # "), "{p}: {block}");
        }
    }
}

/// A value the import writes that the scenario's validation refuses, other than what a
/// platform can hold (a pod larger than its nodes, more at once than its pool): the
/// platform was left out and the refusal listed as "not mapped", which hid values read
/// wrong (each found so far is refused where it is read, above). It is now a defect of
/// the import, said as one.
#[test]
fn a_value_written_wrong_is_a_defect_not_a_platform_left_out() {
    let mut imported = read(&[source("fly.toml", FLY)]).unwrap();
    let w = &mut imported.workloads[0];
    if let Some(crossover_import::model::Scaling::Fly { soft, .. }) = &mut w.scaling {
        *soft = Some(0);
    }
    let opts = Options { name: "t".into(), ..Options::default() };
    let e = build(&imported, &opts, Path::new(".")).unwrap_err();
    assert!(e.contains("a defect of crossover import"), "{e}");
    assert!(e.contains("soft_limit"), "{e}");
}

/// An ECS container's `cpu`, `memory` or `memoryReservation` that is negative or not a
/// number: a negative one was summed (-1024 and 2048 units made one vCPU) and text
/// passed over as 0; a task definition without containers was imported at the presets'
/// sizes. Each is an error naming the container and key.
#[test]
fn ecs_container_sizes_that_are_not_sizes_are_refused() {
    for (containers, says) in [
        (r#"[{"cpu": -1024}, {"cpu": 2048}]"#, "containerDefinitions[0].cpu: expected a number at least 0 (CPU units, 1024 to a vCPU), found \"-1024\""),
        (r#"[{"cpu": 256, "memory": "lots"}]"#, "containerDefinitions[0].memory: expected a number at least 0 (MiB), found \"lots\""),
        (r#"[{}, {"memoryReservation": -5}]"#, "containerDefinitions[1].memoryReservation"),
        ("[]", "`containerDefinitions` is an empty list: ECS requires a list of at least one container"),
        (r#""web""#, "`containerDefinitions` is a value"),
    ] {
        let td = format!(r#"{{"family": "api", "containerDefinitions": {containers}}}"#);
        let e = read(&[source("td.json", &td)]).map(|_| ()).unwrap_err().to_string();
        assert!(e.starts_with("td.json: task definition api: ") && e.contains(says), "{says}: {e}");
    }
}

/// Every input is held in memory while the import reads them, and each file could have
/// 64 MiB: a folder of a hundred such files asked for some twelve gigabytes (six 60 MB
/// files took 700 MB). The inputs together may have the 64 MiB a file may, refused
/// before the file that would pass it is read.
#[test]
fn the_inputs_together_are_read_no_further_than_the_limit() {
    let dir = std::env::temp_dir().join(format!("crossover-import-total-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // Sparse files: 40 MiB each by their size, nothing on the disk.
    for name in ["a.yaml", "b.yaml"] {
        std::fs::File::create(dir.join(name)).unwrap().set_len(40 << 20).unwrap();
    }
    let e = crossover_import::collect(std::slice::from_ref(&dir));
    let mut left = 100;
    std::fs::write(dir.join("a.yaml"), "a: 1\n".repeat(12)).unwrap();
    std::fs::write(dir.join("b.yaml"), "a: 1\n".repeat(12)).unwrap();
    let within = crossover_import::collect_within(std::slice::from_ref(&dir), &mut left);
    std::fs::remove_dir_all(&dir).unwrap();
    let e = e.unwrap_err();
    assert!(e.loc.file.ends_with("b.yaml"), "{e}");
    assert!(e.message.contains("with 25165824 bytes left of the 67108864 an import reads in all"), "{e}");
    // The budget passed on: 60 bytes of the 100 taken by the first file.
    let e = within.unwrap_err();
    assert!(e.loc.file.ends_with("b.yaml") && e.message.starts_with("60 bytes, with 40 bytes left"), "{e}");
}

/// A negative number of seconds or a negative Knative setting was refused with
/// "expected a number of seconds, found \"-5\"", which does not say what is wrong with -5.
#[test]
fn negative_numbers_are_refused_saying_the_least_allowed() {
    let hpa = with_autoscaler(&format!("{HPA}  behavior: {{scaleUp: {{stabilizationWindowSeconds: -5}}}}\n"));
    let e = read(&[source("a.yaml", &hpa)]).map(|_| ()).unwrap_err().to_string();
    assert!(
        e.contains("stabilizationWindowSeconds: expected a number of seconds, at least 0, found \"-5\""),
        "{e}"
    );
    let knative = KNATIVE.replace("ANNOTATIONS", "autoscaling.knative.dev/target: '-1'");
    let e = read(&[source("k.yaml", &knative)]).map(|_| ()).unwrap_err().to_string();
    assert!(e.contains("autoscaling target: expected a number at least 0, found \"-1\""), "{e}");
}
