//! A draft experiment: plain data, edited by the composer and converted to and from specs.

use std::collections::BTreeMap;

use api::{ExperimentSpec, MethodInfo};
use serde_json::{json, Map, Value};

use super::values::{
    default_values, list_value, number_value, object_values, object_without, params_object,
    value_text,
};

/// A link's options as a spec has them: every field but `ce_weight` and `terms`.
fn link_options(link: &Value) -> BTreeMap<String, Vec<ParamValue>> {
    link.as_object()
        .into_iter()
        .flatten()
        .filter(|(name, _)| !matches!(name.as_str(), "ce_weight" | "terms"))
        .map(|(name, params)| (name.clone(), object_values(params, &[])))
        .collect()
}

/// One parameter as typed: its name and text (empty means the server's default).
#[derive(Debug, Clone, PartialEq)]
pub struct ParamValue {
    /// The parameter's name in the spec.
    pub name: String,
    /// What the user typed or picked.
    pub text: String,
}

/// An architecture being edited: a preset, or the sizes of a family.
#[derive(Debug, Clone, PartialEq)]
pub struct ArchDraft {
    /// `preset`, `mlp`, `cnn`, `resnet`, `wrn`, `vgg`, `imagenet_resnet`, `mobilenetv2` or `shufflenetv2`.
    pub kind: String,
    /// The preset's name.
    pub preset: String,
    /// MLP hidden widths, comma separated.
    pub hidden: String,
    /// CNN conv channels, comma separated.
    pub channels: String,
    /// CNN fully connected width.
    pub fc: String,
    /// ResNet or Wide ResNet depth.
    pub depth: String,
    /// ResNet width multiplier, or Wide ResNet widening factor.
    pub width: String,
    /// ResNet stem channels (empty: 16 × width), kept so a cloned spec builds the same model.
    pub stem: String,
    /// VGG blocks: each block's conv channels comma separated, blocks separated by `/`.
    pub blocks: String,
    /// MobileNetV2 expansion factor.
    pub expansion: String,
}

/// One distillation term of a link.
#[derive(Debug, Clone, PartialEq)]
pub struct TermDraft {
    /// Stable identity while terms are added and removed.
    pub uid: u32,
    /// `kd`, `dkd`, `at`, `mgd`, `fitnet`.
    pub method: String,
    /// The method's parameters.
    pub params: Vec<ParamValue>,
    /// CTKD's parameters when the temperature is learned (kd and dkd only).
    pub ctkd: Option<Vec<ParamValue>>,
}

/// One stage of the chain with the link that teaches it.
#[derive(Debug, Clone, PartialEq)]
pub struct StageDraft {
    /// Stable identity while stages move.
    pub uid: u32,
    /// Its label (derived by the server when empty).
    pub name: String,
    /// The model.
    pub arch: ArchDraft,
    /// Weight of cross-entropy (empty: the server's default).
    pub ce_weight: String,
    /// Distillation terms.
    pub terms: Vec<TermDraft>,
    /// The link options that are on (`curriculum`, `dot`: the catalog's link-level methods),
    /// by their field name, with their parameters.
    pub options: BTreeMap<String, Vec<ParamValue>>,
    /// Epochs of this stage's own budget (empty: the experiment's budget).
    pub epochs: String,
    /// This stage's own budget as a cloned spec had it (its epochs are `epochs`).
    pub budget: Option<Value>,
    /// The id of an earlier succeeded run whose model this (first) stage is (empty: trained).
    pub from_run: String,
}

/// A whole experiment being composed.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    /// Experiment name (optional).
    pub name: String,
    /// Dataset name.
    pub dataset: String,
    /// Train on the first N samples (empty: all).
    pub train_subset: String,
    /// Test on the first N samples (empty: all).
    pub test_subset: String,
    /// Training samples held out for validation (empty: the server's 10 %).
    pub validation: String,
    /// Epochs.
    pub epochs: String,
    /// Batch size.
    pub batch_size: String,
    /// Labelled training samples each run trains on (empty: all after the validation split).
    pub samples: String,
    /// `adam` or `sgd`.
    pub optimizer: String,
    /// Learning rate (empty: the optimiser's default).
    pub lr: String,
    /// The optimiser's other settings (momentum, weight decay...), kept from the spec.
    pub optimizer_extra: Map<String, Value>,
    /// The learning-rate schedule as JSON (`{"kind": "constant"}`, `cosine`, `step`).
    pub schedule: Value,
    /// Data augmentation (the dataset's default when absent).
    pub augment: Option<bool>,
    /// Seeds, comma separated.
    pub seeds: String,
    /// Train a CE-only baseline of the last stage too.
    pub baseline: bool,
    /// Teacher first.
    pub stages: Vec<StageDraft>,
    next_uid: u32,
}

