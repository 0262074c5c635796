//! Embeds every data file under `data/rules/` and `data/registry/` so adding
//! a rules file needs no code change.
use std::{env, fs, path::Path};

fn embed(dir: &str, out: &mut String, name: &str) {
    println!("cargo:rerun-if-changed={dir}");
    let mut files: Vec<_> = fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "toml"));
    files.sort();
    out.push_str(&format!("pub(crate) static {name}: &[(&str, &str)] = &[\n"));
    for p in files {
        println!("cargo:rerun-if-changed={}", p.display());
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

fn main() {
    let mut out = String::new();
    embed("data/rules", &mut out, "RULE_FILES");
    embed("data/registry", &mut out, "REGISTRY_FILES");
    println!("cargo:rerun-if-changed=data/reasons.toml");
    println!("cargo:rerun-if-changed=data/taxonomies.toml");
    let dest = Path::new(&env::var("OUT_DIR").unwrap()).join("embedded.rs");
    fs::write(dest, out).unwrap();
}
