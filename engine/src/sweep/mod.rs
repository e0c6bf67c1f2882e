//! Sweeps: a search over paths of an experiment spec, tuned on validation. [`SweepPlan`] checks
//! a [`SweepSpec`] against its resolved base (paths, kinds of values, caps; every range's ends
//! through the spec validator itself, so the bounds have one source), draws each trial's values,
//! and writes each trial's spec: the base's earlier stages unchanged (so every trial shares them)
//! and the last stage with the trial's values, one seed and its rung's epochs.
//! [`halving`] decides what a free slot does next.

pub mod halving;
mod path;

use api::{Dimension, EarlyStopping, ExperimentSpec, Strategy, SweepSpec};
use serde_json::Value;

pub use path::{SpecPath, Step};

use crate::data::DataDirs;
use crate::rng::{purpose, Rng};
use crate::spec::bounds::{EPOCHS, ETA, SEED, TRIALS};
use crate::spec::{
    parse_spec_value, validate, validate_seeds, ImportedModel, SpecError, ValidatedSpec,
};

/// Most trials one sweep may start (a grid expands to at most this many).
pub const MAX_TRIALS: usize = 256;

/// Most epochs one sweep may train, trials and confirmation together, in the worst case.
pub const MAX_EPOCHS: usize = 20_000;

/// One tuned path.
#[derive(Debug, Clone, PartialEq)]
pub struct TunedPath {
    /// As the sweep wrote it.
    pub name: String,
    /// Where it lands in the resolved spec (`budget.…` is the last stage's budget).
    pub target: SpecPath,
    /// Its values.
    pub dimension: Dimension,
    /// The field holds whole numbers.
    pub integer: bool,
}

/// A checked sweep, ready to draw trials.
#[derive(Debug, Clone)]
pub struct SweepPlan {
    /// The base experiment, resolved (every stage's budget filled in).
    pub base: ExperimentSpec,
    /// The tuned paths, in the sweep's (sorted) order.
    pub paths: Vec<TunedPath>,
    /// Trials to start.
    pub trials: usize,
    /// Epochs of each rung, the last being the full budget of the last stage.
    pub rungs: Vec<usize>,
    /// The reduction factor of successive halving (unused with one rung).
    pub eta: usize,
    /// The seed every trial trains with: the base's first.
    pub trial_seed: u64,
    /// The seeds of the confirmation.
    pub confirm_seeds: Vec<u64>,
    strategy: Strategy,
}

impl SweepPlan {
    /// Checks `sweep` against `base`, its base validated; errors name the field at fault
    /// (`space.<path>`, `strategy`, `early_stopping`, `confirm.seeds`).
    pub fn new(sweep: &SweepSpec, base: &ValidatedSpec) -> Result<SweepPlan, SpecError> {
        let spec = &base.spec;
        let last = spec.chain.len() - 1;
        let full = base.stages[last].budget.epochs;
        if sweep.space.is_empty() {
            return Err(SpecError::new("space", "name at least one path to tune"));
        }
        let resolved = serde_json::to_value(spec).expect("a spec serializes");
        let halving = sweep.early_stopping.is_some();
        let paths = sweep
            .space
            .iter()
            .map(|(name, dimension)| tuned_path(name, dimension, &resolved, last, halving))
            .collect::<Result<Vec<_>, _>>()?;
        let (rungs, eta) = match &sweep.early_stopping {
            None => (vec![full], 2),
            Some(EarlyStopping::SuccessiveHalving { min_epochs, eta }) => {
                let at = "early_stopping";
                EPOCHS.check(*min_epochs as f64, format!("{at}.min_epochs"))?;
                ETA.check(*eta as f64, format!("{at}.eta"))?;
                (halving::rung_epochs(full, *min_epochs, *eta), *eta)
            }
        };
        if let Strategy::Random { trials, seed } = &sweep.strategy {
            TRIALS.check(*trials as f64, "strategy.trials")?;
            SEED.check(*seed as f64, "strategy.seed")?;
        }
        validate_seeds(&sweep.confirm.seeds, "confirm.seeds", 0)?;
        let trials = trial_count(&sweep.strategy, &paths)?;
        let plan = SweepPlan {
            base: spec.clone(),
            paths,
            trials,
            rungs,
            eta,
            trial_seed: sweep.trial_seed(),
            confirm_seeds: sweep.confirm_seeds(),
            strategy: sweep.strategy.clone(),
        };
        let epochs = plan.worst_case_epochs();
        if epochs > MAX_EPOCHS {
            return Err(SpecError::new(
                "strategy",
                format!("this sweep could train up to {epochs} epochs, more than the {MAX_EPOCHS} a sweep may; use fewer trials, fewer epochs or early stopping"),
            ));
        }
        Ok(plan)
    }