impl ArchDraft {
    /// A preset by name.
    pub fn preset(name: &str) -> ArchDraft {
        ArchDraft {
            kind: "preset".into(),
            preset: name.into(),
            hidden: "256, 128".into(),
            channels: "32, 32, 64, 64".into(),
            fc: "128".into(),
            depth: "20".into(),
            width: "1".into(),
            stem: String::new(),
            blocks: "64 / 128 / 256 / 512 / 512".into(),
            expansion: "6".into(),
        }
    }

    /// The draft of an architecture as the server describes it.
    pub fn from_value(arch: &Value) -> ArchDraft {
        let mut draft = ArchDraft::preset("cnn-s");
        let text = |key: &str| arch.get(key).map(value_text);
        draft.kind = arch["kind"].as_str().unwrap_or("preset").to_string();
        match draft.kind.as_str() {
            "preset" => draft.preset = text("name").unwrap_or_default(),
            "mlp" => draft.hidden = text("hidden").unwrap_or_default(),
            "cnn" => {
                draft.channels = text("channels").unwrap_or_default();
                draft.fc = text("fc").unwrap_or_default();
            }
            "wrn" => {
                draft.depth = text("depth").unwrap_or_default();
                draft.width = text("widen").unwrap_or_else(|| "1".into());
            }
            "shufflenetv2" => draft.width = text("size").unwrap_or_else(|| "1".into()),
            "mobilenetv2" => {
                draft.expansion = text("expansion").unwrap_or_else(|| "6".into());
                draft.width = text("width").unwrap_or_else(|| "1".into());
            }
            "vgg" => {
                let blocks = arch["blocks"].as_array().into_iter().flatten();
                draft.blocks = blocks.map(value_text).collect::<Vec<_>>().join(" / ");
            }
            _ => {
                draft.depth = text("depth").unwrap_or_default();
                draft.width = text("width").unwrap_or_else(|| "1".into());
                draft.stem = text("stem").unwrap_or_default();
            }
        }
        draft
    }

    /// The architecture as JSON: numbers where the text is a number, the text itself where
    /// not (so the server names the bad field).
    pub fn to_value(&self) -> Value {
        match self.kind.as_str() {
            "preset" => json!({"kind": "preset", "name": self.preset.trim()}),
            "mlp" => json!({"kind": "mlp", "hidden": list_value(&self.hidden)}),
            "cnn" => {
                json!({"kind": "cnn", "channels": list_value(&self.channels), "fc": number_value(&self.fc)})
            }
            "wrn" => {
                json!({"kind": "wrn", "depth": number_value(&self.depth), "widen": number_value(&self.width)})
            }
            "shufflenetv2" => json!({"kind": "shufflenetv2", "size": number_value(&self.width)}),
            "mobilenetv2" => {
                json!({"kind": "mobilenetv2", "expansion": number_value(&self.expansion), "width": number_value(&self.width)})
            }
            "vgg" => {
                let blocks: Vec<Value> = self.blocks.split('/').map(list_value).collect();
                json!({"kind": "vgg", "blocks": blocks})
            }
            kind => {
                let mut arch = json!({"kind": kind, "depth": number_value(&self.depth), "width": number_value(&self.width)});
                if !self.stem.trim().is_empty() {
                    arch["stem"] = number_value(&self.stem);
                }
                arch
            }
        }
    }
}

impl TermDraft {
    /// A term of `method` with the catalog's defaults filled in.
    pub fn with_defaults(uid: u32, method: &MethodInfo) -> TermDraft {
        TermDraft {
            uid,
            method: method.name.clone(),
            params: default_values(&method.params),
            ctkd: None,
        }
    }
}

impl StageDraft {
    /// The stage's own budget as JSON: the one it came with, else the experiment's `budget`,
    /// with its own epochs; none when it has neither (it trains with the experiment's).
    fn own_budget(&self, budget: &Value) -> Option<Value> {
        let epochs = self.epochs.trim();
        if self.budget.is_none() && epochs.is_empty() {
            return None;
        }
        let mut own = self.budget.clone().unwrap_or_else(|| budget.clone());
        if !epochs.is_empty() {
            own["epochs"] = number_value(epochs);
        }
        Some(own)
    }

