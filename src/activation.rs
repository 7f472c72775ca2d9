//! What an op table entry is made of, and the `activations!` macro that turns
//! the table in [`table`](crate::table) into the [`Activation`](crate::Activation)
//! and [`Op`](crate::Op) types, their parameter handling, and the dispatch to
//! each op's WGSL file, f64 reference and fast CPU function.
//!
//! Everything that lists ops — parsing, printing, validation, the uniform
//! layout shared with WGSL, pipelines, the CLI's flags, `verify`, `bench`, the
//! README's table and the test matrices — iterates [`Op::ALL`](crate::Op::ALL)
//! or matches generated arms; no other file names an op.

use crate::{Error, Result};

/// How an op maps its input to its output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Each output element from its input element alone: the op's WGSL file
    /// defines `fn activate(x: f32) -> f32`.
    Elementwise,
    /// Each row (a 1-D slice along `axis`) maps to a row of the same length.
    Axis(Reduce),
    /// The axis is split into halves `a`, `b`; the output has it halved and
    /// holds `f(a, b)` (glu). The WGSL file defines `fn combine(a, b)`.
    Halves,
}

/// How an axis op reduces a row before it maps its elements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reduce {
    /// The row's max `m` and `t = sum(exp(x - m)) - 1` (softmax,
    /// log_softmax); the WGSL file defines `fn axis_prep(m, t)` (the row's
    /// constants, formed once per row where the kernel allows) and
    /// `fn axis_value(v, m, t, c)`, where v is x, or with `keep_term` x's
    /// term exp(x - m): the op's fused and long-row passes then store the
    /// term they summed and map it in place (one exp per element).
    MaxSumExp {
        /// Whether `axis_value` takes the term instead of x (WGSL's
        /// `KEEP_TERM`, set from here).
        keep_term: bool,
    },
    /// The threshold `tau` of the projection onto the probability simplex
    /// (sparsemax); the WGSL file defines `fn axis_value(x, tau)`.
    Simplex,
}

/// What an op's backward reads besides the upstream gradient `dy`: its
/// forward input `x` or its forward output `y` (whichever gives the
/// derivative as cheaply and as accurately; the table says which).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GradFrom {
    /// The forward input.
    X,
    /// The forward output.
    Y,
}

/// The type of a parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    /// An `f32`.
    Float,
    /// An `Option<f32>` (`None`: the feature is off, e.g. relu's `max_value`).
    OptionalFloat,
    /// A `bool` (a bare CLI flag, e.g. gelu's `approximate`).
    Flag,
    /// An axis (`isize`, negative counts from the end).
    Axis,
}

/// The values a float parameter may take. NaN is refused by every check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// Anything but NaN (±inf allowed).
    NotNan,
    /// Finite.
    Finite,
    /// `>= 0` (+inf allowed).
    NonNegative,
    /// Finite and `>= 0`.
    FiniteNonNegative,
    /// Finite and `> 0`.
    FinitePositive,
    /// No float check (flags and axes).
    None,
}

impl Check {
    /// Why `v` is refused, or `None` if it is accepted.
    pub fn reason(self, v: f32) -> Option<&'static str> {
        match self {
            Check::None => None,
            _ if v.is_nan() => Some("must not be NaN"),
            Check::NotNan => None,
            Check::Finite => (!v.is_finite()).then_some("must be finite"),
            Check::NonNegative => (v < 0.0).then_some("must be >= 0"),
            Check::FiniteNonNegative => {
                (!v.is_finite() || v < 0.0).then_some("must be finite and >= 0")
            }
            Check::FinitePositive => {
                (!v.is_finite() || v <= 0.0).then_some("must be finite and > 0")
            }
        }
    }

    /// Words for the README and `--list`.
    pub fn describe(self) -> &'static str {
        match self {
            Check::NotNan => "not NaN",
            Check::Finite => "finite",
            Check::NonNegative => ">= 0",
            Check::FiniteNonNegative => "finite, >= 0",
            Check::FinitePositive => "finite, > 0",
            Check::None => "",
        }
    }
}

