//! The op table: every activation of `keras.activations` (Keras 3 /
//! TensorFlow 2.21 semantics), defined once. The `activations!` macro (in
//! `activation.rs`) turns it into [`Op`], [`Activation`] and the dispatch to
//! each op's WGSL file (`shaders/ops/<fns>.wgsl`), f64 reference
//! (`cpu::reference::<fns>`) and fast CPU function (`cpu::fast::<fns>`). Bounds are in ULPs (short rows,
//! long rows); kinks are where the op changes formula with default
//! parameters.

activations! {
    /// `x if x >= 0 else alpha * (exp(x / alpha) - 1)`.
    Celu {
        /// Scale and rate of the negative part.
        alpha: f32 = (1.0), FinitePositive, [];
    } => {
        name: "celu", aliases: [], kind: Elementwise, bound: (4, 4), kinks: [0.0],
        grad: X, grad_bound: (4, 4),
        formula: "x if x >= 0 else alpha * (exp(x / alpha) - 1)",
        specials: "-inf → -alpha",
        fns: celu,
    },
    /// `x if x > 0 else alpha * (exp(x) - 1)`.
    Elu {
        /// Scale of the negative part.
        alpha: f32 = (1.0), Finite, [];
    } => {
        name: "elu", aliases: [], kind: Elementwise, bound: (4, 4), kinks: [0.0],
        grad: X, grad_bound: (4, 4),
        formula: "x if x > 0 else alpha * (exp(x) - 1)",
        specials: "-inf → -alpha",
        fns: elu,
    },
    /// `exp(x)`.
    Exponential => {
        name: "exponential", aliases: [], kind: Elementwise, bound: (4, 4), kinks: [],
        grad: Y, grad_bound: (4, 4),
        formula: "exp(x)",
        specials: "-inf → 0, x > 88.72 → inf",
        fns: exponential,
    },
    /// Gaussian error linear unit.
    Gelu {
        /// Use the tanh approximation.
        approximate: bool = (false), None, [];
    } => {
        name: "gelu", aliases: [], kind: Elementwise, bound: (4, 4), kinks: [],
        grad: X, grad_bound: (4, 4),
        formula: "x/2 * (1 + erf(x / sqrt(2))); approximate: x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))",
        specials: "-inf → 0 (TF: NaN), +inf → inf; Gaussian tail down to subnormals",
        fns: gelu,
    },
    /// Gated linear unit: `a * sigmoid(b)` for the halves `a`, `b` of `axis`.
    Glu {
        /// The axis split in halves (its length must be even).
        axis: isize = (-1), None, [];
    } => {
        name: "glu", aliases: [], kind: Halves, bound: (4, 4), kinks: [],
        grad: X, grad_bound: (8, 8),
        formula: "a * sigmoid(b), a and b the halves of `axis` (the output has it halved)",
        specials: "odd axis length: an error",
        fns: glu,
    },
    /// `x if |x| > threshold else 0`.
    HardShrink {
        /// Magnitudes up to it become 0.
        threshold: f32 = (0.5), Finite, [];
    } => {
        name: "hard_shrink", aliases: [], kind: Elementwise, bound: (1, 1), kinks: [-0.5, 0.5],
        grad: X, grad_bound: (1, 1),
        formula: "x if |x| > threshold else 0",
        specials: "NaN → NaN (TF: 0)",
        fns: hard_shrink,
    },
    /// `relu6(x + 3) / 6`.
    HardSigmoid => {
        name: "hard_sigmoid", aliases: [], kind: Elementwise, bound: (1, 1), kinks: [-3.0, 3.0],
        grad: X, grad_bound: (1, 1),
        formula: "relu6(x + 3) / 6",
        specials: "",
        fns: hard_sigmoid,
    },
    /// `x * relu6(x + 3) / 6`.
    HardSilu => {
        name: "hard_silu", aliases: ["hard_swish"], kind: Elementwise, bound: (4, 4), kinks: [-3.0, 3.0],
        grad: X, grad_bound: (1, 1),
        formula: "x * relu6(x + 3) / 6",
        specials: "-inf → 0 (TF: NaN)",
        fns: hard_silu,
    },
    /// `clip(x, -1, 1)`.
    HardTanh => {
        name: "hard_tanh", aliases: [], kind: Elementwise, bound: (1, 1), kinks: [-1.0, 1.0],
        grad: X, grad_bound: (1, 1),
        formula: "clip(x, -1, 1)",
        specials: "",
        fns: hard_tanh,
    },
    /// `x if x > 0 else negative_slope * x`.
    LeakyRelu {
        /// Slope below 0.
        negative_slope: f32 = (0.2), Finite, [];
    } => {
        name: "leaky_relu", aliases: [], kind: Elementwise, bound: (1, 1), kinks: [0.0],
        grad: X, grad_bound: (1, 1),
        formula: "x if x > 0 else negative_slope * x",
        specials: "",
        fns: leaky_relu,
    },
    /// `x`.
    Linear => {
        name: "linear", aliases: [], kind: Elementwise, bound: (1, 1), kinks: [],
        grad: X, grad_bound: (1, 1),
        formula: "x",
        specials: "",
        fns: linear,
    },
    /// `-softplus(-x)`.
    LogSigmoid => {
        name: "log_sigmoid", aliases: [], kind: Elementwise, bound: (4, 4), kinks: [],
        grad: X, grad_bound: (4, 4),
        formula: "-log(1 + exp(-x))",
        specials: "-inf → -inf, +inf → -0",
        fns: log_sigmoid,
    },
    /// `x - max - log(sum(exp(x - max)))` along `axis`.
    LogSoftmax {
        /// The axis (negative counts from the end).
        axis: isize = (-1), None, [];
    } => {
        name: "log_softmax", aliases: [], kind: Axis(MaxSumExp { keep_term: false }), bound: (8, 16), kinks: [],
        grad: X, grad_bound: (8, 16),
        formula: "x - max - log(sum(exp(x - max))) along `axis`",
        specials: "-inf entries → -inf; a row with NaN or +inf, or only -inf → all NaN",
        fns: log_softmax,
    },
    /// `x * tanh(softplus(x))`.
    Mish => {
        name: "mish", aliases: [], kind: Elementwise, bound: (4, 4), kinks: [],
        grad: X, grad_bound: (4, 4),
        formula: "x * tanh(log(1 + exp(x)))",
        specials: "-inf → 0 (TF: NaN), 1e30 → 1e30",
        fns: mish,
    },
    /// Keras relu: `pos = x if x > threshold else 0`, clipped to
    /// `[0, max_value]` when set, minus `negative_slope * max(threshold - x, 0)`.
    Relu {
        /// Slope below the threshold (`alpha` in Keras 2 / `tf.nn`).
        negative_slope: f32 = (0.0), Finite, ["alpha"];
        /// Saturation value; `None` for no upper bound.
        max_value: Option<f32> = (None), NonNegative, [];
        /// Values at or below it are "negative".
        threshold: f32 = (0.0), Finite, [];
    } => {
        name: "relu", aliases: [], kind: Elementwise, bound: (1, 1), kinks: [0.0],
        grad: X, grad_bound: (1, 1),
        formula: "pos = x if x > threshold else 0; pos = clip(pos, 0, max_value) if set; pos - negative_slope * max(threshold - x, 0)",
        specials: "+inf → max_value or inf; -inf → 0 when the slope is 0, else -slope * inf (TF: NaN when threshold != 0)",
        fns: relu,
    },
    /// `min(max(x, 0), 6)`.
    Relu6 => {
        name: "relu6", aliases: [], kind: Elementwise, bound: (1, 1), kinks: [0.0, 6.0],
        grad: X, grad_bound: (1, 1),
        formula: "min(max(x, 0), 6)",
        specials: "",
        fns: relu6,
    },
    /// Scaled elu with Klambauer et al.'s constants.
    Selu => {
        name: "selu", aliases: [], kind: Elementwise, bound: (4, 4), kinks: [0.0],
        grad: X, grad_bound: (4, 4),
        formula: "scale * (x if x > 0 else alpha * (exp(x) - 1)), scale = 1.0507009873554804934193349852946, alpha = 1.6732632423543772848170429916717",
        specials: "-inf → -scale * alpha",
        fns: selu,
    },
    /// `1 / (1 + exp(-x))`.
    Sigmoid => {
        name: "sigmoid", aliases: [], kind: Elementwise, bound: (4, 4), kinks: [],
        grad: X, grad_bound: (4, 4),
        formula: "1 / (1 + exp(-x))",
        specials: "-inf → 0, +inf → 1, ±0 → 0.5",
        fns: sigmoid,
    },
    /// `x * sigmoid(beta * x)`.
    Silu {
        /// `tf.nn.silu`'s `beta`.
        beta: f32 = (1.0), Finite, [];
    } => {
        name: "silu", aliases: ["swish"], kind: Elementwise, bound: (4, 4), kinks: [],
        grad: X, grad_bound: (4, 4),
        formula: "x * sigmoid(beta * x)",
        specials: "-inf → 0 (TF: NaN), +inf → inf",
        fns: silu,
    },
    /// `sign(x) * max(|x| - threshold, 0)`.
    SoftShrink {
        /// Magnitudes up to it become 0; larger ones shrink by it.
        threshold: f32 = (0.5), Finite, [];
    } => {
        name: "soft_shrink", aliases: [], kind: Elementwise, bound: (1, 1), kinks: [-0.5, 0.5],
        grad: X, grad_bound: (1, 1),
        formula: "sign(x) * max(|x| - threshold, 0)",
        specials: "NaN → NaN (TF: 0)",
        fns: soft_shrink,
    },
    /// `exp(x - max) / sum(exp(x - max))` along `axis`.
    Softmax {
        /// The axis (negative counts from the end).
        axis: isize = (-1), None, [];
    } => {
        name: "softmax", aliases: [], kind: Axis(MaxSumExp { keep_term: true }), bound: (8, 16), kinks: [],
        grad: Y, grad_bound: (8, 16),
        formula: "exp(x - max) / sum(exp(x - max)) along `axis`",
        specials: "-inf entries → 0; a row with NaN or +inf, or only -inf → all NaN; 1e30, FLT_MAX do not overflow",
        fns: softmax,
    },
    /// `log(1 + exp(x))`.
    Softplus => {
        name: "softplus", aliases: [], kind: Elementwise, bound: (4, 4), kinks: [],
        grad: X, grad_bound: (4, 4),
        formula: "log(1 + exp(x))",
        specials: "-inf → 0, FLT_MAX → FLT_MAX",
        fns: softplus,
    },
    /// `x / (1 + |x|)`.
    Softsign => {
        name: "softsign", aliases: [], kind: Elementwise, bound: (4, 4), kinks: [],
        grad: X, grad_bound: (4, 4),
        formula: "x / (1 + |x|)",
        specials: "±inf → ±1",
        fns: softsign,
    },
    /// `0`, `(x + 1)^2 / 4`, `x` for `x <= -1`, `-1 < x < 1`, `x >= 1`.
    SparsePlus => {
        name: "sparse_plus", aliases: [], kind: Elementwise, bound: (4, 4), kinks: [-1.0, 1.0],
        grad: X, grad_bound: (1, 1),
        formula: "0 if x <= -1; (x + 1)^2 / 4 if -1 < x < 1; x if x >= 1",
        specials: "",
        fns: sparse_plus,
    },
    /// `0`, `(x + 1) / 2`, `1` for `x <= -1`, `-1 < x < 1`, `x >= 1`.
    SparseSigmoid => {
        name: "sparse_sigmoid", aliases: [], kind: Elementwise, bound: (1, 1), kinks: [-1.0, 1.0],
        grad: X, grad_bound: (1, 1),
        formula: "0 if x <= -1; (x + 1) / 2 if -1 < x < 1; 1 if x >= 1",
        specials: "",
        fns: sparse_sigmoid,
    },
    /// The Euclidean projection of each row onto the probability simplex.
    Sparsemax {
        /// The axis (negative counts from the end).
        axis: isize = (-1), None, [];
    } => {
        name: "sparsemax", aliases: [], kind: Axis(Simplex), bound: (4, 4), kinks: [],
        grad: Y, grad_bound: (8, 8),
        formula: "max(x - tau, 0) along `axis`, tau such that the row sums to 1 (Martins & Astudillo 2016)",
        specials: "-inf entries → 0; a row with NaN or +inf, or only -inf → all NaN (Keras 3: inf or zeros on some rows)",
        fns: sparsemax,
    },
    /// `(x + sqrt(x^2 + b)) / 2`.
    Squareplus {
        /// Smoothness near 0.
        b: f32 = (4.0), FiniteNonNegative, [];
    } => {
        name: "squareplus", aliases: [], kind: Elementwise, bound: (4, 4), kinks: [],
        grad: X, grad_bound: (4, 4),
        formula: "(x + sqrt(x^2 + b)) / 2",
        specials: "-inf → 0, 1e30 → 1e30",
        fns: squareplus,
    },
    /// Hyperbolic tangent.
    Tanh => {
        name: "tanh", aliases: [], kind: Elementwise, bound: (4, 4), kinks: [],
        grad: X, grad_bound: (4, 4),
        formula: "tanh(x)",
        specials: "±inf → ±1, -0 → -0",
        fns: tanh,
    },
    /// `x - tanh(x)`.
    TanhShrink => {
        name: "tanh_shrink", aliases: [], kind: Elementwise, bound: (4, 4), kinks: [],
        grad: X, grad_bound: (4, 4),
        formula: "x - tanh(x)",
        specials: "±inf → ±inf",
        fns: tanh_shrink,
    },
    /// `x if x > threshold else default_value`.
    Threshold {
        /// Values at or below it are replaced.
        threshold: f32 = required, Finite, [];
        /// What replaces them.
        default_value: f32 = required, NotNan, [];
    } => {
        name: "threshold", aliases: [], kind: Elementwise, bound: (1, 1), kinks: [],
        grad: X, grad_bound: (1, 1),
        formula: "x if x > threshold else default_value",
        specials: "NaN → NaN (TF: default_value)",
        fns: threshold,
    },
}