    /// The link as JSON (`terms`, `ce_weight`, and its options such as `curriculum`).
    fn link_value(&self) -> Value {
        let mut link = Map::new();
        if !self.ce_weight.trim().is_empty() {
            link.insert("ce_weight".into(), number_value(&self.ce_weight));
        }
        let terms = self.terms.iter().map(|t| {
            let mut term = params_object(&t.params);
            term.insert("method".into(), Value::String(t.method.clone()));
            if let Some(ctkd) = &t.ctkd {
                term.insert("ctkd".into(), Value::Object(params_object(ctkd)));
            }
            Value::Object(term)
        });
        link.insert("terms".into(), Value::Array(terms.collect()));
        for (name, params) in &self.options {
            link.insert(name.clone(), Value::Object(params_object(params)));
        }
        Value::Object(link)
    }
}

impl Draft {
    /// A draft of `spec` (a template's or an existing experiment's).
    pub fn from_spec(spec: &ExperimentSpec) -> Draft {
        let value = serde_json::to_value(spec).unwrap_or(Value::Null);
        let budget = &value["budget"];
        let dataset = &value["dataset"];
        let mut draft = Draft {
            name: spec.name.clone().unwrap_or_default(),
            dataset: spec.dataset.name.as_str().to_string(),
            train_subset: dataset
                .get("train_subset")
                .map(value_text)
                .unwrap_or_default(),
            test_subset: dataset
                .get("test_subset")
                .map(value_text)
                .unwrap_or_default(),
            validation: dataset
                .get("validation")
                .map(value_text)
                .unwrap_or_default(),
            epochs: spec.budget.epochs.to_string(),
            batch_size: spec.budget.batch_size.to_string(),
            samples: spec
                .budget
                .samples
                .map(|n| n.to_string())
                .unwrap_or_default(),
            optimizer: budget["optimizer"]["kind"]
                .as_str()
                .unwrap_or("adam")
                .to_string(),
            lr: value_text(&budget["optimizer"]["lr"]),
            optimizer_extra: object_without(&budget["optimizer"], &["kind", "lr"]),
            schedule: budget["schedule"].clone(),
            augment: spec.dataset.augment,
            seeds: value_text(&value["seeds"]),
            baseline: spec.baseline,
            stages: Vec::new(),
            next_uid: 1,
        };
        for stage in value["chain"].as_array().into_iter().flatten() {
            let uid = draft.fresh_uid();
            let link = &stage["link"];
            // A stored spec gives every stage its resolved budget; only one that differs from
            // the experiment's is the stage's own.
            let own_budget = stage.get("budget").filter(|b| *b != budget).cloned();
            let terms = link["terms"].as_array().into_iter().flatten();
            let terms = terms
                .map(|term| (term, draft.fresh_uid()))
                .collect::<Vec<_>>();
            draft.stages.push(StageDraft {
                uid,
                name: stage["name"].as_str().unwrap_or_default().to_string(),
                arch: ArchDraft::from_value(&stage["architecture"]),
                ce_weight: link.get("ce_weight").map(value_text).unwrap_or_default(),
                terms: terms
                    .into_iter()
                    .map(|(term, uid)| TermDraft {
                        uid,
                        method: term["method"].as_str().unwrap_or_default().to_string(),
                        params: object_values(term, &["method", "ctkd"]),
                        ctkd: term.get("ctkd").map(|c| object_values(c, &[])),
                    })
                    .collect(),
                options: link_options(link),
                epochs: own_budget
                    .as_ref()
                    .map(|b| value_text(&b["epochs"]))
                    .unwrap_or_default(),
                budget: own_budget,
                from_run: stage["from_run"].as_str().unwrap_or_default().to_string(),
            });
        }
        draft
    }

    /// A new id for a stage or term.
    pub fn fresh_uid(&mut self) -> u32 {
        self.next_uid += 1;
        self.next_uid
    }

    /// The position of the stage `uid`.
    pub fn index_of(&self, uid: u32) -> Option<usize> {
        self.stages.iter().position(|s| s.uid == uid)
    }

    /// The stage `uid`.
    pub fn stage(&self, uid: u32) -> Option<&StageDraft> {
        self.stages.iter().find(|s| s.uid == uid)
    }

    /// The stage `uid`, mutably.
    pub fn stage_mut(&mut self, uid: u32) -> Option<&mut StageDraft> {
        self.stages.iter_mut().find(|s| s.uid == uid)
    }