/// A parameter's value, whatever its type.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    Float(f32),
    OptionalFloat(Option<f32>),
    Flag(bool),
    Axis(isize),
}

impl Value {
    /// The value in a uniform slot: floats as they are, `None` as NaN (the
    /// WGSL side tests the bits), flags as 1 or 0, axes as their index
    /// (unused by kernels).
    pub fn slot(self) -> f32 {
        match self {
            Value::Float(v) => v,
            Value::OptionalFloat(v) => v.unwrap_or(f32::NAN),
            Value::Flag(b) => b as u32 as f32,
            Value::Axis(a) => a as f32,
        }
    }
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Float(v) => write!(f, "{v}"),
            Value::OptionalFloat(Some(v)) => write!(f, "{v}"),
            Value::OptionalFloat(None) => write!(f, "None"),
            Value::Flag(b) => write!(f, "{}", if *b { "True" } else { "False" }),
            Value::Axis(a) => write!(f, "{a}"),
        }
    }
}

/// The Rust types parameters have. Sealed: the four of [`ParamKind`].
pub trait Param: Copy + sealed::Sealed {
    const KIND: ParamKind;
    fn into_value(self) -> Value;
    fn from_value(v: Value) -> Option<Self>;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for Option<f32> {}
    impl Sealed for bool {}
    impl Sealed for isize {}
}

macro_rules! param_type {
    ($t:ty, $kind:ident) => {
        impl Param for $t {
            const KIND: ParamKind = ParamKind::$kind;
            fn into_value(self) -> Value {
                Value::$kind(self)
            }
            fn from_value(v: Value) -> Option<Self> {
                match v {
                    Value::$kind(x) => Some(x),
                    _ => None,
                }
            }
        }
    };
}
/// Const construction of a [`Value`] from a parameter's Rust type (trait
/// methods cannot be const): `Typed::<f32>::value(1.0)`.
pub struct Typed<T>(std::marker::PhantomData<T>);

macro_rules! param_type_const {
    ($t:ty, $kind:ident) => {
        impl Typed<$t> {
            pub const fn value(v: $t) -> Value {
                Value::$kind(v)
            }
        }
    };
}
param_type_const!(f32, Float);
param_type_const!(Option<f32>, OptionalFloat);
param_type_const!(bool, Flag);
param_type_const!(isize, Axis);

param_type!(f32, Float);
param_type!(Option<f32>, OptionalFloat);
param_type!(bool, Flag);
param_type!(isize, Axis);

/// One parameter of an op, as Keras names it.
#[derive(Debug)]
pub struct ParamSpec {
    pub name: &'static str,
    /// Other names accepted for it (relu's `alpha`, from Keras 2 / `tf.nn`).
    pub aliases: &'static [&'static str],
    pub kind: ParamKind,
    /// `None`: required (Keras' `threshold(x, threshold, default_value)`).
    pub default: Option<Value>,
    pub check: Check,
    pub doc: &'static str,
}

/// A documented ULP bound: `short` for rows up to 1024 elements (and for
/// every elementwise op), `long` beyond.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bound {
    pub short: u64,
    pub long: u64,
}

impl Bound {
    /// The bound for rows of `row_len` elements.
    pub fn at(self, row_len: usize) -> u64 {
        if row_len <= 1024 {
            self.short
        } else {
            self.long
        }
    }
}

/// Everything the table says about one op.
#[derive(Debug)]
pub struct OpInfo {
    pub op: crate::Op,
    /// Keras' name.
    pub name: &'static str,
    /// Other names Keras accepts (`swish` for `silu`).
    pub aliases: &'static [&'static str],
    pub kind: Kind,
    pub params: &'static [ParamSpec],
    pub bound: Bound,
    /// Points where the op changes formula or slope (with default
    /// parameters); the sweep tests around each.
    pub kinks: &'static [f32],
    /// What the backward reads besides `dy`.
    pub grad_from: GradFrom,
    /// The backward's documented ULP bound (axis ops also accept an absolute
    /// error within 2^-22 of the terms that cancel; see `verify`).
    pub grad_bound: Bound,
    /// The formula, for the README and `--list`.
    pub formula: &'static str,
    /// Special values and differences from TensorFlow, for the README.
    pub specials: &'static str,
    /// The op's WGSL file (`shaders/ops/<name>.wgsl`).
    pub wgsl: &'static str,
}

