//! Calendar dates (no time zone, no time of day): session dates and the
//! day counts between them.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A proleptic Gregorian calendar date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(into = "String")]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

impl Date {
    /// A valid date, or `None` (month 1–12, day within the month, year 1000–9999).
    #[must_use]
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        let ok = (1000..=9999).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month);
        ok.then_some(Date { year, month, day })
    }

    /// Parses exactly `YYYY-MM-DD`.
    #[must_use]
    pub fn parse(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let digits = |r: std::ops::Range<usize>| -> Option<i32> {
            let part = s.get(r)?;
            part.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| part.parse().ok())?
        };
        let (y, m, d) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
        Date::new(y, u8::try_from(m).ok()?, u8::try_from(d).ok()?)
    }

    /// Year.
    #[must_use]
    pub fn year(self) -> i32 {
        self.year
    }
    /// Month 1–12.
    #[must_use]
    pub fn month(self) -> u8 {
        self.month
    }
    /// Day of month.
    #[must_use]
    pub fn day(self) -> u8 {
        self.day
    }

    /// Days since 1970-01-01 (negative before), by Howard Hinnant's
    /// `days_from_civil` algorithm.
    #[must_use]
    pub fn days_since_epoch(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// Whole days from `earlier` to `self` (negative when `self` is earlier).
    #[must_use]
    pub fn days_after(self, earlier: Date) -> i64 {
        self.days_since_epoch() - earlier.days_since_epoch()
    }

    /// The date `days` days later (inverse of [`Date::days_since_epoch`]).
    #[must_use]
    pub fn plus_days(self, days: i64) -> Date {
        let z = self.days_since_epoch() + days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        let y = yoe + era * 400 + i64::from(m <= 2);
        Date {
            year: y as i32,
            month: m as u8,
            day: d as u8,
        }
    }

    /// Short human form, e.g. "14 Feb 2026".
    #[must_use]
    pub fn human(self) -> String {
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        format!(
            "{} {} {}",
            self.day,
            MONTHS[usize::from(self.month - 1)],
            self.year
        )
    }
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i32, m: u8) -> u8 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl TryFrom<String> for Date {
    type Error = String;
    fn try_from(s: String) -> Result<Date, String> {
        Date::parse(&s).ok_or_else(|| {
            // "0001-01-01" and "2026-02-30" have the form but name no day read
            let form = s.len() == 10
                && s.bytes().enumerate().all(|(i, c)| {
                    if i == 4 || i == 7 {
                        c == b'-'
                    } else {
                        c.is_ascii_digit()
                    }
                });
            if form {
                format!("{s:?} is not a calendar date (years 1000 to 9999)")
            } else {
                format!("{s:?} is not a date of the form YYYY-MM-DD")
            }
        })
    }
}

/// A date is read from its text `YYYY-MM-DD`, or from a TOML date literal
/// (`treatments = [2026-01-12]`, which the toml crate hands over as a map
/// of one entry holding the same text).
impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        struct Text;
        impl<'de> serde::de::Visitor<'de> for Text {
            type Value = Date;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date YYYY-MM-DD")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Date, E> {
                Date::try_from(s.to_string()).map_err(E::custom)
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(self, mut m: M) -> Result<Date, M::Error> {
                let Some((_, text)) = m.next_entry::<String, String>()? else {
                    return Err(serde::de::Error::custom("an empty table is not a date"));
                };
                if m.next_entry::<String, String>()?.is_some() {
                    return Err(serde::de::Error::custom("a table is not a date"));
                }
                self.visit_str(&text)
            }
        }
        d.deserialize_any(Text)
    }
}

impl From<Date> for String {
    fn from(d: Date) -> String {
        d.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_only_valid_dates() {
        assert_eq!(Date::parse("2026-01-12"), Date::new(2026, 1, 12));
        assert!(Date::parse("2026-02-29").is_none());
        assert!(Date::parse("2024-02-29").is_some());
        assert!(Date::parse("2026-13-01").is_none());
        assert!(Date::parse("2026-1-12").is_none());
        assert!(Date::parse("+026-01-12").is_none());
        assert!(Date::parse("2026-01-1x").is_none());
        assert!(Date::parse("２０２６-01-12").is_none());
    }

    #[test]
    fn a_text_that_is_not_a_date_is_told_what_is_wrong() {
        let problem = |s: &str| Date::try_from(s.to_string()).unwrap_err();
        assert_eq!(
            problem("2026-1-12"),
            "\"2026-1-12\" is not a date of the form YYYY-MM-DD"
        );
        for s in ["0001-01-01", "2026-02-30", "2026-13-01"] {
            assert_eq!(
                problem(s),
                format!("{s:?} is not a calendar date (years 1000 to 9999)")
            );
        }
        assert_eq!(
            Date::try_from("2026-01-12".to_string()),
            Ok(Date::new(2026, 1, 12).unwrap())
        );
    }

    #[test]
    fn a_date_is_read_from_text_or_a_toml_date_literal() {
        #[derive(Deserialize)]
        struct Dates {
            d: Vec<Date>,
        }
        let want = Date::new(2026, 1, 12).unwrap();
        let read = |text: &str| toml::from_str::<Dates>(text).map(|x| x.d);
        assert_eq!(
            read("d = [2026-01-12, \"2026-01-12\"]").unwrap(),
            [want, want]
        );
        let json: Vec<Date> = serde_json::from_str("[\"2026-01-12\"]").unwrap();
        assert_eq!(json, [want]);
        // a time of day, an invalid day, or another type is not a date
        for bad in [
            "d = [2026-01-12T10:00:00]",
            "d = [\"2026-02-30\"]",
            "d = [20260112]",
        ] {
            let e = read(bad).unwrap_err().to_string();
            assert!(e.contains("date"), "{bad}: {e}");
        }
    }

    #[test]
    fn day_counts_across_month_and_year_ends() {
        let d = |s| Date::parse(s).unwrap();
        assert_eq!(d("1970-01-01").days_since_epoch(), 0);
        assert_eq!(d("2026-02-10").days_after(d("2026-01-12")), 29);
        assert_eq!(d("2027-01-02").days_after(d("2026-12-30")), 3);
        assert_eq!(d("2024-03-01").days_after(d("2024-02-28")), 2);
        assert_eq!(d("2000-03-01").days_after(d("1999-03-01")), 366);
        assert_eq!(d("2026-01-12").days_after(d("2026-02-10")), -29);
    }

    proptest! {
        #[test]
        fn plus_days_inverts_days_since(y in 1900i32..2100, m in 1u8..=12, day in 1u8..=28, k in -3000i64..3000) {
            let a = Date::new(y, m, day).unwrap();
            prop_assert_eq!(a.plus_days(k).days_after(a), k);
            prop_assert_eq!(Date::parse(&a.to_string()), Some(a));
        }
    }
}
