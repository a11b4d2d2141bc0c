//! The keys each table allows, read from the schema's own serde derives.
//!
//! The structure check needs the allowed keys of every table to report unknown ones with a
//! suggestion. A second, hand-kept list would drift from `schema.rs` as keys are added, so
//! the lists are asked of the `Deserialize` impls instead: a probing deserializer records
//! the field names a struct requests (`deserialize_struct`) and, for internally tagged
//! enums, the variant names and each variant's fields, which serde hands to
//! `unknown_variant` and `unknown_field` when it meets a name it does not know.

use serde::de::{self, value::MapDeserializer, Deserialize, Deserializer, Visitor};
use std::fmt;

/// A name no schema uses, fed to the derives to make them list what they accept.
const PROBE: &str = "\u{1}probe";

/// What a derive revealed, carried as the "error" of the probing deserializer.
#[derive(Debug)]
enum Probe {
    Fields(&'static [&'static str]),
    Variants(&'static [&'static str]),
    Other,
}

impl fmt::Display for Probe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

impl std::error::Error for Probe {}

impl de::Error for Probe {
    fn custom<T: fmt::Display>(_msg: T) -> Self {
        Probe::Other
    }
    fn unknown_field(_field: &str, expected: &'static [&'static str]) -> Self {
        Probe::Fields(expected)
    }
    fn unknown_variant(_variant: &str, expected: &'static [&'static str]) -> Self {
        Probe::Variants(expected)
    }
}

/// Answers `deserialize_struct` with the field list; anything else is not a struct.
struct StructProbe;

impl<'de> Deserializer<'de> for StructProbe {
    type Error = Probe;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Probe> {
        Err(Probe::Other)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Probe> {
        Err(Probe::Fields(fields))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// The keys of struct `T` as written in files (after renames). Empty for a type that is
/// not a plain struct.
pub fn fields<T: for<'de> Deserialize<'de>>() -> &'static [&'static str] {
    match T::deserialize(StructProbe) {
        Err(Probe::Fields(fields)) => fields,
        _ => &[],
    }
}

/// Deserialises `T` from a table of string values, returning what the derive revealed.
fn probe_table<T: for<'de> Deserialize<'de>>(entries: Vec<(&'static str, String)>) -> Probe {
    let map = MapDeserializer::<_, Probe>::new(entries.into_iter());
    match T::deserialize(map) {
        Ok(_) => Probe::Other,
        Err(p) => p,
    }
}

/// The variant names of an enum internally tagged by `tag` (e.g. `kind`).
pub fn variants<T: for<'de> Deserialize<'de>>(tag: &'static str) -> &'static [&'static str] {
    match probe_table::<T>(vec![(tag, PROBE.to_string())]) {
        Probe::Variants(names) => names,
        _ => &[],
    }
}

/// The keys (besides the tag) of `variant` of an enum internally tagged by `tag`, or
/// `None` if there is no such variant.
pub fn variant_fields<T: for<'de> Deserialize<'de>>(
    tag: &'static str,
    variant: &str,
) -> Option<&'static [&'static str]> {
    if !variants::<T>(tag).contains(&variant) {
        return None;
    }
    match probe_table::<T>(vec![(tag, variant.to_string()), (PROBE, String::new())]) {
        Probe::Fields(fields) => Some(fields),
        // A variant that accepts any extra key has no list to check against.
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::*;

    #[test]
    fn struct_fields_are_the_names_in_files() {
        assert_eq!(fields::<SimulationSection>(), ["horizon", "replications", "seed", "slo_p99"]);
        let top = fields::<ScenarioFile>();
        assert!(top.contains(&"platform"), "renamed fields appear as written: {top:?}");
        assert!(fields::<PlatformSection>().contains(&"max_instances"));
        assert!(fields::<DistField>().is_empty(), "a custom enum is not a struct");
    }

    #[test]
    fn tagged_enums_list_variants_and_their_fields() {
        assert_eq!(
            variants::<AutoscalerSection>("kind"),
            [
                "fixed",
                "per-request",
                "sqs-poller",
                "concurrency",
                "target-tracking",
                "keda-http",
                "fly-proxy",
                "hpa",
                "schedule"
            ]
        );
        assert_eq!(variant_fields::<AutoscalerSection>("kind", "fixed"), Some(&["instances"][..]));
        assert_eq!(variant_fields::<AutoscalerSection>("kind", "per-request"), Some(&["keep_alive"][..]));
        assert_eq!(variant_fields::<AutoscalerSection>("kind", "nope"), None);
        assert!(variants::<DistTable>("dist").contains(&"lognormal"));
        assert_eq!(variant_fields::<DistTable>("dist", "lognormal"), Some(&["p50", "p99", "mean", "cv"][..]));
        assert_eq!(variants::<RouterSection>("kind"), ["central-queue", "load-balancer"]);
    }
}