impl OpInfo {
    /// Whether the op runs on textures (elementwise ops do).
    pub fn on_textures(&self) -> bool {
        self.kind == Kind::Elementwise
    }

    /// The spec of the parameter called `name` (or one of its aliases).
    pub fn param(&self, name: &str) -> Option<(usize, &'static ParamSpec)> {
        self.params
            .iter()
            .enumerate()
            .find(|(_, p)| p.name == name || p.aliases.contains(&name))
    }

    /// The uniform slots of its default parameters, where it has
    /// parameters other than an axis and every one has a default.
    pub(crate) fn default_slots(&self) -> Option<[f32; MAX_PARAMS]> {
        if self.params.iter().all(|p| p.kind == ParamKind::Axis) {
            return None;
        }
        let mut s = [0.0; MAX_PARAMS];
        for (d, p) in s.iter_mut().zip(self.params) {
            *d = p.default?.slot();
        }
        Some(s)
    }
}

/// The most parameters one op has: the uniform carries this many slots.
pub const MAX_PARAMS: usize = 4;

/// The values of `info`'s parameters, in table order: `get(spec)` gives the
/// caller's value or `None` for the default. A missing required parameter or
/// a value of the wrong type is an error.
pub(crate) fn values_for(
    info: &OpInfo,
    mut get: impl FnMut(&ParamSpec) -> Option<Value>,
) -> Result<Vec<Value>> {
    info.params
        .iter()
        .map(|p| {
            let v = get(p).or(p.default).ok_or(Error::MissingParameter {
                op: info.name,
                name: p.name,
            })?;
            if kind_of(v) != p.kind {
                return Err(Error::ParameterType {
                    op: info.name,
                    name: p.name,
                });
            }
            Ok(v)
        })
        .collect()
}

fn kind_of(v: Value) -> ParamKind {
    match v {
        Value::Float(_) => ParamKind::Float,
        Value::OptionalFloat(_) => ParamKind::OptionalFloat,
        Value::Flag(_) => ParamKind::Flag,
        Value::Axis(_) => ParamKind::Axis,
    }
}

/// Checks `values` against the specs of `info`.
pub(crate) fn validate_values(info: &OpInfo, values: &[Value]) -> Result<()> {
    for (p, v) in info.params.iter().zip(values) {
        let x = match *v {
            Value::Float(x) | Value::OptionalFloat(Some(x)) => x,
            Value::OptionalFloat(None) | Value::Flag(_) | Value::Axis(_) => continue,
        };
        if let Some(reason) = p.check.reason(x) {
            return Err(Error::InvalidParameter {
                name: p.name,
                value: x,
                reason,
            });
        }
    }
    Ok(())
}

/// The next value of `it`, as a `P` (an error when missing or of another type).
pub(crate) fn take<P: Param>(
    it: &mut impl Iterator<Item = Value>,
    op: &'static str,
    name: &'static str,
) -> Result<P> {
    it.next()
        .and_then(P::from_value)
        .ok_or(Error::ParameterType { op, name })
}

/// `Some(e)` for a default written `(e)`, `None` for `required`.
macro_rules! default_value {
    (required, $t:ty) => {
        None
    };
    (($e:expr), $t:ty) => {
        Some($crate::activation::Typed::<$t>::value($e))
    };
}

/// The CPU reference of one op, by kind.
pub(crate) enum RefFn {
    Map(Box<dyn Fn(f32) -> f32 + Send + Sync>),
    Row(fn(&[f32], &mut [f32])),
    Pair(fn(f32, f32) -> f32),
}

