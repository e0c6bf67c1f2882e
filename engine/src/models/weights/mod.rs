//! A model's weights in and out of the lab, in the names PyTorch users have (the ONNX export
//! names its weights by the same rules): a trained model exported as a `.safetensors` file, and a `state_dict` (`.pt`/`.pth`, read by burn-store
//! without running pickled code) or `.safetensors` file imported into the zoo's modules.
//!
//! Names follow the reference implementation of the architecture ([`names`]); burn-store's
//! adapters turn burn's layout into PyTorch's (a linear layer's weight transposed, a batch
//! norm's `gamma`/`beta` called `weight`/`bias`). An import checks the file's tensors against
//! the model's before loading anything, so a file that does not fit is refused whole, with
//! every missing, unused and misshapen tensor named.

mod error;
mod names;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use api::Architecture;
use burn::prelude::*;
use burn::store::burn_pack::Tensor as PackTensor;
use burn::store::{
    BurnToPyTorchAdapter, FloatCastAdapter, ModuleAdapter, ModuleSnapshot, ModuleStore,
    PyTorchToBurnAdapter, PytorchStore, SafetensorsStore,
};
use burn::tensor::DType;

pub use error::{Mismatch, MisshapenTensor, WeightsError};
pub(super) use names::reference_name;

use super::{seeded, InputShape, Net};

/// The buffer PyTorch keeps beside a batch norm's running statistics; the lab has no use
/// for it, but PyTorch's strict `load_state_dict` wants it.
const BATCHES_TRACKED: &str = "num_batches_tracked";

/// A file format of weights the lab reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightsFormat {
    /// `.safetensors`.
    Safetensors,
    /// A pickled PyTorch `state_dict`, `.pt` or `.pth`.
    Pytorch,
}

impl WeightsFormat {
    /// The format a file name's ending says (in any case, after at least one character), if
    /// it is one the lab reads. The API document states the same rule as a pattern.
    pub fn of_file_name(name: &str) -> Option<WeightsFormat> {
        let name = name.to_ascii_lowercase();
        [
            (".safetensors", WeightsFormat::Safetensors),
            (".pt", WeightsFormat::Pytorch),
            (".pth", WeightsFormat::Pytorch),
        ]
        .into_iter()
        .find(|(ending, _)| name.len() > ending.len() && name.ends_with(ending))
        .map(|(_, format)| format)
    }

    /// How the format is called in messages.
    pub fn label(self) -> &'static str {
        match self {
            WeightsFormat::Safetensors => "safetensors",
            WeightsFormat::Pytorch => "PyTorch state_dict",
        }
    }
}

/// The model's tensors under their names outside the lab, in PyTorch's layout.
fn reference_tensors(net: &Net) -> Vec<PackTensor> {
    let mut tensors = net.collect(None, Some(Box::new(BurnToPyTorchAdapter)), true);
    for tensor in &mut tensors {
        tensor.name = names::reference_name(net, &tensor.name);
    }
    tensors
}

