//! A field's value checked: the interval a number must lie in ([`Bound`]), the first field
//! serde rejects in an object ([`first_field_error`]) and the error that names the field at
//! fault ([`SpecError`]). Both the method catalogue (`distill`) and the
//! spec's validation (`spec`) use them; they live apart from both so that neither module
//! depends on the other through them.

/// A closed, open or half-open interval of acceptable numbers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bound {
    /// Lower end.
    pub min: Option<f64>,
    /// Whether `min` itself is excluded.
    pub exclusive_min: bool,
    /// Upper end.
    pub max: Option<f64>,
    /// Whether `max` itself is excluded.
    pub exclusive_max: bool,
    /// Whether the value must be a whole number.
    pub integer: bool,
}

impl Bound {
    /// Any finite number `≥ min`.
    pub const fn at_least(min: f64) -> Bound {
        Bound {
            min: Some(min),
            exclusive_min: false,
            max: None,
            exclusive_max: false,
            integer: false,
        }
    }

    /// Any finite number `> min`.
    pub const fn above(min: f64) -> Bound {
        Bound {
            exclusive_min: true,
            ..Bound::at_least(min)
        }
    }

    /// Any finite number.
    pub const fn finite() -> Bound {
        Bound {
            min: None,
            ..Bound::at_least(0.0)
        }
    }

    /// A whole number in `min..=max`.
    pub const fn whole(min: usize, max: usize) -> Bound {
        Bound {
            max: Some(max as f64),
            integer: true,
            ..Bound::at_least(min as f64)
        }
    }

    /// A whole number `≥ min`.
    pub const fn whole_at_least(min: usize) -> Bound {
        Bound {
            integer: true,
            ..Bound::at_least(min as f64)
        }
    }

    /// The same bound with an upper end `≤ max`.
    pub const fn up_to(self, max: f64) -> Bound {
        Bound {
            max: Some(max),
            exclusive_max: false,
            ..self
        }
    }

    /// The same bound with an upper end `< max`.
    pub const fn below(self, max: f64) -> Bound {
        Bound {
            max: Some(max),
            exclusive_max: true,
            ..self
        }
    }

    /// Whether `value` lies inside.
    pub fn contains(&self, value: f64) -> bool {
        value.is_finite()
            && self
                .min
                .is_none_or(|m| value > m || (!self.exclusive_min && value == m))
            && self
                .max
                .is_none_or(|m| value < m || (!self.exclusive_max && value == m))
    }

    /// The interval in words: `a finite number > 0`, `a whole number from 1 to 100000`.
    pub fn describe(&self) -> String {
        let what = if self.integer {
            "a whole number"
        } else {
            "a finite number"
        };
        let low = self
            .min
            .map(|m| format!("{} {m}", if self.exclusive_min { ">" } else { "≥" }));
        let high = self
            .max
            .map(|m| format!("{} {m}", if self.exclusive_max { "<" } else { "≤" }));
        match (low, high) {
            (Some(_), Some(_)) if self.integer && !self.exclusive_min && !self.exclusive_max => {
                format!(
                    "{what} from {} to {}",
                    self.min.unwrap_or_default(),
                    self.max.unwrap_or_default()
                )
            }
            (Some(low), Some(high)) => format!("{what} {low} and {high}"),
            (Some(one), None) | (None, Some(one)) => format!("{what} {one}"),
            (None, None) => what.to_string(),
        }
    }

    /// `Ok` when `value` lies inside, else an error naming `field`.
    pub fn check(&self, value: f64, field: impl Into<String>) -> Result<(), SpecError> {
        if self.contains(value) {
            Ok(())
        } else {
            Err(SpecError::new(
                field,
                format!("must be {}, got {value}", self.describe()),
            ))
        }
    }
}

/// A spec that cannot run, with the field to blame (`chain[1].link.terms[0].temperature`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct SpecError {
    /// Path of the field, in JSON terms.
    pub field: String,
    /// What is wrong and, where possible, what would be right.
    pub message: String,
}

impl SpecError {
    pub(crate) fn new(field: impl Into<String>, message: impl Into<String>) -> SpecError {
        SpecError {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The same error, its field read inside `outer` (`base` → `base.chain[1]…`).
    pub fn inside(self, outer: &str) -> SpecError {
        SpecError {
            field: format!("{outer}.{}", self.field),
            message: self.message,
        }
    }
}

/// A field serde rejected: its path inside the object read, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    /// `alpha`, `ctkd.t_min`; `.` for the object itself.
    pub path: String,
    /// serde's message.
    pub message: String,
}

/// The first field serde rejects when it reads `object` as a `T`.
pub fn first_field_error<T: serde::de::DeserializeOwned>(
    object: serde_json::Map<String, serde_json::Value>,
) -> Option<FieldError> {
    serde_path_to_error::deserialize::<_, T>(serde_json::Value::Object(object))
        .err()
        .map(|e| FieldError {
            path: e.path().to_string(),
            message: e.into_inner().to_string(),
        })
}