/// The CPU reference of one op's backward (vector-Jacobian product), by kind:
/// elementwise `(v, dy) -> dx` with `v` the table's [`GradFrom`]; axis ops
/// `(v_row, dy_row, dx_row)`; glu `(a, b, dy) -> (da, db)`.
pub(crate) enum RefGrad {
    Map(Box<dyn Fn(f32, f32) -> f32 + Send + Sync>),
    Row(fn(&[f32], &[f32], &mut [f32])),
    Pair(fn(f32, f32, f32) -> (f32, f32)),
}

/// Accepts the parameter name `axis` only (see `reference_fn!`).
macro_rules! only_axis {
    (axis) => {};
    ($other:ident) => {
        compile_error!(concat!(
            "axis ops and glu take exactly one parameter, `axis`, not `",
            stringify!($other),
            "`"
        ))
    };
}

macro_rules! reference_fn {
    (Elementwise, $f:ident $(, $p:ident)*) => {
        $crate::activation::RefFn::Map(Box::new(move |x| $crate::cpu::reference::$f(x $(, $p)*)))
    };
    (Axis($r:ident), $f:ident, $p:ident) => {{
        only_axis!($p);
        let _ = $p;
        $crate::activation::RefFn::Row($crate::cpu::reference::$f)
    }};
    (Halves, $f:ident, $p:ident) => {{
        only_axis!($p);
        let _ = $p;
        $crate::activation::RefFn::Pair($crate::cpu::reference::$f)
    }};
    // Axis ops and glu get their axis from the host; nothing carries other
    // parameters to their kernels or CPU functions yet.
    ($kind:ident $(($r:ident))?, $f:ident $(, $p:ident)*) => {
        compile_error!("axis ops and glu take exactly one parameter, `axis`")
    };
}

macro_rules! reference_grad_fn {
    (Elementwise, $f:ident $(, $p:ident)*) => {
        $crate::activation::RefGrad::Map(Box::new(move |v, dy| {
            $crate::cpu::reference::grad::$f(v, dy $(, $p)*)
        }))
    };
    (Axis($r:ident), $f:ident, $p:ident) => {{
        let _ = $p;
        $crate::activation::RefGrad::Row($crate::cpu::reference::grad::$f)
    }};
    (Halves, $f:ident, $p:ident) => {{
        let _ = $p;
        $crate::activation::RefGrad::Pair($crate::cpu::reference::grad::$f)
    }};
}

/// The fast CPU map of an elementwise op over `src` into `out` (`F`: FMA
/// build); `false` for other kinds.
macro_rules! fast_map {
    (Elementwise, $f:ident, $fma:ident, $src:ident, $out:ident $(, $p:ident)*) => {{
        for (o, &x) in $out.iter_mut().zip($src) {
            *o = $crate::cpu::fast::$f::<$fma>(x $(, $p)*);
        }
        true
    }};
    ($kind:ident $(($r:ident))?, $f:ident, $fma:ident, $src:ident, $out:ident $(, $p:ident)*) => {{
        $(let _ = $p;)*
        false
    }};
}

/// The fast CPU functions of axis and halves ops.
pub(crate) enum FastFn {
    Map,
    /// Over contiguous rows of the given length.
    Row(fn(&[f32], &mut [f32], usize)),
    /// Over the halves `a`, `b` into `out`.
    Pair(fn(&[f32], &[f32], &mut [f32])),
}

macro_rules! fast_fn {
    (Elementwise, $f:ident) => {
        $crate::activation::FastFn::Map
    };
    (Axis($r:ident), $f:ident) => {
        $crate::activation::FastFn::Row($crate::cpu::fast::$f)
    };
    (Halves, $f:ident) => {
        $crate::activation::FastFn::Pair($crate::cpu::fast::$f)
    };
}

