//! The platform presets: data files (TOML) embedded in the binary.
//!
//! Each file holds a `[preset]` table (title, billing model, as-of date, a source for
//! every value, optional cold-start profiles by runtime) and a `[platform]` table with
//! the same keys as a scenario's `[[platform]]` entry. This crate only embeds the text;
//! the scenario crate parses it and merges it under a user's entry.

/// One embedded preset file.
#[derive(Clone, Copy, Debug)]
pub struct PresetFile {
    pub name: &'static str,
    pub toml: &'static str,
}

macro_rules! presets {
    ($($name:literal),* $(,)?) => {
        &[$(PresetFile { name: $name, toml: include_str!(concat!("../presets/", $name, ".toml")) }),*]
    };
}

/// Every preset, in the order `crossover presets` lists them.
pub const PRESETS: &[PresetFile] = presets![
    "cloud-run",
    "cloud-run-instance",
    "cloud-run-gpu",
    "fargate",
    "fargate-spot",
    "fargate-arm",
    "container-apps",
    "fly-machines",
    "lambda",
    "gke-autopilot",
    "gke-standard",
    "eks",
    "eks-spot",
    "eks-karpenter",
    "eks-gpu",
    "k8s-self-managed",
];

pub fn find(name: &str) -> Option<&'static PresetFile> {
    PRESETS.iter().find(|p| p.name == name)
}