/// The model's weights as a `.safetensors` file in the reference naming, with the
/// `num_batches_tracked` buffers PyTorch's strict loading expects (0: the lab does not count).
pub fn export_safetensors(net: &Net) -> Result<Vec<u8>, WeightsError> {
    let export = |e: &dyn std::fmt::Display| WeightsError::Export(e.to_string());
    let mut tensors = Vec::new();
    for tensor in reference_tensors(net) {
        let shape = tensor.shape.to_vec();
        let bytes = tensor.to_bytes().map_err(|e| export(&e))?;
        tensors.push((tensor.name, safetensors::Dtype::F32, shape, bytes.to_vec()));
    }
    let counters: Vec<String> = tensors
        .iter()
        .filter_map(|(name, ..)| name.strip_suffix(".running_mean"))
        .map(|module| format!("{module}.{BATCHES_TRACKED}"))
        .collect();
    for name in counters {
        tensors.push((
            name,
            safetensors::Dtype::I64,
            Vec::new(),
            0i64.to_le_bytes().to_vec(),
        ));
    }
    let views = tensors
        .iter()
        .map(|(name, dtype, shape, bytes)| {
            safetensors::tensor::TensorView::new(*dtype, shape.clone(), bytes)
                .map(|view| (name.clone(), view))
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| export(&e))?;
    let metadata = HashMap::from([("format".to_string(), "pt".to_string())]);
    safetensors::tensor::serialize(views, Some(metadata)).map_err(|e| export(&e))
}

/// The `.safetensors` file of the model a burnpack file (a run's `model.bpk`) holds, built on
/// the CPU.
pub fn burnpack_to_safetensors(
    architecture: &Architecture,
    input: InputShape,
    burnpack: Vec<u8>,
) -> Result<Vec<u8>, WeightsError> {
    let device = Device::flex();
    let net = Net::from_burnpack(architecture, input, burnpack, &device)
        .map_err(|e| WeightsError::Export(format!("the burnpack file does not load: {e}")))?;
    export_safetensors(&net)
}

/// Builds the model of a resolved architecture, on the CPU, with the weights of `file`, which
/// must hold exactly the model's tensors in the reference naming (a state_dict nested under
/// `model`, `state_dict` or DataParallel's `module` is found too).
pub fn import_weights(
    file: &Path,
    format: WeightsFormat,
    architecture: &Architecture,
    input: InputShape,
) -> Result<Net, WeightsError> {
    let device = Device::flex();
    let mut net = seeded(&device, 0, || Net::init(architecture, input, &device));
    let lab_paths: BTreeMap<String, String> = net
        .collect(None, Some(Box::new(BurnToPyTorchAdapter)), true)
        .into_iter()
        .map(|t| (names::reference_name(&net, &t.name), t.name))
        .collect();
    let expected: BTreeMap<String, Vec<usize>> = reference_tensors(&net)
        .into_iter()
        .map(|t| (t.name, t.shape.to_vec()))
        .collect();
    let found = read_tensors(file, format)?;
    let found = strip_wrapper_prefix(found, &expected);
    let found: Vec<PackTensor> = found
        .into_values()
        .filter(|t| !is_batches_tracked(&t.name, &expected))
        .collect();
    Mismatch::between(&expected, &found, input.classes).into_result()?;
    let renamed = found
        .into_iter()
        .map(|mut t| {
            t.name = lab_paths[&t.name].clone();
            t
        })
        .collect();
    let adapter = PyTorchToBurnAdapter.chain(FloatCastAdapter::to(DType::F32));
    let result = net.apply(renamed, None, Some(Box::new(adapter)), true);
    if !result.errors.is_empty() || !result.missing.is_empty() {
        let mut problems: Vec<String> = result.errors.iter().map(|e| e.to_string()).collect();
        problems.extend(
            result
                .missing
                .iter()
                .map(|(path, _)| format!("{path} not loaded")),
        );
        return Err(WeightsError::Load(problems.join("; ")));
    }
    Ok(net)
}

/// Every tensor of the file by name.
fn read_tensors(
    file: &Path,
    format: WeightsFormat,
) -> Result<BTreeMap<String, PackTensor>, WeightsError> {
    let unreadable = |message: String| WeightsError::Unreadable { format, message };
    match format {
        WeightsFormat::Safetensors => SafetensorsStore::from_file(file)
            .get_all_tensors()
            .cloned()
            .map_err(|e| unreadable(e.to_string())),
        WeightsFormat::Pytorch => PytorchStore::from_file(file)
            .get_all_tensors()
            .cloned()
            .map_err(|e| unreadable(e.to_string())),
    }
}

/// Drops a prefix every name shares when the names without it are the model's: a state_dict
/// saved inside a checkpoint (`model.`, `state_dict.`) or from `nn.DataParallel` (`module.`).
fn strip_wrapper_prefix(
    mut tensors: BTreeMap<String, PackTensor>,
    expected: &BTreeMap<String, Vec<usize>>,
) -> BTreeMap<String, PackTensor> {
    for prefix in ["model.", "state_dict.", "module."] {
        let all_wrapped = !tensors.is_empty() && tensors.keys().all(|k| k.starts_with(prefix));
        let already_fits = tensors.keys().any(|k| expected.contains_key(k));
        if all_wrapped && !already_fits {
            tensors = tensors
                .into_iter()
                .map(|(name, mut tensor)| {
                    tensor.name = name[prefix.len()..].to_string();
                    (tensor.name.clone(), tensor)
                })
                .collect();
        }
    }
    tensors
}

/// Whether `name` is PyTorch's batch counter of one of the model's batch norms.
fn is_batches_tracked(name: &str, expected: &BTreeMap<String, Vec<usize>>) -> bool {
    name.strip_suffix(BATCHES_TRACKED)
        .is_some_and(|module| expected.contains_key(&format!("{module}running_mean")))
}

#[cfg(test)]
mod tests;