/// Generates [`Op`](crate::Op), [`Activation`](crate::Activation) and their
/// table-driven methods from the op table. Each entry:
///
/// ```text
/// /// doc
/// Variant { /// param doc
///           param: type = (default) | required, Check, [aliases]; ... } => {
///     name: "keras_name", aliases: [...], kind: Kind, bound: (short, long),
///     kinks: [...], grad: X | Y, grad_bound: (short, long),
///     formula: "...", specials: "...", fns: snake_name,
/// }
/// ```
///
/// `fns` names the op's WGSL file `shaders/ops/<fns>.wgsl` (forward and
/// backward), its references `cpu::reference::<fns>` and
/// `cpu::reference::grad::<fns>`, and its fast function `cpu::fast::<fns>`.
/// `grad` says what the backward reads besides `dy` (see [`GradFrom`]).
macro_rules! activations {
    ($(
        $(#[doc = $doc:literal])*
        $V:ident $({ $(
            $(#[doc = $pdoc:literal])*
            $p:ident : $pt:ty = $pdef:tt, $pcheck:ident, [$($palias:literal),*];
        )* })? => {
            name: $name:literal,
            aliases: [$($alias:literal),*],
            kind: $kind:ident $(($reduce:ident $({ $($rfield:ident : $rval:expr),* })?))?,
            bound: ($bshort:expr, $blong:expr),
            kinks: [$($kink:expr),*],
            grad: $grad:ident, grad_bound: ($gshort:expr, $glong:expr),
            formula: $formula:literal,
            specials: $specials:literal,
            fns: $fns:ident $(,)?
        }
    ),* $(,)?) => {
        /// An op of the table, without parameters.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Op {
            $($(#[doc = $doc])* $V,)*
        }

        /// One activation with its parameters (Keras' names and defaults).
        #[derive(Clone, Copy, Debug, PartialEq)]
        pub enum Activation {
            $(
                $(#[doc = $doc])*
                $V $({ $($(#[doc = $pdoc])* $p: $pt,)* })?,
            )*
        }

        impl Op {
            /// Every op, in table order.
            pub const ALL: &'static [Op] = &[$(Op::$V),*];

            /// The table entry.
            pub fn info(self) -> &'static $crate::activation::OpInfo {
                use $crate::activation::*;
                match self {
                    $(Op::$V => {
                        const _: () = assert!(
                            <[&str]>::len(&[$($(stringify!($p)),*)?]) <= MAX_PARAMS,
                            "the uniform holds MAX_PARAMS parameters"
                        );
                        static INFO: OpInfo = OpInfo {
                            op: Op::$V,
                            name: $name,
                            aliases: &[$($alias),*],
                            kind: Kind::$kind $((Reduce::$reduce $({ $($rfield: $rval),* })?))?,
                            params: &[$($(ParamSpec {
                                name: stringify!($p),
                                aliases: &[$($palias),*],
                                kind: <$pt as Param>::KIND,
                                default: default_value!($pdef, $pt),
                                check: Check::$pcheck,
                                doc: concat!($($pdoc),*),
                            }),*)?],
                            bound: Bound { short: $bshort, long: $blong },
                            kinks: &[$($kink),*],
                            grad_from: GradFrom::$grad,
                            grad_bound: Bound { short: $gshort, long: $glong },
                            formula: $formula,
                            specials: $specials,
                            wgsl: include_str!(concat!("../shaders/ops/", stringify!($fns), ".wgsl")),
                        };
                        &INFO
                    })*
                }
            }

            /// The activation with these parameter values, in table order
            /// (of the types the table gives; not yet validated).
            pub fn with_values(self, values: &[$crate::activation::Value]) -> $crate::Result<Activation> {
                #[allow(unused_mut, unused_variables)]
                let mut it = values.iter().copied();
                #[allow(unused_variables)]
                let op = self.info().name;
                Ok(match self {
                    $(Op::$V => Activation::$V $({ $($p: $crate::activation::take::<$pt>(&mut it, op, stringify!($p))?,)* })?,)*
                })
            }

            /// The fast CPU function of an axis or halves op.
            pub(crate) fn fast_fn(self) -> $crate::activation::FastFn {
                match self {
                    $(Op::$V => fast_fn!($kind $(($reduce))?, $fns),)*
                }
            }
        }

        impl Activation {
            /// The op, without parameters.
            pub fn op(&self) -> Op {
                match self {
                    $(Activation::$V { .. } => Op::$V,)*
                }
            }

            /// The parameter values, in table order.
            pub fn values(&self) -> Vec<$crate::activation::Value> {
                #[allow(unused_imports)]
                use $crate::activation::Param;
                match *self {
                    $(Activation::$V $({ $($p,)* })? => vec![$($($p.into_value()),*)?],)*
                }
            }

            /// The CPU reference of this op with these parameters.
            pub(crate) fn reference_fn(&self) -> $crate::activation::RefFn {
                match *self {
                    $(Activation::$V $({ $($p,)* })? => reference_fn!($kind $(($reduce))?, $fns $($(, $p)*)?),)*
                }
            }

            /// The CPU reference of this op's backward, with these parameters.
            pub(crate) fn reference_grad_fn(&self) -> $crate::activation::RefGrad {
                match *self {
                    $(Activation::$V $({ $($p,)* })? => reference_grad_fn!($kind $(($reduce))?, $fns $($(, $p)*)?),)*
                }
            }

            /// The fast CPU map of an elementwise op (`false` for other kinds).
            #[inline(always)]
            pub(crate) fn fast_map<const F: bool>(&self, src: &[f32], out: &mut [f32]) -> bool {
                match *self {
                    $(Activation::$V $({ $($p,)* })? => fast_map!($kind $(($reduce))?, $fns, F, src, out $($(, $p)*)?),)*
                }
            }
        }
    };
}

impl crate::Op {
    /// Keras' name.
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// The op called `name` (Keras' name or an alias, any case).
    pub fn from_name(name: &str) -> Option<crate::Op> {
        let n = name.to_ascii_lowercase();
        Self::ALL
            .iter()
            .copied()
            .find(|op| op.info().name == n || op.info().aliases.contains(&n.as_str()))
    }

    /// The activation with default parameters (an error for ops with
    /// required ones, such as `threshold`).
    pub fn default_activation(self) -> Result<crate::Activation> {
        self.with_values(&values_for(self.info(), |_| None)?)
    }
}

impl crate::Activation {
    /// The table entry of its op.
    pub fn info(&self) -> &'static OpInfo {
        self.op().info()
    }

    /// Keras' name.
    pub fn name(&self) -> &'static str {
        self.info().name
    }

    /// Its kind.
    pub fn kind(&self) -> Kind {
        self.info().kind
    }

    /// Whether it has parameters, all at their defaults (bit for bit): its
    /// kernels then have them built in.
    pub(crate) fn has_default_params(&self) -> bool {
        self.info().default_slots().is_some_and(|d| {
            let s = self.slots();
            d.iter().zip(&s).all(|(x, y)| x.to_bits() == y.to_bits())
        })
    }

    /// Whether each output element depends on its input element alone.
    pub fn is_elementwise(&self) -> bool {
        self.kind() == Kind::Elementwise
    }

    /// The axis of an axis or halves op.
    pub fn axis(&self) -> Option<isize> {
        self.values().into_iter().find_map(|v| match v {
            Value::Axis(a) => Some(a),
            _ => None,
        })
    }

    /// This activation with its axis (if it has one) set to `axis`.
    pub fn with_axis(self, axis: isize) -> crate::Activation {
        let values: Vec<Value> = self
            .values()
            .into_iter()
            .map(|v| match v {
                Value::Axis(_) => Value::Axis(axis),
                other => other,
            })
            .collect();
        self.op().with_values(&values).unwrap_or(self)
    }

    /// This activation with parameter `name` (or an alias) set to `value`.
    ///
    /// ```
    /// use wgact::{Activation, Op};
    /// let elu = Op::Elu.default_activation()?.with("alpha", 0.5f32)?;
    /// assert_eq!(elu, Activation::Elu { alpha: 0.5 });
    /// # Ok::<(), wgact::Error>(())
    /// ```
    pub fn with<P: Param>(self, name: &str, value: P) -> Result<crate::Activation> {
        let info = self.info();
        let (i, _) = info.param(name).ok_or_else(|| Error::UnknownParameter {
            op: info.name,
            name: name.to_string(),
        })?;
        let mut values = self.values();
        values[i] = value.into_value();
        let act = self.op().with_values(&values_for(info, |p| {
            info.params
                .iter()
                .position(|q| std::ptr::eq(p, q))
                .map(|k| values[k])
        })?)?;
        Ok(act)
    }

    /// Checks the parameters (NaN anywhere, and each parameter's own rule).
    pub fn validate(&self) -> Result<()> {
        validate_values(self.info(), &self.values())
    }

    /// The parameter values as the uniform's slots (see [`Value::slot`]).
    pub(crate) fn slots(&self) -> [f32; MAX_PARAMS] {
        let mut s = [0.0; MAX_PARAMS];
        for (d, v) in s.iter_mut().zip(self.values()) {
            *d = v.slot();
        }
        s
    }

    /// The shape of the result for an input of `shape`: the same, but for
    /// glu, whose axis is halved (its length must be even).
    pub fn output_shape(&self, shape: &[usize]) -> Result<Vec<usize>> {
        let mut out = shape.to_vec();
        match self.kind() {
            Kind::Elementwise => {}
            Kind::Axis(_) | Kind::Halves => {
                let axis = self.axis().unwrap_or(-1);
                let a = crate::shape::resolve_axis(axis, shape.len())?;
                if self.kind() == Kind::Halves {
                    if !shape[a].is_multiple_of(2) {
                        return Err(Error::OddHalves {
                            axis,
                            len: shape[a],
                        });
                    }
                    out[a] /= 2;
                }
            }
        }
        Ok(out)
    }
}

impl std::str::FromStr for crate::Activation {
    type Err = Error;
    /// An op by Keras name or alias, with default parameters.
    fn from_str(s: &str) -> Result<Self> {
        crate::Op::from_name(s)
            .ok_or_else(|| Error::UnknownActivation(s.to_string()))?
            .default_activation()
    }
}

impl std::fmt::Display for crate::Activation {
    /// `name` alone, or `name(param=value, ...)` in Keras' spelling.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let info = self.info();
        write!(f, "{}", info.name)?;
        if info.params.is_empty() {
            return Ok(());
        }
        let args: Vec<String> = info
            .params
            .iter()
            .zip(self.values())
            .map(|(p, v)| format!("{}={v}", p.name))
            .collect();
        write!(f, "({})", args.join(", "))
    }
}

/// Parameters of Keras' `relu(x, negative_slope, max_value, threshold)`, as a
/// builder for [`Activation::Relu`](crate::Activation::Relu).
///
/// ```
/// use wgact::{Activation, Relu};
/// let act: Activation = Relu::new().alpha(0.1).max_value(6.0).into();
/// assert_eq!(wgact::cpu::reference::relu(-2.0, 0.1, Some(6.0), 0.0), -0.2);
/// assert_eq!(act.to_string(), "relu(negative_slope=0.1, max_value=6, threshold=0)");
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Relu {
    pub negative_slope: f32,
    pub max_value: Option<f32>,
    pub threshold: f32,
}

impl Default for Relu {
    fn default() -> Self {
        Self::new()
    }
}

impl Relu {
    /// Plain `max(x, 0)`.
    pub const fn new() -> Self {
        Relu {
            negative_slope: 0.0,
            max_value: None,
            threshold: 0.0,
        }
    }
    /// Sets `negative_slope`.
    pub const fn negative_slope(mut self, v: f32) -> Self {
        self.negative_slope = v;
        self
    }
    /// Keras 2 / TensorFlow name of [`Relu::negative_slope`].
    pub const fn alpha(self, v: f32) -> Self {
        self.negative_slope(v)
    }
    /// Sets `max_value`.
    pub const fn max_value(mut self, v: f32) -> Self {
        self.max_value = Some(v);
        self
    }
    /// Sets `threshold`.
    pub const fn threshold(mut self, v: f32) -> Self {
        self.threshold = v;
        self
    }
}

impl From<Relu> for crate::Activation {
    fn from(p: Relu) -> Self {
        crate::Activation::Relu {
            negative_slope: p.negative_slope,
            max_value: p.max_value,
            threshold: p.threshold,
        }
    }
}