    /// Inserts a copy of the stage before the last one (a new teaching assistant), or a
    /// first stage when there is none.
    pub fn add_stage(&mut self) {
        let uid = self.fresh_uid();
        let mut stage = match self.stages.last() {
            Some(last) => last.clone(),
            None => StageDraft {
                uid,
                name: String::new(),
                arch: ArchDraft::preset("cnn-s"),
                ce_weight: String::new(),
                terms: Vec::new(),
                options: BTreeMap::new(),
                epochs: String::new(),
                budget: None,
                from_run: String::new(),
            },
        };
        stage.uid = uid;
        stage.name = String::new();
        stage.from_run = String::new();
        for term in &mut stage.terms {
            term.uid = self.fresh_uid();
        }
        let at = self.stages.len().saturating_sub(1);
        self.stages.insert(at, stage);
    }

    /// Moves the stage `uid` one place towards the teacher (`-1`) or the student (`+1`).
    pub fn move_stage(&mut self, uid: u32, by: isize) {
        if let Some(i) = self.index_of(uid) {
            let j = i as isize + by;
            if (0..self.stages.len() as isize).contains(&j) {
                self.stages.swap(i, j as usize);
            }
        }
    }

    /// The spec as JSON, as the server will validate it. The first stage's link is sent
    /// as it is (an error if it has terms: it has no teacher).
    pub fn to_json(&self) -> Value {
        let mut dataset = Map::new();
        dataset.insert("name".into(), Value::String(self.dataset.clone()));
        for (key, text) in [
            ("train_subset", &self.train_subset),
            ("test_subset", &self.test_subset),
            ("validation", &self.validation),
        ] {
            if !text.trim().is_empty() {
                dataset.insert(key.into(), number_value(text));
            }
        }
        if let Some(augment) = self.augment {
            dataset.insert("augment".into(), Value::Bool(augment));
        }
        let mut optimizer = self.optimizer_extra.clone();
        optimizer.insert("kind".into(), Value::String(self.optimizer.clone()));
        if !self.lr.trim().is_empty() {
            optimizer.insert("lr".into(), number_value(&self.lr));
        }
        let mut budget = json!({"epochs": number_value(&self.epochs), "batch_size": number_value(&self.batch_size),
                                "optimizer": Value::Object(optimizer), "schedule": self.schedule});
        if !self.samples.trim().is_empty() {
            budget["samples"] = number_value(&self.samples);
        }
        let chain = self.stages.iter().enumerate().map(|(i, stage)| {
            let mut value = Map::new();
            if !stage.name.trim().is_empty() {
                value.insert("name".into(), Value::String(stage.name.trim().to_string()));
            }
            match stage.from_run.trim() {
                run if i == 0 && !run.is_empty() => {
                    value.insert("from_run".into(), Value::String(run.to_string()));
                }
                _ => {
                    value.insert("architecture".into(), stage.arch.to_value());
                }
            }
            value.insert("link".into(), stage.link_value());
            if let Some(own) = stage.own_budget(&budget) {
                value.insert("budget".into(), own);
            }
            Value::Object(value)
        });
        let mut spec = Map::new();
        if !self.name.trim().is_empty() {
            spec.insert("name".into(), Value::String(self.name.trim().to_string()));
        }
        spec.insert("dataset".into(), Value::Object(dataset));
        spec.insert("chain".into(), Value::Array(chain.collect()));
        spec.insert("budget".into(), budget);
        spec.insert("seeds".into(), list_value(&self.seeds));
        spec.insert("baseline".into(), Value::Bool(self.baseline));
        Value::Object(spec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: Value) -> ExperimentSpec {
        serde_json::from_value(json).expect("a valid spec")
    }

    #[test]
    fn a_spec_survives_a_round_trip_through_the_draft() {
        let original = spec(json!({
            "name": "takd", "dataset": {"name": "fashion-mnist", "train_subset": 5000},
            "budget": {"epochs": 3, "batch_size": 64, "optimizer": {"kind": "sgd", "lr": 0.1, "momentum": 0.8},
                       "schedule": {"kind": "step", "milestones": [2], "gamma": 0.5}, "samples": 3000},
            "seeds": [0, 1], "baseline": true,
            "chain": [
                {"name": "teacher", "architecture": {"kind": "preset", "name": "cnn-l"}},
                {"architecture": {"kind": "cnn", "channels": [16, 32], "fc": 64},
                 "link": {"terms": [{"method": "kd", "temperature": 3.5, "ctkd": {"t_min": 2.0}}]}},
                {"name": "student", "architecture": {"kind": "mlp", "hidden": [128]},
                 "link": {"ce_weight": 0.5, "terms": [{"method": "dkd", "beta": 2.0}],
                          "curriculum": {"start": 0.5, "pacing": "root"}}}
            ]
        }));
        let draft = Draft::from_spec(&original);
        assert_eq!(draft.stages.len(), 3);
        assert_eq!(draft.stages[1].arch.channels, "16, 32");
        assert_eq!(draft.seeds, "0, 1");
        let back = spec(draft.to_json());
        assert_eq!(back.chain, original.chain);
        assert_eq!(back.budget, original.budget);
        assert_eq!(back.dataset, original.dataset);
        assert_eq!(
            (back.seeds, back.baseline, back.name),
            (original.seeds, true, original.name)
        );
    }

    #[test]
    fn resnets_keep_their_stem_wide_resnets_their_widening_and_vggs_their_blocks_through_the_draft()
    {
        let original = spec(json!({
            "chain": [
                {"architecture": {"kind": "resnet", "depth": 8, "width": 4.0, "stem": 32}},
                {"architecture": {"kind": "wrn", "depth": 16, "widen": 2},
                 "link": {"terms": [{"method": "kd"}]}},
                {"architecture": {"kind": "vgg", "blocks": [[64, 64], [128], [256], [512], [512]]},
                 "link": {"terms": [{"method": "kd"}]}}
            ]
        }));
        let back = spec(Draft::from_spec(&original).to_json());
        assert_eq!(back.chain, original.chain);
    }

    #[test]
    fn a_stage_with_its_own_epochs_gets_the_experiment_budget_with_those_epochs() {
        let mut draft = Draft::from_spec(&templates_kd());
        draft.stages[0].epochs = "15".into();
        let json = draft.to_json();
        assert_eq!(json["chain"][0]["budget"]["epochs"], 15);
        assert_eq!(
            json["chain"][0]["budget"]["batch_size"],
            json["budget"]["batch_size"]
        );
        assert!(
            json["chain"][1].get("budget").is_none(),
            "the student uses the experiment's"
        );
        let back = Draft::from_spec(&spec(json.clone()));
        assert_eq!(back.stages[0].epochs, "15");
        assert_eq!(back.to_json()["chain"], json["chain"]);
    }

    #[test]
    fn a_first_stage_taken_from_a_run_sends_the_run_instead_of_an_architecture() {
        let mut draft = Draft::from_spec(&templates_kd());
        draft.stages[0].from_run = "0123456789abcdef".into();
        draft.validation = "500".into();
        let json = draft.to_json();
        assert_eq!(json["chain"][0]["from_run"], "0123456789abcdef");
        assert!(json["chain"][0].get("architecture").is_none());
        assert_eq!(json["dataset"]["validation"], 500);
        let back = Draft::from_spec(&spec(json));
        assert_eq!(back.stages[0].from_run, "0123456789abcdef");
    }

    #[test]
    fn a_switch_parameter_is_sent_as_a_boolean() {
        let mut draft = Draft::from_spec(&templates_kd());
        draft.stages[1].terms[0].params.push(ParamValue {
            name: "logit_standardization".into(),
            text: "true".into(),
        });
        assert_eq!(
            draft.to_json()["chain"][1]["link"]["terms"][0]["logit_standardization"],
            true
        );
    }

    #[test]
    fn what_is_not_a_number_is_sent_as_typed_so_the_server_names_the_field() {
        let mut draft = Draft::from_spec(&templates_kd());
        draft.epochs = "many".into();
        draft.stages[1].terms[0].params[0].text = "hot".into();
        let json = draft.to_json();
        assert_eq!(json["budget"]["epochs"], "many");
        assert_eq!(json["chain"][1]["link"]["terms"][0]["temperature"], "hot");
    }

    #[test]
    fn a_new_stage_goes_before_the_student_and_stages_reorder() {
        let mut draft = Draft::from_spec(&templates_kd());
        let student = draft.stages[1].uid;
        draft.add_stage();
        assert_eq!(draft.stages.len(), 3);
        assert_eq!(draft.stages[2].uid, student, "the student stays last");
        let ta = draft.stages[1].uid;
        assert_ne!(draft.stages[1].terms[0].uid, draft.stages[2].terms[0].uid);
        draft.move_stage(ta, -1);
        assert_eq!(draft.index_of(ta), Some(0));
        draft.move_stage(ta, -1);
        assert_eq!(
            draft.index_of(ta),
            Some(0),
            "the first stage cannot move up"
        );
    }

    fn templates_kd() -> ExperimentSpec {
        crate::composer::templates()
            .into_iter()
            .find(|t| t.name == "Quick KD")
            .expect("a quick KD template")
            .spec
    }
}
