//! The rules of a link, as loops over its terms: every parameter inside the bounds its method's
//! catalog entry gives, feature methods only between convolutional models, each method once,
//! one learned temperature, each method's own rules, the CE weight and curriculum defaults, and
//! DOT's demands on the optimiser.

use api::{defaults, LinkSpec, OptimizerSpec};

use super::SpecError;
use crate::distill::{
    distiller, fill_full_at_epoch, method_named, validate_ctkd, validate_dot, StagePair,
};
use crate::models::StageShape;

/// The catalog entry of `name`, which every method in a parsed spec has.
fn entry(name: &str) -> crate::distill::MethodSpec {
    method_named(name).unwrap_or_else(|| panic!("method `{name}` has no catalog entry"))
}

fn as_json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).expect("spec types serialize")
}

/// Fills in the CE weight (the first logit term's preference, else 1) and checks it.
pub(super) fn fill_ce_weight(link: &mut LinkSpec, at: &str) -> Result<(), SpecError> {
    let default = link
        .terms
        .iter()
        .find_map(|t| distiller(t).ce_weight_beside())
        .unwrap_or(defaults::CE_WEIGHT);
    link.ce_weight.get_or_insert(default);
    entry("ce").check(&as_json(link), &format!("{at}.link"))
}

/// Checks the link of stage `at` (its student and teacher stages in `pair`, trained for
/// `epochs` with `optimizer`) and fills in its curriculum's defaults.
pub(super) fn validate_link(
    link: &mut LinkSpec,
    at: &str,
    (epochs, optimizer): (usize, &OptimizerSpec),
    pair: &StagePair<'_>,
) -> Result<(), SpecError> {
    let mut methods: Vec<&str> = Vec::new();
    let mut learned_temperatures = 0;
    for (j, term) in link.terms.iter().enumerate() {
        let field = format!("{at}.link.terms[{j}]");
        let name = term.method();
        if methods.contains(&name) {
            return Err(SpecError::new(
                format!("{field}.method"),
                format!("`{name}` appears twice in this link"),
            ));
        }
        methods.push(name);
        let method = entry(name);
        method.check(&as_json(term), &field)?;
        if method.needs_feature_maps {
            require_spatial(pair, &format!("{field}.method"), method.title)?;
        }
        let distiller = distiller(term);
        if let Some(ctkd) = distiller.ctkd() {
            learned_temperatures += 1;
            let ctkd_field = format!("{field}.ctkd");
            entry("ctkd").check(&as_json(ctkd), &ctkd_field)?;
            validate_ctkd(ctkd, &ctkd_field)?;
        }
        distiller.validate(pair, &field)?;
    }
    if learned_temperatures > 1 {
        return Err(SpecError::new(
            format!("{at}.link.terms"),
            "only one term of a link can learn its temperature (ctkd)",
        ));
    }
    if let Some(curriculum) = &mut link.curriculum {
        entry("curriculum").check(&as_json(curriculum), &format!("{at}.link.curriculum"))?;
        fill_full_at_epoch(curriculum, epochs);
    }
    if let Some(dot) = &link.dot {
        entry("dot").check(&as_json(dot), &format!("{at}.link.dot"))?;
        validate_dot(dot, link, optimizer, at)?;
    }
    Ok(())
}

/// Whether a link distils at all: terms, a curriculum or DOT.
pub(super) fn has_distillation(link: &LinkSpec) -> bool {
    !link.terms.is_empty() || link.curriculum.is_some() || link.dot.is_some()
}

/// Refuses a feature-map method unless both models have feature maps: an MLP's stages are
/// 1×1, and so may be the last stage of a deep conv net on small images (torchvision's ResNet
/// on 32 pixels), which does not make it an MLP.
fn require_spatial(pair: &StagePair<'_>, field: &str, method: &str) -> Result<(), SpecError> {
    let spatial = |shapes: &[StageShape]| shapes.iter().any(StageShape::is_spatial);
    match (spatial(pair.student), spatial(pair.teacher)) {
        (true, true) => Ok(()),
        (false, _) => Err(SpecError::new(
            field,
            format!("{method} needs convolutional feature maps, and the student (an MLP) has none"),
        )),
        (_, false) => Err(SpecError::new(
            field,
            format!("{method} needs convolutional feature maps, and the teacher has none (an MLP's stages are vectors; an ONNX teacher has only the feature outputs chosen at its import)"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use api::LossTerm;

    #[test]
    fn every_term_method_of_the_catalog_parses_from_its_name_alone_and_has_a_label() {
        let terms = crate::distill::catalog()
            .into_iter()
            .filter(|m| m.placement == api::MethodPlacement::Term);
        for method in terms {
            let term: LossTerm =
                serde_json::from_value(serde_json::json!({ "method": method.name }))
                    .unwrap_or_else(|e| panic!("`{}` has no wire variant: {e}", method.name));
            assert_eq!(term.method(), method.name);
            assert!(!distiller(&term).label().is_empty(), "{}", method.name);
            assert!(
                !method.curves.is_empty(),
                "{} reports no curve",
                method.name
            );
        }
    }
}
