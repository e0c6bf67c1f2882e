//! Our CPU kernels against burn's stock ops on random shapes: strides 1–2, padding 0–1,
//! kernels 1 and 3, 1 to 64 channels, odd sizes, with and without bias; forward outputs, every
//! gradient and the running statistics, on `Autodiff<Flex>`; the fused ReLU + 2×2 max pool on
//! odd sizes and on ties; the batch norm with its fused ReLU; the fused residual add + ReLU,
//! ties at 0 included. Also where the kernels must step aside for the stock ops (eval mode,
//! gradient checkpointing, frozen layers, other pools).

use burn::module::Param;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::relu;
use engine::kernels::{
    add_relu, add_relu_with_path, batch_norm_relu_with_path, batch_norm_with_path,
    conv2d_with_path, min_inference_batch, relu_max_pool_with_path, KernelPath,
};
use engine::rng::Rng;

/// Channel counts drawn from: the edges (1, 64) and awkward sizes in between.
const CHANNELS: [usize; 8] = [1, 2, 3, 5, 8, 16, 33, 64];

fn random_tensor<const D: usize>(rng: &mut Rng, shape: [usize; D], device: &Device) -> Tensor<D> {
    let n = shape.iter().product();
    let values: Vec<f32> = (0..n).map(|_| rng.range_f32(-2.0, 2.0)).collect();
    Tensor::from_data(TensorData::new(values, shape), device)
}

fn vec_of<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().expect("f32 values")
}

/// Mismatches of `got` against `want` under `|got − want| ≤ tol·(1 + |want|)`.
fn compare(what: &str, got: &[f32], want: &[f32], tol: f32) -> Vec<String> {
    if got.len() != want.len() {
        return vec![format!(
            "{what}: {} values, expected {}",
            got.len(),
            want.len()
        )];
    }
    got.iter()
        .zip(want)
        .enumerate()
        .filter(|(_, (g, w))| (**g - **w).abs() > tol * (1.0 + w.abs()))
        .take(3)
        .map(|(i, (g, w))| format!("{what}[{i}] = {g}, stock {w}"))
        .collect()
}

fn pick<T: Copy>(rng: &mut Rng, items: &[T]) -> T {
    items[rng.below(items.len())]
}

/// One random convolution problem.
#[derive(Debug, Clone, Copy)]
struct ConvCase {
    batch: usize,
    c_in: usize,
    c_out: usize,
    size: [usize; 2],
    kernel: usize,
    stride: usize,
    padding: usize,
    bias: bool,
    input_grad: bool,
}

impl ConvCase {
    fn draw(rng: &mut Rng) -> ConvCase {
        let kernel: usize = pick(rng, &[1, 3]);
        let padding = pick(rng, &[0, 1]);
        // Odd sizes, at least as large as the kernel once padded.
        let side = |rng: &mut Rng| (2 * rng.below(7) + 1).max(kernel.saturating_sub(2 * padding));
        ConvCase {
            batch: 1 + rng.below(4),
            c_in: pick(rng, &CHANNELS),
            c_out: pick(rng, &CHANNELS),
            size: [side(rng), side(rng)],
            kernel,
            stride: pick(rng, &[1, 2]),
            padding,
            bias: rng.below(2) == 0,
            // A first layer's images need no gradient: that branch of the backward is skipped.
            input_grad: rng.below(4) != 0,
        }
    }

    fn layer(&self, device: &Device) -> Conv2d {
        let p = self.padding;
        Conv2dConfig::new([self.c_in, self.c_out], [self.kernel, self.kernel])
            .with_stride([self.stride, self.stride])
            .with_padding(PaddingConfig2d::Explicit(p, p, p, p))
            .with_bias(self.bias)
            .init(device)
    }
}