    /// Epochs trained if every promotion happens: ⌈n/ηʳ⌉ trials at rung r, plus the
    /// confirmation (tuned, default and baseline students on every confirmation seed).
    pub fn worst_case_epochs(&self) -> usize {
        let mut trials = self.trials;
        let mut total = 0;
        for epochs in &self.rungs {
            total += trials * epochs;
            trials = trials.div_ceil(self.eta);
        }
        total + 3 * self.confirm_seeds.len() * self.rungs.last().copied().unwrap_or(0)
    }

    /// The values of trial `trial`, one per path: the `trial`-th grid point, or draws from a
    /// stream of the strategy's seed and the trial's index.
    pub fn values(&self, trial: usize) -> Vec<Value> {
        match &self.strategy {
            Strategy::Grid => {
                let mut rest = trial;
                let mut values: Vec<Value> = Vec::with_capacity(self.paths.len());
                for path in self.paths.iter().rev() {
                    let Dimension::Values(choices) = &path.dimension else {
                        unreachable!("a grid has only value lists (checked)")
                    };
                    values.push(choices[rest % choices.len()].clone());
                    rest /= choices.len();
                }
                values.reverse();
                values
            }
            Strategy::Random { seed, .. } => {
                let mut rng = Rng::derive(*seed, &[purpose::SWEEP, trial as u64]);
                self.paths.iter().map(|p| draw(p, &mut rng)).collect()
            }
        }
    }

    /// The spec of one trial: the base with `values` on the tuned paths, the last stage trained
    /// for `epochs` on `seeds`, without a baseline unless asked.
    pub fn trial_spec(
        &self,
        values: &[Value],
        epochs: usize,
        seeds: &[u64],
        baseline: bool,
        name: String,
    ) -> Result<ExperimentSpec, SpecError> {
        let mut spec = serde_json::to_value(&self.base).expect("a spec serializes");
        for (path, value) in self.paths.iter().zip(values) {
            let slot = path
                .target
                .locate_mut(&mut spec)
                .map_err(|m| SpecError::new(format!("space.{}", path.name), m))?;
            *slot = value.clone();
        }
        let last = self.base.chain.len() - 1;
        spec["chain"][last]["budget"]["epochs"] = epochs.into();
        spec["seeds"] = seeds.into();
        spec["baseline"] = baseline.into();
        spec["name"] = name.into();
        parse_spec_value(spec)
    }

    /// Validates the trial spec of every range end and every listed value, one path at a time
    /// (the others at their base values), so a value the validator refuses is a sweep error
    /// naming its path, before anything is queued.
    pub fn check_values(
        &self,
        imported: Option<&ImportedModel>,
        dirs: &DataDirs,
    ) -> Result<(), SpecError> {
        let base_values: Vec<Value> = self
            .paths
            .iter()
            .map(|p| {
                let mut base = serde_json::to_value(&self.base).expect("a spec serializes");
                p.target
                    .locate_mut(&mut base)
                    .map(|v| v.clone())
                    .unwrap_or(Value::Null)
            })
            .collect();
        let full = *self.rungs.last().expect("at least one rung");
        for (i, path) in self.paths.iter().enumerate() {
            for value in extremes(path) {
                let mut values = base_values.clone();
                values[i] = value.clone();
                let at = |e: SpecError| {
                    SpecError::new(
                        format!("space.{}", path.name),
                        format!("the value {value} is refused: {}: {}", e.field, e.message),
                    )
                };
                let spec = self
                    .trial_spec(&values, full, &[self.trial_seed], false, String::new())
                    .map_err(at)?;
                validate(spec, imported, dirs).map_err(at)?;
            }
        }
        Ok(())
    }
}

/// A sweep path checked against the resolved spec `resolved` whose last stage is `last`.
fn tuned_path(
    name: &str,
    dimension: &Dimension,
    resolved: &Value,
    last: usize,
    halving: bool,
) -> Result<TunedPath, SpecError> {
    let field = format!("space.{name}");
    let err = |message: String| SpecError::new(field.clone(), message);
    let written = SpecPath::parse(name).map_err(&err)?;
    let target = match written.steps.as_slice() {
        [Step::Field(root), ..] if root == "budget" => {
            let mut steps = vec![
                Step::Field("chain".into()),
                Step::Index(last),
                Step::Field("budget".into()),
            ];
            steps.extend_from_slice(&written.steps[1..]);
            SpecPath { steps }
        }
        [Step::Field(root), Step::Index(stage), ..] if root == "chain" && *stage != last => {
            return Err(err(format!("a sweep tunes the last stage (chain[{last}]); chain[{stage}] is trained once and shared by every trial")))
        }
        [Step::Field(root), Step::Index(_), _, ..] if root == "chain" => written.clone(),
        _ => {
            return Err(err(format!(
                "a sweep tunes the last stage: name a path under chain[{last}] or budget"
            )))
        }
    };
    if halving && target.to_string() == format!("chain[{last}].budget.epochs") {
        return Err(err(
            "successive halving sets the epochs of each rung; tune epochs without early_stopping"
                .into(),
        ));
    }
    let mut probe = resolved.clone();
    let current = target.locate_mut(&mut probe).map_err(&err)?.clone();
    let integer = current.is_u64() || current.is_i64();
    check_dimension(dimension, &current).map_err(err)?;
    Ok(TunedPath {
        name: name.to_string(),
        target,
        dimension: dimension.clone(),
        integer,
    })
}

