//! Embeds every data file under `data/rules/` and `data/registry/` so adding
//! a rules file needs no code change, and does at build time what every
//! process would otherwise do at start: reads the built-in rules files,
//! finds the literals of every built-in pattern, and pulls out of the
//! registry what a verdict needs. The crate's tests check that these tables
//! equal what a run-time read of the same files gives.
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::{env, fs, path::Path, path::PathBuf};

#[path = "src/rules/key_list.rs"]
#[allow(dead_code)]
mod key_list;
#[path = "src/rules/key_lookup.rs"]
#[allow(dead_code)]
mod key_lookup;
#[path = "src/rules/keys.rs"]
#[allow(dead_code)]
mod keys;
#[path = "src/rules/literals.rs"]
#[allow(dead_code)]
mod literals;
#[path = "src/text/marks.rs"]
mod marks;
#[path = "src/rules/raw.rs"]
mod raw;

fn toml_files(dir: &str) -> Vec<PathBuf> {
    println!("cargo:rerun-if-changed={dir}");
    let mut files: Vec<_> = fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "toml"));
    files.sort();
    for p in &files {
        println!("cargo:rerun-if-changed={}", p.display());
    }
    files
}

fn embed(dir: &str, files: &[PathBuf], out: &mut String, name: &str, attr: &str) {
    out.push_str(&format!("{attr}pub(crate) static {name}: &[(&str, &str)] = &[\n"));
    for p in files {
        let stem = p.file_stem().unwrap().to_string_lossy();
        let file = p.file_name().unwrap().to_string_lossy();
        // Relative to the crate as it is compiled, not to where this script
        // last ran: a target directory shared by two checkouts at different
        // paths would otherwise embed the other checkout's files (or fail on
        // them once it is gone).
        out.push_str(&format!("    ({stem:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), {:?}))),\n", format!("/{dir}/{file}")));
    }
    out.push_str("];\n");
}

