//! The two encoding axes as types ([`Primary`], [`Secondary`] implementing [`EncodingAxis`]) and
//! at run time ([`Axis`], [`ByAxis`]).
//!
//! A primary sliver is a row of the expanded matrix, a secondary sliver a column (§3). Data that
//! belongs to one axis is generic over it, so a primary sliver cannot be passed where a secondary
//! one is expected.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};
use thiserror::Error;

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Primary {}
    impl Sealed for super::Secondary {}
}

/// An encoding axis: [`Primary`] (rows) or [`Secondary`] (columns).
pub trait EncodingAxis:
    sealed::Sealed + Copy + Default + fmt::Debug + PartialEq + Eq + Send + Sync + 'static
{
    /// The other axis.
    type OrthogonalAxis: EncodingAxis<OrthogonalAxis = Self>;
    /// Whether this is the primary axis.
    const IS_PRIMARY: bool;
    /// `"primary"` or `"secondary"`.
    const NAME: &'static str;
    /// The run-time value of this axis.
    const AXIS: Axis;
}

/// The primary axis: rows of the expanded matrix, encoded with the primary code (`k = n − 2f`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Primary;

/// The secondary axis: columns of the expanded matrix, encoded with the secondary code
/// (`k = n − f`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Secondary;

impl EncodingAxis for Primary {
    type OrthogonalAxis = Secondary;
    const IS_PRIMARY: bool = true;
    const NAME: &'static str = "primary";
    const AXIS: Axis = Axis::Primary;
}

impl EncodingAxis for Secondary {
    type OrthogonalAxis = Primary;
    const IS_PRIMARY: bool = false;
    const NAME: &'static str = "secondary";
    const AXIS: Axis = Axis::Secondary;
}

/// An axis chosen at run time (for example from a URL path segment).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Axis {
    /// Rows.
    Primary,
    /// Columns.
    Secondary,
}

/// The text is neither `primary` nor `secondary`.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("unknown axis {text:?}; expected \"primary\" or \"secondary\"")]
pub struct ParseAxisError {
    /// The rejected text.
    pub text: String,
}

impl Axis {
    /// The other axis.
    pub const fn orthogonal(self) -> Self {
        match self {
            Self::Primary => Self::Secondary,
            Self::Secondary => Self::Primary,
        }
    }

    /// `"primary"` or `"secondary"`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Primary => Primary::NAME,
            Self::Secondary => Secondary::NAME,
        }
    }
}

impl fmt::Display for Axis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Axis {
    type Err = ParseAxisError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "primary" => Ok(Self::Primary),
            "secondary" => Ok(Self::Secondary),
            _ => Err(ParseAxisError {
                text: text.to_owned(),
            }),
        }
    }
}

/// One value for either axis; BCS tag 0 = primary, 1 = secondary (§6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ByAxis<T, U> {
    /// The primary-axis value.
    Primary(T),
    /// The secondary-axis value.
    Secondary(U),
}

impl<T, U> ByAxis<T, U> {
    /// Which axis this value is for.
    pub const fn axis(&self) -> Axis {
        match self {
            Self::Primary(_) => Axis::Primary,
            Self::Secondary(_) => Axis::Secondary,
        }
    }

    /// Borrows the inner value.
    pub const fn as_ref(&self) -> ByAxis<&T, &U> {
        match self {
            Self::Primary(value) => ByAxis::Primary(value),
            Self::Secondary(value) => ByAxis::Secondary(value),
        }
    }

    /// Applies `primary` or `secondary` to the inner value.
    pub fn map<V, W>(
        self,
        primary: impl FnOnce(T) -> V,
        secondary: impl FnOnce(U) -> W,
    ) -> ByAxis<V, W> {
        match self {
            Self::Primary(value) => ByAxis::Primary(primary(value)),
            Self::Secondary(value) => ByAxis::Secondary(secondary(value)),
        }
    }
}

impl<T> ByAxis<T, T> {
    /// The inner value when both axes hold the same type.
    pub fn into_inner(self) -> T {
        match self {
            Self::Primary(value) | Self::Secondary(value) => value,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_axis_bcs_tags() {
        let primary: ByAxis<u16, u16> = ByAxis::Primary(5);
        let secondary: ByAxis<u16, u16> = ByAxis::Secondary(5);
        assert_eq!(bcs::to_bytes(&primary).unwrap(), [0, 5, 0]);
        assert_eq!(bcs::to_bytes(&secondary).unwrap(), [1, 5, 0]);
        assert!(bcs::from_bytes::<ByAxis<u16, u16>>(&[2, 5, 0]).is_err());
    }

    #[test]
    fn axis_text() {
        assert_eq!("primary".parse::<Axis>().unwrap(), Axis::Primary);
        assert_eq!(Axis::Secondary.to_string(), "secondary");
        assert!("Primary".parse::<Axis>().is_err());
        assert_eq!(Axis::Primary.orthogonal(), Axis::Secondary);
    }
}