/// Whether `dimension` fits a field whose base value is `current`.
fn check_dimension(dimension: &Dimension, current: &Value) -> Result<(), String> {
    let kind = |v: &Value| match v {
        Value::Number(_) => Some("a number"),
        Value::Bool(_) => Some("a boolean"),
        Value::String(_) => Some("a name"),
        _ => None,
    };
    let Some(field_kind) = kind(current) else {
        return Err(format!(
            "is {current}, not a number, a boolean or a name: it cannot be tuned"
        ));
    };
    match dimension {
        Dimension::Values(values) if values.is_empty() => Err("lists no values".into()),
        Dimension::Values(values) => match values.iter().find(|v| kind(v) != Some(field_kind)) {
            Some(odd) => Err(format!(
                "holds {field_kind}, so {odd} cannot be one of its values"
            )),
            None => Ok(()),
        },
        Dimension::Uniform([low, high]) | Dimension::LogUniform([low, high]) => {
            if field_kind != "a number" {
                return Err(format!("holds {field_kind}; a range needs a number field"));
            }
            if !(low.is_finite() && high.is_finite() && low <= high) {
                return Err(format!(
                    "[{low}, {high}] is not a range (low ≤ high, both finite)"
                ));
            }
            if matches!(dimension, Dimension::LogUniform(_)) && *low <= 0.0 {
                return Err(format!(
                    "log_uniform needs positive bounds, got [{low}, {high}]"
                ));
            }
            Ok(())
        }
    }
}

/// How many trials `strategy` starts over `paths`.
fn trial_count(strategy: &Strategy, paths: &[TunedPath]) -> Result<usize, SpecError> {
    let count = match strategy {
        Strategy::Random { trials, .. } => *trials,
        Strategy::Grid => paths
            .iter()
            .try_fold(1usize, |product, p| match &p.dimension {
                Dimension::Values(values) => Ok(product.saturating_mul(values.len())),
                _ => Err(SpecError::new(
                    format!("space.{}", p.name),
                    "a grid takes value lists only; use the random strategy for ranges",
                )),
            })?,
    };
    // A random sweep's count was checked against its bound with the other numbers.
    if count > MAX_TRIALS {
        return Err(SpecError::new(
            "strategy",
            format!("the grid has {count} trials; a sweep runs 1 to {MAX_TRIALS}"),
        ));
    }
    Ok(count)
}

/// One random value of `path`.
fn draw(path: &TunedPath, rng: &mut Rng) -> Value {
    let number = |x: f64| match path.integer {
        true => Value::from(x.round() as i64),
        false => Value::from(x),
    };
    match &path.dimension {
        Dimension::Values(values) => values[rng.below(values.len())].clone(),
        Dimension::Uniform([low, high]) => number(low + (high - low) * rng.next_f64()),
        Dimension::LogUniform([low, high]) => {
            number((low.ln() + (high.ln() - low.ln()) * rng.next_f64()).exp())
        }
    }
}

/// The values of `path` the validator must accept for every draw to be valid: a range's ends,
/// every listed value.
fn extremes(path: &TunedPath) -> Vec<Value> {
    let number = |x: f64| match path.integer {
        true => Value::from(x.round() as i64),
        false => Value::from(x),
    };
    match &path.dimension {
        Dimension::Values(values) => values.clone(),
        Dimension::Uniform([low, high]) | Dimension::LogUniform([low, high]) => {
            vec![number(*low), number(*high)]
        }
    }
}

/// Parses a sweep read as JSON; errors name the field, inside the base spec too (`base.…`).
pub fn parse_sweep_value(mut value: Value) -> Result<SweepSpec, SpecError> {
    let Some(object) = value.as_object_mut() else {
        return Err(SpecError::new(
            "sweep",
            "a sweep is a JSON object with a `base` spec, a `space` and a `strategy`",
        ));
    };
    let Some(base) = object.remove("base") else {
        return Err(SpecError::new("base", "missing: the experiment to tune"));
    };
    let base = parse_spec_value(base).map_err(|e| e.inside("base"))?;
    object.insert(
        "base".into(),
        serde_json::to_value(&base).expect("a spec serializes"),
    );
    serde_path_to_error::deserialize(&value).map_err(|err| {
        let path = err.path().to_string();
        let field = if path == "." {
            "sweep".to_string()
        } else {
            path
        };
        SpecError::new(field, err.into_inner().to_string())
    })
}