fn read(p: &Path) -> String {
    fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A string list as a Rust slice expression.
fn list<S: AsRef<str>>(items: &[S]) -> String {
    let mut s = String::from("&[");
    for i in items {
        write!(s, "{:?},", i.as_ref()).unwrap();
    }
    s.push(']');
    s
}

/// The built-in rules as statics (`StaticRule`s, per file), and the keys of
/// every distinct built-in pattern, sorted by pattern for a binary search;
/// and the built-in rules' key automaton, as `Keys::to_bytes` writes it.
fn rules(files: &[PathBuf]) -> (String, Vec<u8>, Vec<u8>) {
    let mut all = Vec::new();
    let mut out = String::from("pub(crate) static BUILTIN_RULES: &[(&str, &[StaticRule])] = &[\n");
    let mut patterns = BTreeMap::new();
    for p in files {
        let stem = p.file_stem().unwrap().to_string_lossy();
        let file: raw::RulesFile = toml::from_str(&read(p)).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        writeln!(out, "({stem:?}, &[").unwrap();
        for r in file.rule {
            let opt = |o: &Option<String>| o.as_ref().map_or("None".to_string(), |s| format!("Some({s:?})"));
            writeln!(
                out,
                "StaticRule {{ id: {:?}, reason: {:?}, priority: {}, phrases: {}, patterns: {}, status: {}, bounce_type: {}, class: {:?}, in_report: {}, examples: {} }},",
                r.id,
                r.reason,
                r.priority,
                list(&r.phrases),
                list(&r.patterns),
                opt(&r.status),
                opt(&r.bounce_type),
                r.class,
                opt(&r.in_report),
                list(&r.examples)
            )
            .unwrap();
            for pat in &r.patterns {
                patterns.entry(pat.clone()).or_insert_with(|| literals::pattern_keys(pat));
            }
            all.push(r);
        }
        out.push_str("]),\n");
    }
    out.push_str("];\n");
    out.push_str("pub(crate) static BUILTIN_PATTERN_KEYS: &[(&str, Keyed<&[&str]>)] = &[\n");
    for (pat, keyed) in &patterns {
        let k = match keyed {
            literals::Keyed::Prefix(l, None) => format!("Keyed::Prefix({}, None)", list(l)),
            literals::Keyed::Prefix(l, Some(c)) => format!("Keyed::Prefix({}, Some({}))", list(l), list(c)),
            literals::Keyed::Suffix(l) => format!("Keyed::Suffix({})", list(l)),
            literals::Keyed::Inner(l) => format!("Keyed::Inner({})", list(l)),
            literals::Keyed::Always => "Keyed::Always".to_string(),
            literals::Keyed::Exact(l) => format!("Keyed::Exact({})", list(l)),
        };
        writeln!(out, "({pat:?}, {k}),").unwrap();
    }
    out.push_str("];\n");
    // What RuleSet::with_user_rules does for the built-in rules alone.
    let keyed: Vec<literals::Keyed<Vec<&str>>> = all.iter().flat_map(|r| &r.patterns).map(|p| patterns[p].view()).collect();
    let found = key_list::rule_keys(all.iter().map(|r| (&r.phrases, r.patterns.len())), &keyed, marks::copy_marks());
    // The list itself too: a process with the built-in rules reads it back
    // rather than working it out again (most of a process start).
    let rule_keys = key_list::to_bytes(&found);
    let keys: Vec<Vec<u8>> = found.by_key.into_iter().map(|(k, _)| k).collect();
    let sample = all.iter().flat_map(|r| r.examples.iter().map(|e| e.as_bytes()));
    let automaton = keys::Keys::build(&keys, sample, marks::BREAKS).unwrap_or_else(|e| panic!("data/rules: {e}"));
    (out, automaton.to_bytes(&keys), rule_keys)
}

/// What a verdict reads of the registry (name and reasons of every subject
/// and registered code), as statics; `explain` still reads the whole files.
fn registry_quick(files: &[PathBuf]) -> String {
    let (mut subjects, mut codes) = (String::new(), String::new());
    for p in files {
        let table: toml::Table = toml::from_str(&read(p)).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        let fields = |key: &str, v: &toml::Value| -> String {
            let get = |f: &str| {
                v.get(f).and_then(toml::Value::as_str).unwrap_or_else(|| panic!("{}: {key} lacks a string {f}", p.display())).to_string()
            };
            // The reason inside a report is optional: "" when it is the same.
            let in_report = v.get("reason_in_report").and_then(toml::Value::as_str).unwrap_or("");
            format!("{:?}, {:?}, {:?}, {in_report:?}", get("name"), get("reason_permanent"), get("reason_temporary"))
        };
        for (k, v) in table.get("subject").and_then(toml::Value::as_table).into_iter().flatten() {
            let s: u16 = k.parse().unwrap_or_else(|_| panic!("{}: subject key {k:?} is not a number", p.display()));
            writeln!(subjects, "({s}, {}),", fields(k, v)).unwrap();
        }
        for (k, v) in table.get("code").and_then(toml::Value::as_table).into_iter().flatten() {
            let numbers: Option<Vec<u16>> = k.strip_prefix("X.").and_then(|r| r.split('.').map(|n| n.parse().ok()).collect());
            let Some(&[s, d]) = numbers.as_deref() else { panic!("{}: code key {k:?} is not X.s.d", p.display()) };
            writeln!(codes, "({s}, {d}, {}),", fields(k, v)).unwrap();
        }
    }
    format!(
        "pub(crate) static QUICK_SUBJECTS: &[(u16, &str, &str, &str, &str)] = &[\n{subjects}];\n\
         pub(crate) static QUICK_CODES: &[(u16, u16, &str, &str, &str, &str)] = &[\n{codes}];\n"
    )
}

/// Every reason's metadata from data/reasons.toml, as statics (names of
/// enum values as written; the crate parses them, and a test holds the
/// result equal to serde's reading of the file).
fn reasons(path: &Path) -> String {
    let table: toml::Table = toml::from_str(&read(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = String::from("pub(crate) static REASONS: &[(&str, crate::reason::StaticReasonInfo)] = &[\n");
    for (name, v) in table.get("reason").and_then(toml::Value::as_table).into_iter().flatten() {
        let text = |f: &str| v.get(f).and_then(toml::Value::as_str).map(str::to_string);
        let need = |f: &str| text(f).unwrap_or_else(|| panic!("{}: reason {name} lacks a string {f}", path.display()));
        let opt = |o: Option<String>| o.map_or("None".to_string(), |s| format!("Some({s:?})"));
        let ses = v.get("ses").map(|s| {
            let f = |k: &str| s.get(k).and_then(toml::Value::as_str).unwrap_or_else(|| panic!("{}: reason {name}: ses lacks {k}", path.display())).to_string();
            (f("type"), f("subtype"))
        });
        let sparkpost = v.get("sparkpost").map(|n| n.as_integer().and_then(|n| u8::try_from(n).ok()).unwrap_or_else(|| panic!("{}: reason {name}: sparkpost is not 0..=255", path.display())));
        writeln!(
            out,
            "({name:?}, crate::reason::StaticReasonInfo {{ definition: {:?}, bounce_type: {:?}, action: {:?}, category: {:?}, status: {}, ses: {}, sparkpost: {sparkpost:?}, kumomta: {}, sendgrid: {}, postmark: {} }}),",
            need("definition"),
            need("bounce_type"),
            need("action"),
            need("category"),
            opt(text("status")),
            ses.map_or("None".to_string(), |(t, s)| format!("Some(({t:?}, {s:?}))")),
            opt(text("kumomta")),
            opt(text("sendgrid")),
            opt(text("postmark")),
        )
        .unwrap();
    }
    out.push_str("];\n");
    out
}

fn main() {
    let out_dir = env::var("OUT_DIR").unwrap();
    let rule_files = toml_files("data/rules");
    let registry_files = toml_files("data/registry");
    let mut out = String::new();
    // The rules' text only for the test that holds the statics equal to it.
    embed("data/rules", &rule_files, &mut out, "RULE_FILES", "#[cfg(test)]\n");
    embed("data/registry", &registry_files, &mut out, "REGISTRY_FILES", "");
    out.push_str(&registry_quick(&registry_files));
    out.push_str(&reasons(Path::new("data/reasons.toml")));
    println!("cargo:rerun-if-changed=data/reasons.toml");
    println!("cargo:rerun-if-changed=data/taxonomies.toml");
    for shared in ["src/rules/literals.rs", "src/rules/raw.rs", "src/rules/key_list.rs", "src/rules/keys.rs", "src/text/marks.rs"] {
        println!("cargo:rerun-if-changed={shared}");
    }
    fs::write(Path::new(&out_dir).join("embedded.rs"), out).unwrap();
    let (statics, automaton, rule_keys) = rules(&rule_files);
    fs::write(Path::new(&out_dir).join("builtin_rules.rs"), statics).unwrap();
    fs::write(Path::new(&out_dir).join("keys.bin"), automaton).unwrap();
    fs::write(Path::new(&out_dir).join("rule_keys.bin"), rule_keys).unwrap();
}