/// The README's semantics table, generated from the op table
/// (`wgact apply --list --markdown` prints it; a test keeps the README in
/// step).
pub fn markdown() -> String {
    let mut s = String::from(
        "| op | parameters (default; valid values) | definition | special values | bound (ULP) | backward: reads, bound (ULP) |\n|---|---|---|---|---|---|\n",
    );
    for op in Op::ALL {
        let info = op.info();
        let name = match info.aliases {
            [] => format!("`{}`", info.name),
            a => format!("`{}` (alias `{}`)", info.name, a.join("`, `")),
        };
        let params: Vec<String> = info
            .params
            .iter()
            .map(|p| {
                let default = p.default.map_or("required".to_string(), |d| d.to_string());
                let check = p.check.describe();
                let alias = match p.aliases {
                    [] => String::new(),
                    a => format!(", alias `{}`", a.join("`, `")),
                };
                if check.is_empty() {
                    format!("`{}` ({default}{alias})", p.name)
                } else {
                    format!("`{}` ({default}; {check}{alias})", p.name)
                }
            })
            .collect();
        let bound = if info.bound.short == info.bound.long {
            info.bound.short.to_string()
        } else {
            format!("{} (rows ≤ 1024), {}", info.bound.short, info.bound.long)
        };
        let gb = if info.grad_bound.short == info.grad_bound.long {
            info.grad_bound.short.to_string()
        } else {
            format!(
                "{} (rows ≤ 1024), {}",
                info.grad_bound.short, info.grad_bound.long
            )
        };
        let reads = match info.grad_from {
            crate::activation::GradFrom::X => "x",
            crate::activation::GradFrom::Y => "y",
        };
        s += &format!(
            "| {name} | {} | `{}` | {} | {bound} | {reads}; {gb} |\n",
            if params.is_empty() {
                "—".to_string()
            } else {
                params.join(", ")
            },
            info.formula.replace('`', "").replace('|', "\\|"),
            if info.specials.is_empty() {
                "NaN → NaN"
            } else {
                info.specials
            },
        );
    }
    s
}
