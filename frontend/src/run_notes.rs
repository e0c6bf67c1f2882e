//! Run messages said once: a message several runs share word for word (the teacher cache's
//! note on every seed's student, "queued again" on every requeued run) is shown once under the
//! runs table with the runs it is about, instead of on each of their rows.

use api::RunSummary;

/// Each message that two or more of `runs` carry, with the ids of those runs, in the order
/// the messages first appear.
pub fn shared_messages(runs: &[RunSummary]) -> Vec<(String, Vec<String>)> {
    let mut shared: Vec<(String, Vec<String>)> = Vec::new();
    for run in runs {
        let Some(message) = &run.message else {
            continue;
        };
        match shared.iter_mut().find(|(m, _)| m == message) {
            Some((_, ids)) => ids.push(run.id.clone()),
            None => shared.push((message.clone(), vec![run.id.clone()])),
        }
    }
    shared.retain(|(_, ids)| ids.len() > 1);
    shared
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(id: &str, message: Option<&str>) -> RunSummary {
        let mut run: RunSummary = serde_json::from_value(serde_json::json!({
            "id": id, "experiment_id": "e", "kind": "stage", "stage_index": 1,
            "stage_name": "student", "seed": 0, "status": "succeeded",
            "architecture": {"kind": "mlp", "hidden": [4]}, "params": 1,
            "epochs_done": 1, "epochs_total": 1, "queued_at": 0
        }))
        .expect("a run summary");
        run.message = message.map(str::to_string);
        run
    }

    #[test]
    fn a_message_on_several_runs_is_gathered_once_and_a_message_of_one_run_stays_on_its_row() {
        let cache = "the teacher's logits for the training images were computed once (12.0 KiB)";
        let runs = [
            run("a", Some(cache)),
            run("b", Some("resumed from its checkpoint after epoch 3")),
            run("c", None),
            run("d", Some(cache)),
        ];
        assert_eq!(
            shared_messages(&runs),
            [(cache.to_string(), vec!["a".to_string(), "d".to_string()])]
        );
    }
}
