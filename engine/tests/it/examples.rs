//! The specs the repository ships (`examples/`, `examples/recipes/`) are ones the lab accepts:
//! a user who copies one gets a run, not a 422.

use std::path::PathBuf;

use crate::crate_dir;

fn shipped_specs() -> Vec<PathBuf> {
    let examples = crate_dir::crate_dir().join("../examples");
    let mut specs = Vec::new();
    for dir in [examples.clone(), examples.join("recipes")] {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.expect("a directory entry").path();
            if path.extension().is_some_and(|ext| ext == "json") {
                specs.push(path);
            }
        }
    }
    specs.sort();
    specs
}

#[test]
fn every_shipped_spec_parses_and_validates() {
    let specs = shipped_specs();
    assert!(specs.len() >= 10, "found only {specs:?}");
    for path in specs {
        let text = std::fs::read_to_string(&path).expect("readable spec");
        let spec =
            engine::spec::parse_spec(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        engine::spec::validate(spec, None, &engine::data::DataDirs::default())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}
