//! Paths into a spec, as a sweep names them: `chain[1].link.terms[0].temperature`. A path is
//! read and written on the spec's JSON form, so it reaches every field serde knows, and an error
//! says which step of the path found nothing.

use std::fmt;

use serde_json::Value;

/// One step of a path: a field or a position in a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// `.name`
    Field(String),
    /// `[i]`
    Index(usize),
}

/// A parsed path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecPath {
    /// The steps, outermost first.
    pub steps: Vec<Step>,
}

impl SpecPath {
    /// Parses `a.b[2].c`; the error says what is wrong with the text.
    pub fn parse(text: &str) -> Result<SpecPath, String> {
        let mut steps = Vec::new();
        for part in text.split('.') {
            let (name, mut rest) = part.split_at(part.find('[').unwrap_or(part.len()));
            if !name.is_empty() {
                if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    return Err(format!("`{name}` is not a field name"));
                }
                steps.push(Step::Field(name.to_string()));
            } else if steps.is_empty() || rest.is_empty() {
                return Err("a path is fields joined by `.`, with `[i]` after a list".into());
            }
            while !rest.is_empty() {
                let close = rest
                    .find(']')
                    .ok_or_else(|| format!("`{part}` opens a `[` it does not close"))?;
                let index = rest[1..close]
                    .parse()
                    .map_err(|_| format!("`{}` is not a position in a list", &rest[..=close]))?;
                steps.push(Step::Index(index));
                rest = &rest[close + 1..];
                if !rest.is_empty() && !rest.starts_with('[') {
                    return Err(format!("`{part}` goes on after its `]`"));
                }
            }
        }
        Ok(SpecPath { steps })
    }

    /// The value at this path in `root`, to be replaced; the error names the first step that
    /// leads nowhere and what is there instead.
    pub fn locate_mut<'a>(&self, root: &'a mut Value) -> Result<&'a mut Value, String> {
        let mut here = root;
        for (depth, step) in self.steps.iter().enumerate() {
            let at = SpecPath {
                steps: self.steps[..depth].to_vec(),
            };
            here = match (step, here) {
                (Step::Field(name), Value::Object(fields)) => {
                    let known: Vec<String> = fields.keys().cloned().collect();
                    fields.get_mut(name).ok_or_else(|| {
                        format!(
                            "{} has no field `{name}`; it has {}",
                            at.or_spec(),
                            known.join(", ")
                        )
                    })?
                }
                (Step::Index(i), Value::Array(items)) => {
                    let count = items.len();
                    items.get_mut(*i).ok_or_else(|| {
                        format!("{at} has {count} entr{}: no [{i}]", plural(count))
                    })?
                }
                (Step::Field(name), _) => {
                    return Err(format!(
                        "{} is not an object with a field `{name}`",
                        at.or_spec()
                    ))
                }
                (Step::Index(i), _) => {
                    return Err(format!("{} is not a list to take [{i}] of", at.or_spec()))
                }
            };
        }
        Ok(here)
    }

    fn or_spec(&self) -> String {
        match self.steps.is_empty() {
            true => "the spec".into(),
            false => format!("`{self}`"),
        }
    }
}

fn plural(count: usize) -> &'static str {
    match count {
        1 => "y",
        _ => "ies",
    }
}

impl fmt::Display for SpecPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                Step::Field(name) if i == 0 => write!(f, "{name}")?,
                Step::Field(name) => write!(f, ".{name}")?,
                Step::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_path_reads_back_as_it_was_written() {
        for text in [
            "chain[1].link.terms[0].temperature",
            "budget.optimizer.lr",
            "a[0][2]",
        ] {
            assert_eq!(SpecPath::parse(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn malformed_paths_are_refused_with_the_reason() {
        assert!(SpecPath::parse("chain[x].link")
            .unwrap_err()
            .contains("[x]"));
        assert!(SpecPath::parse("chain[1.link")
            .unwrap_err()
            .contains("does not close"));
        assert!(SpecPath::parse("a..b").is_err());
        assert!(SpecPath::parse("a-b")
            .unwrap_err()
            .contains("not a field name"));
    }

    #[test]
    fn locating_names_the_step_that_leads_nowhere() {
        let mut spec = json!({"chain": [{"link": {"terms": [{"temperature": 4}]}}]});
        let found = SpecPath::parse("chain[0].link.terms[0].temperature")
            .unwrap()
            .locate_mut(&mut spec)
            .unwrap();
        assert_eq!(*found, json!(4));
        let missing = SpecPath::parse("chain[0].link.terms[2].temperature")
            .unwrap()
            .locate_mut(&mut spec)
            .unwrap_err();
        assert_eq!(missing, "chain[0].link.terms has 1 entry: no [2]");
        let unknown = SpecPath::parse("chain[0].link.weight")
            .unwrap()
            .locate_mut(&mut spec)
            .unwrap_err();
        assert_eq!(
            unknown,
            "`chain[0].link` has no field `weight`; it has terms"
        );
    }
}
