//! The activations and their parameters, named once for the library, the CPU
//! reference and the CLI.

use crate::{Error, Result};
use std::fmt;
use std::str::FromStr;

/// Parameters of Keras' `relu(x, negative_slope, max_value, threshold)`.
///
/// `pos = x if x > threshold else 0`, clipped to `[0, max_value]` when
/// `max_value` is set; the result is `pos - negative_slope * max(threshold - x, 0)`.
///
/// ```
/// let p = wgact::Relu::new().alpha(0.1).max_value(6.0);
/// assert_eq!(wgact::cpu::relu(-2.0, &p), -0.2);
/// assert_eq!(wgact::cpu::relu(7.0, &p), 6.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Relu {
    /// Slope below the threshold (`alpha` in Keras 2 / `tf.nn`).
    pub negative_slope: f32,
    /// Saturation value; `None` for no upper bound.
    pub max_value: Option<f32>,
    /// Values at or below it are "negative".
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

    /// Rejects parameters without a meaning: NaN anywhere, an infinite slope
    /// or threshold, a negative `max_value` (as Keras' `ReLU` layer does).
    pub fn validate(&self) -> Result<()> {
        let bad = |name, value, reason| {
            Err(Error::InvalidParameter {
                name,
                value,
                reason,
            })
        };
        if !self.negative_slope.is_finite() {
            return bad("negative_slope", self.negative_slope, "must be finite");
        }
        if !self.threshold.is_finite() {
            return bad("threshold", self.threshold, "must be finite");
        }
        if let Some(m) = self.max_value {
            if m.is_nan() {
                return bad("max_value", m, "must not be NaN");
            }
            if m < 0.0 {
                return bad("max_value", m, "must be >= 0");
            }
        }
        Ok(())
    }
}

/// One activation with its parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Activation {
    /// `1 / (1 + exp(-x))`.
    Sigmoid,
    /// Hyperbolic tangent.
    Tanh,
    /// Keras relu with its parameters.
    Relu(Relu),
    /// `exp(x - max) / sum(exp(x - max))` along `axis` (negative counts from the end).
    Softmax { axis: isize },
}

impl Activation {
    /// The names accepted by [`FromStr`] (with default parameters).
    pub const NAMES: [&'static str; 4] = ["sigmoid", "relu", "tanh", "softmax"];

    /// The activation's name.
    pub fn name(&self) -> &'static str {
        match self {
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Relu(_) => "relu",
            Activation::Softmax { .. } => "softmax",
        }
    }

    /// Whether each output element depends on its input element alone.
    pub fn is_elementwise(&self) -> bool {
        !matches!(self, Activation::Softmax { .. })
    }

    /// Checks the parameters.
    pub fn validate(&self) -> Result<()> {
        match self {
            Activation::Relu(p) => p.validate(),
            _ => Ok(()),
        }
    }
}

impl FromStr for Activation {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "sigmoid" => Ok(Activation::Sigmoid),
            "tanh" => Ok(Activation::Tanh),
            "relu" => Ok(Activation::Relu(Relu::new())),
            "softmax" => Ok(Activation::Softmax { axis: -1 }),
            _ => Err(Error::UnknownActivation(s.to_string())),
        }
    }
}

impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Activation::Relu(p) => {
                write!(f, "relu(negative_slope={}, max_value=", p.negative_slope)?;
                match p.max_value {
                    Some(m) => write!(f, "{m}")?,
                    None => write!(f, "None")?,
                }
                write!(f, ", threshold={})", p.threshold)
            }
            Activation::Softmax { axis } => write!(f, "softmax(axis={axis})"),
            other => write!(f, "{}", other.name()),
        }
    }
}