/// Output and gradients `[out, dx, dw, db]` of `forward` on `conv` with upstream gradient `g`.
fn conv_run(
    conv: &Conv2d,
    x: &Tensor<4>,
    g: &Tensor<4>,
    forward: impl Fn(&Conv2d, Tensor<4>) -> Tensor<4>,
) -> [Vec<f32>; 4] {
    let out = forward(conv, x.clone());
    let grads = (out.clone() * g.clone()).sum().backward();
    let grad = |t: Option<Tensor<4>>| t.map(vec_of).unwrap_or_default();
    [
        vec_of(out),
        grad(x.grad(&grads)),
        grad(conv.weight.val().grad(&grads)),
        conv.bias
            .as_ref()
            .and_then(|b| b.val().grad(&grads))
            .map(vec_of)
            .unwrap_or_default(),
    ]
}

#[test]
fn our_conv2d_matches_burns_stock_conv2d_and_its_gradients_on_random_shapes() {
    let device = Device::flex().autodiff();
    let mut rng = Rng::derive(7, &[1]);
    let mut problems = Vec::new();
    for i in 0..60 {
        let case = ConvCase::draw(&mut rng);
        let conv = case.layer(&device);
        let [h, w] = case.size;
        let mut x = random_tensor(&mut rng, [case.batch, case.c_in, h, w], &device);
        if case.input_grad {
            x = x.require_grad();
        }
        let out_shape = conv.forward(x.clone()).dims();
        let g = random_tensor(&mut rng, out_shape, &device);
        let stock = conv_run(&conv, &x, &g, |c, x| c.forward(x));
        let (_, path) = conv2d_with_path(&conv, x.clone());
        assert_eq!(
            path,
            KernelPath::Own,
            "case {i} {case:?} fell back to the stock op"
        );
        let own = conv_run(&conv, &x, &g, |c, x| conv2d_with_path(c, x).0);
        for (what, (o, s)) in ["output", "grad_input", "grad_weight", "grad_bias"]
            .iter()
            .zip(own.iter().zip(&stock))
        {
            problems.extend(compare(&format!("case {i} {case:?} {what}"), o, s, 1e-4));
        }
        assert_eq!(
            own[1].is_empty(),
            !case.input_grad,
            "case {i}: x's gradient"
        );
        assert_eq!(own[3].is_empty(), !case.bias, "case {i}: bias gradient");
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A batch norm with random γ, β and running statistics, built identically twice.
fn random_norm(rng: &mut Rng, channels: usize, device: &Device) -> BatchNorm {
    let mut norm = BatchNormConfig::new(channels).init(device);
    norm.gamma = Param::from_tensor(random_tensor(rng, [channels], device));
    norm.beta = Param::from_tensor(random_tensor(rng, [channels], device));
    let mean = random_tensor(rng, [channels], device);
    let var = random_tensor(rng, [channels], device).abs().add_scalar(0.1);
    norm.running_mean.update(mean.detach());
    norm.running_var.update(var.detach());
    norm
}

/// Output, `[dx, dγ, dβ]`, running mean and running variance after one training forward.
fn norm_run(
    norm: &BatchNorm,
    x: &Tensor<4>,
    g: &Tensor<4>,
    forward: impl Fn(&BatchNorm, Tensor<4>) -> Tensor<4>,
) -> [Vec<f32>; 6] {
    let out = forward(norm, x.clone());
    let grads = (out.clone() * g.clone()).sum().backward();
    let grad = |t: Option<Tensor<1>>| t.map(vec_of).unwrap_or_default();
    [
        vec_of(out),
        x.grad(&grads).map(vec_of).unwrap_or_default(),
        grad(norm.gamma.val().grad(&grads)),
        grad(norm.beta.val().grad(&grads)),
        vec_of(norm.running_mean.value_sync()),
        vec_of(norm.running_var.value_sync()),
    ]
}

#[test]
fn our_batch_norm_with_or_without_its_relu_matches_burns_stock_ops_and_gradients_on_random_shapes()
{
    let device = Device::flex().autodiff();
    let mut rng = Rng::derive(7, &[2]);
    let mut problems = Vec::new();
    for i in 0..60 {
        let channels = pick(&mut rng, &CHANNELS);
        let (h, w) = (2 * rng.below(5) + 1, 2 * rng.below(5) + 1);
        let batch = 1 + rng.below(6) + usize::from(h * w == 1);
        let norm_seed = rng.next_u64();
        let norm = || random_norm(&mut Rng::derive(norm_seed, &[]), channels, &device);
        // A per-channel offset, so that a one-pass variance would visibly cancel.
        let offset = random_tensor(&mut rng, [1, channels, 1, 1], &device).mul_scalar(4.0);
        let x = (random_tensor(&mut rng, [batch, channels, h, w], &device) + offset).require_grad();
        let g = random_tensor(&mut rng, [batch, channels, h, w], &device);
        let fused_relu = rng.below(2) == 0;
        let stock = norm_run(&norm(), &x, &g, |n, x| {
            let out = n.forward(x);
            if fused_relu {
                relu(out)
            } else {
                out
            }
        });
        let own = norm_run(&norm(), &x, &g, |n, x| {
            let (out, path) = if fused_relu {
                batch_norm_relu_with_path(n, x)
            } else {
                batch_norm_with_path(n, x)
            };
            assert_eq!(path, KernelPath::Own, "case {i} fell back to the stock op");
            out
        });
        // burn blends in the biased variance, we the unbiased one (PyTorch): undo the factor.
        let (n, m) = ((batch * h * w) as f32, 0.1f32);
        let before = vec_of(norm().running_var.value_sync());
        let want_var: Vec<f32> = stock[5]
            .iter()
            .zip(&before)
            .map(|(s, b)| (1.0 - m) * b + (s - (1.0 - m) * b) * n / (n - 1.0))
            .collect();
        let want = [
            &stock[0], &stock[1], &stock[2], &stock[3], &stock[4], &want_var,
        ];
        let names = [
            "output",
            "grad_input",
            "grad_gamma",
            "grad_beta",
            "running_mean",
            "running_var",
        ];
        for ((what, o), s) in names.iter().zip(&own).zip(want) {
            let label =
                format!("case {i} [{batch}, {channels}, {h}, {w}] relu {fused_relu} {what}");
            problems.extend(compare(&label, o, s, 1e-4));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn our_add_relu_matches_burns_add_then_relu_and_gives_both_inputs_their_gradient() {
    let device = Device::flex().autodiff();
    let mut rng = Rng::derive(7, &[11]);
    let mut problems = Vec::new();
    for i in 0..24 {
        // Up to [3, 64, 25, 25]: several of the op's parallel pieces, and odd tails.
        let side = 1 + rng.below(25);
        let shape = [1 + rng.below(3), pick(&mut rng, &CHANNELS), side, side];
        // Every other case rounds to {-2, …, 2}: sums of exactly 0, where the ReLU passes no
        // gradient.
        let ties = i % 2 == 1;
        let draw = |rng: &mut Rng| {
            let t = random_tensor(rng, shape, &device);
            if ties {
                (t * 1.5).round()
            } else {
                t
            }
        };
        let (a, b) = (draw(&mut rng).require_grad(), draw(&mut rng));
        // Every third case: b tracks no gradient, as a shortcut from the images would.
        let b = if i % 3 == 0 { b } else { b.require_grad() };
        let g = random_tensor(&mut rng, shape, &device);
        let run = |forward: &dyn Fn(Tensor<4>, Tensor<4>) -> Tensor<4>| {
            let out = forward(a.clone(), b.clone());
            let grads = (out.clone() * g.clone()).sum().backward();
            let grad = |t: &Tensor<4>| t.grad(&grads).map(vec_of).unwrap_or_default();
            [vec_of(out), grad(&a), grad(&b)]
        };
        let (_, path) = add_relu_with_path(a.clone(), b.clone());
        assert_eq!(path, KernelPath::Own, "case {i} {shape:?} fell back");
        let own = run(&|a, b| add_relu_with_path(a, b).0);
        let stock = run(&|a, b| relu(a + b));
        for (what, (o, s)) in ["output", "grad_a", "grad_b"]
            .iter()
            .zip(own.iter().zip(&stock))
        {
            let name = format!("case {i} {shape:?} ties {ties} {what}");
            problems.extend(compare(&name, o, s, 0.0));
        }
        assert_eq!(own[2].is_empty(), i % 3 == 0, "case {i}: b's gradient");
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn add_relu_of_a_tensor_with_itself_sums_both_gradients() {
    let device = Device::flex().autodiff();
    let x = Tensor::<4>::from_data([[[[-1.0f32, 0.5], [2.0, -0.25]]]], &device).require_grad();
    let grads = add_relu(x.clone(), x.clone()).sum().backward();
    let grad = vec_of(x.grad(&grads).expect("x tracks its gradient"));
    assert_eq!(grad, vec![0.0, 2.0, 2.0, 0.0]);
}

/// Output and input gradient of `forward` on `x` with upstream gradient `g`.
fn pool_run(
    x: &Tensor<4>,
    g: &Tensor<4>,
    forward: impl Fn(Tensor<4>) -> Tensor<4>,
) -> [Vec<f32>; 2] {
    let out = forward(x.clone());
    let grads = (out.clone() * g.clone()).sum().backward();
    [
        vec_of(out),
        vec_of(x.grad(&grads).expect("x tracks its gradient")),
    ]
}

fn pool_2x2() -> MaxPool2d {
    MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init()
}

#[test]
fn our_relu_max_pool_matches_burns_relu_then_max_pool_with_odd_sizes_and_ties() {
    let device = Device::flex().autodiff();
    let mut rng = Rng::derive(7, &[10]);
    let pool = pool_2x2();
    let mut problems = Vec::new();
    for i in 0..40 {
        let shape = [
            1 + rng.below(4),
            pick(&mut rng, &CHANNELS),
            2 + rng.below(14),
            2 + rng.below(14),
        ];
        let mut x = random_tensor(&mut rng, shape, &device);
        // Every other case draws from {-2, …, 2}: windows with tied maxima and all-zero ReLUs,
        // where the first maximum must take the gradient, as in burn.
        let ties = i % 2 == 1;
        if ties {
            x = (x * 1.5).round();
        }
        let x = x.require_grad();
        let out_shape = pool.forward(x.clone()).dims();
        let g = random_tensor(&mut rng, out_shape, &device);
        let (_, path) = relu_max_pool_with_path(&pool, x.clone());
        assert_eq!(path, KernelPath::Own, "case {i} {shape:?} fell back");
        let own = pool_run(&x, &g, |x| relu_max_pool_with_path(&pool, x).0);
        let stock = pool_run(&x, &g, |x| pool.forward(relu(x)));
        for (what, (o, s)) in ["output", "grad_input"].iter().zip(own.iter().zip(&stock)) {
            let name = format!("case {i} {shape:?} ties {ties} {what}");
            problems.extend(compare(&name, o, s, 0.0));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn pools_other_than_2x2_stride_2_use_the_stock_relu_and_max_pool() {
    let mut rng = Rng::derive(7, &[11]);
    let x = random_tensor(&mut rng, [2, 3, 7, 7], &Device::flex().autodiff()).require_grad();
    let overlapping = MaxPool2dConfig::new([3, 3]).with_strides([2, 2]).init();
    let (out, path) = relu_max_pool_with_path(&overlapping, x.clone());
    assert_eq!(path, KernelPath::Stock);
    assert_eq!(vec_of(out), vec_of(overlapping.forward(relu(x))));
}

#[test]
fn without_autodiff_our_relu_max_pool_gives_burns_values() {
    let mut rng = Rng::derive(7, &[12]);
    for batch in [1, 3] {
        let x = (random_tensor(&mut rng, [batch, 5, 9, 8], &Device::flex()) * 1.5).round();
        let (out, path) = relu_max_pool_with_path(&pool_2x2(), x.clone());
        assert_eq!(path, KernelPath::Own, "batch {batch}");
        assert_eq!(
            vec_of(out),
            vec_of(pool_2x2().forward(relu(x))),
            "batch {batch}"
        );
    }
}

#[test]
fn both_kernels_fall_back_to_the_stock_ops_under_gradient_checkpointing() {
    let device = Device::flex().autodiff().gradient_checkpointing();
    let conv = Conv2dConfig::new([2, 3], [3, 3]).init(&device);
    let norm = BatchNormConfig::new(3).init(&device);
    let mut rng = Rng::derive(7, &[3]);
    let x = random_tensor(&mut rng, [2, 2, 5, 5], &device).require_grad();
    let (y, conv_path) = conv2d_with_path(&conv, x.clone());
    let (z, norm_path) = batch_norm_with_path(&norm, y);
    let grads = z.sum().backward();
    assert_eq!(
        (conv_path, norm_path),
        (KernelPath::Stock, KernelPath::Stock)
    );
    assert!(
        x.grad(&grads).is_some(),
        "the stock ops still differentiate"
    );
}

#[test]
fn without_autodiff_batch_norm_is_burns_and_conv_is_ours_from_one_image_per_thread() {
    let device = Device::flex();
    let conv = Conv2dConfig::new([2, 3], [3, 3])
        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
        .init(&device);
    let norm = random_norm(&mut Rng::derive(7, &[4]), 3, &device);
    let mut rng = Rng::derive(7, &[5]);
    for (batch, conv_expected) in [
        (1, KernelPath::Stock),
        (min_inference_batch(), KernelPath::Own),
    ] {
        let x = random_tensor(&mut rng, [batch, 2, 5, 5], &device);
        let (y, conv_path) = conv2d_with_path(&conv, x.clone());
        let (z, norm_path) = batch_norm_with_path(&norm, y);
        assert_eq!(
            (conv_path, norm_path),
            (conv_expected, KernelPath::Stock),
            "batch {batch}"
        );
        let stock = norm.forward(conv.forward(x));
        let problems = compare(&format!("batch {batch}"), &vec_of(z), &vec_of(stock), 1e-4);
        assert!(
            problems.is_empty(),
            "eval mode uses the running statistics: {problems:?}"
        );
    }
}

#[test]
fn a_batch_norm_whose_training_flag_is_off_keeps_its_running_statistics() {
    let device = Device::flex().autodiff();
    let mut norm = random_norm(&mut Rng::derive(7, &[6]), 4, &device);
    norm.training = Param::from_bool(false);
    let before = vec_of(norm.running_var.value_sync());
    let x = random_tensor(&mut Rng::derive(7, &[7]), [3, 4, 3, 3], &device).require_grad();
    let (out, path) = batch_norm_with_path(&norm, x);
    let _ = out.sum().backward();
    assert_eq!(path, KernelPath::Stock);
    assert_eq!(vec_of(norm.running_var.value_sync()), before);
}

#[test]
fn a_batch_norm_backward_leaves_a_gradient_it_shares_with_another_tensor_intact() {
    // `bn(x) + y` hands one gradient buffer to both branches; ours must not write over y's.
    let device = Device::flex().autodiff();
    let norm = random_norm(&mut Rng::derive(7, &[8]), 3, &device);
    let mut rng = Rng::derive(7, &[9]);
    let x = random_tensor(&mut rng, [4, 3, 5, 5], &device).require_grad();
    let y = random_tensor(&mut rng, [4, 3, 5, 5], &device).require_grad();
    let g = random_tensor(&mut rng, [4, 3, 5, 5], &device);
    let (out, path) = batch_norm_with_path(&norm, x.clone());
    let grads = ((out + y.clone()) * g.clone()).sum().backward();
    assert_eq!(path, KernelPath::Own);
    let problems = compare("grad_y", &vec_of(y.grad(&grads).unwrap()), &vec_of(g), 0.0);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
