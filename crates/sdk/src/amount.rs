//! Exact decimal amounts: "4.5" USDC ↔ 4 500 000 base units. No floating point anywhere.

use std::fmt;

/// Why an amount string was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AmountError {
    Empty,
    NotANumber(String),
    TooManyDecimals { given: usize, allowed: u8 },
    TooLarge,
    Negative,
}

impl fmt::Display for AmountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AmountError::Empty => write!(f, "the amount is empty"),
            AmountError::NotANumber(s) => {
                write!(
                    f,
                    "{s:?} is not a decimal amount (use digits and at most one '.', e.g. 4.5)"
                )
            }
            AmountError::TooManyDecimals { given, allowed } => {
                write!(
                    f,
                    "the amount has {given} decimal places but the token has only {allowed}"
                )
            }
            AmountError::TooLarge => write!(f, "the amount is too large for a token amount (u64)"),
            AmountError::Negative => write!(f, "the amount must not be negative"),
        }
    }
}

impl std::error::Error for AmountError {}

/// Parses a decimal string into base units of a token with `decimals` decimals.
pub fn parse_amount(text: &str, decimals: u8) -> Result<u64, AmountError> {
    let text = text.trim().replace('_', "");
    if text.is_empty() {
        return Err(AmountError::Empty);
    }
    if text.starts_with('-') {
        return Err(AmountError::Negative);
    }
    let (whole, fraction) = match text.split_once('.') {
        Some((w, f)) => (w, f),
        None => (text.as_str(), ""),
    };
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !digits(whole) || !digits(fraction) {
        return Err(AmountError::NotANumber(text.clone()));
    }
    let fraction = fraction.trim_end_matches('0');
    if fraction.len() > usize::from(decimals) {
        return Err(AmountError::TooManyDecimals {
            given: fraction.len(),
            allowed: decimals,
        });
    }
    let scale = 10u64
        .checked_pow(u32::from(decimals))
        .ok_or(AmountError::TooLarge)?;
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| AmountError::TooLarge)?
    };
    let padded = format!("{fraction:0<width$}", width = usize::from(decimals));
    let fraction: u64 = if padded.is_empty() {
        0
    } else {
        padded.parse().map_err(|_| AmountError::TooLarge)?
    };
    whole
        .checked_mul(scale)
        .and_then(|w| w.checked_add(fraction))
        .ok_or(AmountError::TooLarge)
}

/// Formats base units as a decimal string, trailing zeros trimmed ("4.5", "1000", "0.000001").
pub fn format_amount(amount: u64, decimals: u8) -> String {
    let digits = amount.to_string();
    let decimals = usize::from(decimals);
    if decimals == 0 {
        return digits;
    }
    let padded = format!("{digits:0>width$}", width = decimals + 1);
    let (whole, fraction) = padded.split_at(padded.len() - decimals);
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() {
        whole.to_string()
    } else {
        format!("{whole}.{fraction}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exact_decimals() {
        assert_eq!(parse_amount("4.5", 6), Ok(4_500_000));
        assert_eq!(parse_amount("0.000001", 6), Ok(1));
        assert_eq!(parse_amount("1000", 6), Ok(1_000_000_000));
        assert_eq!(parse_amount(".5", 1), Ok(5));
        assert_eq!(parse_amount("5.", 0), Ok(5));
        assert_eq!(
            parse_amount("1.2300", 2),
            Ok(123),
            "trailing zeros are not extra precision"
        );
        assert_eq!(parse_amount(" 1_000 ", 0), Ok(1000));
        assert_eq!(parse_amount("18446744073.709551615", 9), Ok(u64::MAX));
        // 0.1 + 0.2 style float traps do not exist here.
        assert_eq!(parse_amount("0.3", 9), Ok(300_000_000));
    }

    #[test]
    fn refuses_what_is_not_an_amount() {
        assert_eq!(parse_amount("", 6), Err(AmountError::Empty));
        assert_eq!(parse_amount("-1", 6), Err(AmountError::Negative));
        assert_eq!(
            parse_amount("1.2.3", 6),
            Err(AmountError::NotANumber("1.2.3".into()))
        );
        assert_eq!(
            parse_amount("1e6", 6),
            Err(AmountError::NotANumber("1e6".into()))
        );
        assert_eq!(
            parse_amount(".", 6),
            Err(AmountError::NotANumber(".".into()))
        );
        assert_eq!(
            parse_amount("0.0000001", 6),
            Err(AmountError::TooManyDecimals {
                given: 7,
                allowed: 6
            })
        );
        assert_eq!(
            parse_amount("18446744073.709551616", 9),
            Err(AmountError::TooLarge)
        );
        assert_eq!(
            parse_amount("99999999999999999999999", 0),
            Err(AmountError::TooLarge)
        );
        assert!(AmountError::TooManyDecimals {
            given: 7,
            allowed: 6
        }
        .to_string()
        .contains("only 6"));
    }

    #[test]
    fn formats_and_round_trips() {
        assert_eq!(format_amount(4_500_000, 6), "4.5");
        assert_eq!(format_amount(0, 9), "0");
        assert_eq!(format_amount(1, 9), "0.000000001");
        assert_eq!(format_amount(u64::MAX, 0), "18446744073709551615");
        for (amount, decimals) in [(1u64, 6u8), (123_456_789, 3), (u64::MAX, 9), (10, 1)] {
            assert_eq!(
                parse_amount(&format_amount(amount, decimals), decimals),
                Ok(amount)
            );
        }
    }
}
