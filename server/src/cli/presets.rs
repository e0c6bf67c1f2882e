//! `distill presets`: the architecture presets and their sizes on each dataset shape.

use std::process::ExitCode;

use engine::models::{presets as all_presets, InputShape, Net};

/// Prints every preset with its parameter count on 28×28 grey and 32×32 colour inputs.
pub fn presets() -> anyhow::Result<ExitCode> {
    let grey = InputShape {
        channels: 1,
        height: 28,
        width: 28,
        classes: 10,
    };
    let colour = InputShape {
        channels: 3,
        height: 32,
        width: 32,
        classes: 10,
    };
    println!(
        "{:<11} {:>14} {:>14}  description",
        "preset", "params 28×28×1", "params 32×32×3"
    );
    for preset in all_presets() {
        let count = |input| Net::parameter_count(&preset.architecture, input);
        println!(
            "{:<11} {:>14} {:>14}  {}",
            preset.name,
            count(grey),
            count(colour),
            preset.description
        );
    }
    Ok(ExitCode::SUCCESS)
}
