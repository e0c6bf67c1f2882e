//! The rules of a link: each term's hyperparameters in range, feature methods only between
//! convolutional models, one learned temperature, the CE weight and curriculum defaults.

use api::{defaults, LinkSpec, LossTerm};

use super::validate::{finite_at_least, positive};
use super::SpecError;
use crate::models::StageShape;

pub(super) fn fill_ce_weight(link: &mut LinkSpec, field: &str) -> Result<(), SpecError> {
    let default = match link
        .terms
        .iter()
        .find(|t| matches!(t, LossTerm::Kd(_) | LossTerm::Dkd(_)))
    {
        Some(LossTerm::Kd(_)) => defaults::KD_CE_WEIGHT,
        _ => defaults::CE_WEIGHT,
    };
    let weight = *link.ce_weight.get_or_insert(default);
    finite_at_least(weight, 0.0, field.into())
}

pub(super) fn validate_link(
    link: &mut LinkSpec,
    at: &str,
    epochs: usize,
    student: &[StageShape],
    teacher: &[StageShape],
) -> Result<(), SpecError> {
    let mut methods = Vec::new();
    let mut learned_temperatures = 0;
    for (j, term) in link.terms.iter().enumerate() {
        let field = |name: &str| format!("{at}.link.terms[{j}].{name}");
        if methods.contains(&term.method()) {
            return Err(SpecError::new(
                field("method"),
                format!("`{}` appears twice in this link", term.method()),
            ));
        }
        methods.push(term.method());
        let ctkd = match term {
            LossTerm::Kd(p) => {
                positive(p.temperature, field("temperature"))?;
                finite_at_least(p.weight, 0.0, field("weight"))?;
                p.ctkd.as_ref()
            }
            LossTerm::Dkd(p) => {
                positive(p.temperature, field("temperature"))?;
                finite_at_least(p.alpha, 0.0, field("alpha"))?;
                finite_at_least(p.beta, 0.0, field("beta"))?;
                p.ctkd.as_ref()
            }
            LossTerm::At(p) => {
                positive(p.p, field("p"))?;
                finite_at_least(p.weight, 0.0, field("weight"))?;
                require_spatial(student, teacher, &field("method"), "attention transfer")?;
                None
            }
            LossTerm::Mgd(p) => {
                finite_at_least(p.alpha, 0.0, field("alpha"))?;
                if !(0.0..1.0).contains(&p.lambda) {
                    return Err(SpecError::new(
                        field("lambda"),
                        format!("the masking ratio must be in [0, 1), got {}", p.lambda),
                    ));
                }
                require_spatial(student, teacher, &field("method"), "MGD")?;
                None
            }
            LossTerm::Fitnet(p) => {
                finite_at_least(p.weight, 0.0, field("weight"))?;
                require_spatial(student, teacher, &field("method"), "FitNet")?;
                if let Some(s) = p.hint_stage.filter(|&s| s >= student.len()) {
                    return Err(SpecError::new(
                        field("hint_stage"),
                        format!(
                            "the student has {} stages (0..{}), got {s}",
                            student.len(),
                            student.len()
                        ),
                    ));
                }
                None
            }
        };
        if let Some(c) = ctkd {
            learned_temperatures += 1;
            let field = |name: &str| format!("{at}.link.terms[{j}].ctkd.{name}");
            positive(c.t_min, field("t_min"))?;
            positive(c.t_range, field("t_range"))?;
            finite_at_least(c.lambda_min, 0.0, field("lambda_min"))?;
            finite_at_least(c.lambda_max, c.lambda_min, field("lambda_max"))?;
            if !c.theta_init.is_finite() {
                return Err(SpecError::new(field("theta_init"), "must be finite"));
            }
        }
    }
    if learned_temperatures > 1 {
        return Err(SpecError::new(
            format!("{at}.link.terms"),
            "only one term of a link can learn its temperature (ctkd)",
        ));
    }
    if let Some(c) = &mut link.curriculum {
        let field = |name: &str| format!("{at}.link.curriculum.{name}");
        if !(c.start > 0.0 && c.start <= 1.0) {
            return Err(SpecError::new(
                field("start"),
                format!("must be in (0, 1], got {}", c.start),
            ));
        }
        let full = *c
            .full_at_epoch
            .get_or_insert(epochs.div_ceil(2).max(2).min(epochs));
        if full == 0 {
            return Err(SpecError::new(field("full_at_epoch"), "must be at least 1"));
        }
    }
    Ok(())
}

fn require_spatial(
    student: &[StageShape],
    teacher: &[StageShape],
    field: &str,
    method: &str,
) -> Result<(), SpecError> {
    let spatial =
        |shapes: &[StageShape]| !shapes.is_empty() && shapes.iter().all(StageShape::is_spatial);
    match (spatial(student), spatial(teacher)) {
        (true, true) => Ok(()),
        (false, _) => Err(SpecError::new(
            field,
            format!("{method} needs convolutional feature maps, and the student (an MLP) has none"),
        )),
        (_, false) => Err(SpecError::new(
            field,
            format!("{method} needs convolutional feature maps, and the teacher (an MLP) has none"),
        )),
    }
}
