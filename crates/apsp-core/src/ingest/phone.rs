//! Phone-number normalisation to E.164.
//!
//! Billing exports write the same number many ways (`07700 900123`, `+44 (0)7700 900123`,
//! `0044-7700-900123`). Matching a billing line to a person or a colleague needs one
//! writing, so every number is normalised with the `phonenumber` crate (Google's
//! libphonenumber metadata), UK as the default region. Short codes and service
//! numbers (999, 112, 101, 111, 5–6 digit SMS short codes) are real traffic but never a
//! subject: they are kept as written and marked. Withheld numbers are kept, never matched.
//! Only a malformed value (letters, impossible length) is rejected.

use phonenumber::country;
use phonenumber::Mode;

/// What a phone-number cell turned out to be.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Phone {
    /// A number in E.164 form, e.g. `+447700900123`.
    E164(String),
    /// An emergency / service number or SMS short code, digits as written.
    Service(String),
    /// Blank or an explicit "withheld" marker: kept and counted, never matched.
    Withheld,
}

impl Phone {
    /// The stable kind label written to the `*_kind` columns.
    pub fn kind(&self) -> &'static str {
        self.kind_enum().label()
    }

    /// The kind without the text.
    pub fn kind_enum(&self) -> PhoneKind {
        match self {
            Phone::E164(_) => PhoneKind::E164,
            Phone::Service(_) => PhoneKind::Service,
            Phone::Withheld => PhoneKind::Withheld,
        }
    }

    /// The value written to the number column (`None` for withheld).
    pub fn value(&self) -> Option<&str> {
        match self {
            Phone::E164(s) | Phone::Service(s) => Some(s),
            Phone::Withheld => None,
        }
    }
}

/// The kind of a normalised number, without its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PhoneKind {
    E164,
    Service,
    Withheld,
}

impl PhoneKind {
    /// The stable label written to the `*_kind` columns.
    pub fn label(self) -> &'static str {
        match self {
            PhoneKind::E164 => "e164",
            PhoneKind::Service => "service",
            PhoneKind::Withheld => "withheld",
        }
    }
}

/// Why a phone-number cell could not be normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneError(pub String);

/// Words carriers write instead of a number when the caller hid it.
const WITHHELD: &[&str] = &[
    "withheld",
    "number withheld",
    "private",
    "private number",
    "unknown",
    "anonymous",
    "restricted",
    "unavailable",
    "no caller id",
    "n/a",
];

/// UK emergency and non-emergency service numbers that are shorter than 5 digits.
const UK_SERVICE: &[&str] = &[
    "999", "112", "101", "111", "100", "123", "150", "151", "152", "155", "191", "192",
];

/// Normalises one phone-number cell. See the module docs for the rules.
pub fn normalise(raw: &str) -> Result<Phone, PhoneError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() || WITHHELD.contains(&trimmed.to_ascii_lowercase().as_str()) {
        return Ok(Phone::Withheld);
    }
    // Keep only what a number may contain; anything else (letters, '#') is malformed.
    let mut cleaned = String::with_capacity(trimmed.len());
    for ch in trimmed.chars() {
        match ch {
            '0'..='9' | '+' => cleaned.push(ch),
            ' ' | '-' | '.' | '(' | ')' | '/' | '\u{a0}' => {}
            _ => {
                return Err(PhoneError(format!(
                "phone number contains {ch:?}: only digits, '+', spaces and - . ( ) / are allowed"
            )))
            }
        }
    }
    if cleaned.rfind('+').is_some_and(|i| i > 0) {
        return Err(PhoneError("'+' may only start a phone number".into()));
    }
    // "+44 (0)20 ..." writes the trunk 0 after the country code: drop it.
    let cleaned = if let Some(rest) = cleaned.strip_prefix("+440") {
        format!("+44{rest}")
    } else if let Some(rest) = cleaned.strip_prefix("00440") {
        format!("+44{rest}")
    } else {
        cleaned
    };
    let digits = cleaned.trim_start_matches('+');
    if digits.is_empty() {
        return Err(PhoneError("phone number has no digits".into()));
    }
    if !cleaned.starts_with('+') && !cleaned.starts_with('0') {
        // No prefix at all: service numbers and SMS short codes.
        if UK_SERVICE.contains(&digits) || (5..=6).contains(&digits.len()) {
            return Ok(Phone::Service(digits.to_string()));
        }
        // Some exports drop the leading 0 or '+' of long numbers: "447700900123".
        if digits.starts_with("44") && (11..=12).contains(&digits.len()) {
            return e164(&format!("+{digits}"));
        }
        if (9..=10).contains(&digits.len()) && digits.starts_with('7') {
            return e164(&format!("0{digits}"));
        }
        return Err(PhoneError(format!(
            "{} digits without a leading 0 or + is neither a UK number nor a service number",
            digits.len()
        )));
    }
    if let Some(p) = uk_fast_path(&cleaned) {
        return Ok(p);
    }
    e164(&cleaned)
}

/// The common case, decided without the (slow, general) parser: a UK number written
/// `0…`, `+44…` or `0044…` with a 9- or 10-digit national number. Gives exactly what
/// [`e164`] gives for these shapes (checked by a test over random numbers).
fn uk_fast_path(cleaned: &str) -> Option<Phone> {
    let national = if let Some(r) = cleaned.strip_prefix("+44") {
        r
    } else if let Some(r) = cleaned.strip_prefix("0044") {
        r
    } else if cleaned.starts_with("00") {
        return None;
    } else {
        cleaned.strip_prefix('0')?
    };
    let b = national.as_bytes();
    if !(9..=10).contains(&b.len())
        || !b.iter().all(u8::is_ascii_digit)
        || !(b'1'..=b'9').contains(&b[0])
    {
        return None;
    }
    Some(Phone::E164(format!("+44{national}")))
}

/// The national significant number of a UK number written `0…`, `+44…`, `+44 (0)…`
/// or `0044…` with formatting characters, copied into `buf`; `None` for anything else
/// (which then takes the general path, with its error messages).
fn uk_digits(raw: &str, buf: &mut [u8; 24]) -> Option<usize> {
    let mut cleaned = [0u8; 24];
    let mut n = 0;
    for &b in raw.trim().as_bytes() {
        match b {
            b'0'..=b'9' => {
                if n == cleaned.len() {
                    return None;
                }
                cleaned[n] = b;
                n += 1;
            }
            b'+' if n == 0 => {
                cleaned[0] = b'+';
                n = 1;
            }
            b' ' | b'-' | b'.' | b'(' | b')' | b'/' => {}
            _ => return None,
        }
    }
    let c = &cleaned[..n];
    let national = if let Some(r) = c.strip_prefix(b"+44") {
        r.strip_prefix(b"0").unwrap_or(r)
    } else if let Some(r) = c.strip_prefix(b"0044") {
        r.strip_prefix(b"0").unwrap_or(r)
    } else if c.starts_with(b"00") {
        return None;
    } else {
        c.strip_prefix(b"0")?
    };
    if !(9..=10).contains(&national.len()) || !(b'1'..=b'9').contains(&national[0]) {
        return None;
    }
    buf[..national.len()].copy_from_slice(national);
    Some(national.len())
}

fn e164(cleaned: &str) -> Result<Phone, PhoneError> {
    let digits = cleaned.trim_start_matches('+').len();
    if digits > 17 {
        return Err(PhoneError(format!(
            "{digits} digits is longer than any phone number"
        )));
    }
    let parsed = phonenumber::parse(Some(country::Id::GB), cleaned)
        .map_err(|e| PhoneError(format!("not a phone number ({e})")))?;
    let formatted = parsed.format().mode(Mode::E164).to_string();
    let national_len = parsed.national().to_string().len();
    // Length check only (not a validity check): ranges change, lengths do not.
    let possible = parsed
        .metadata(&phonenumber::metadata::DATABASE)
        .map(|m| m.descriptors().general().possible_length().to_vec())
        .unwrap_or_default();
    let ok = if parsed.code().value() == 44 {
        // UK national significant numbers have 10 digits, some 9 (01xxx areas) and a
        // handful 7 (0800 1111); the metadata alone lets 8 through.
        matches!(national_len, 7 | 9 | 10)
    } else if possible.is_empty() {
        (4..=14).contains(&national_len)
    } else {
        possible.contains(&(national_len as u16))
    };
    if !ok || formatted.len() > 16 {
        return Err(PhoneError(format!(
            "impossible length: {national_len} national digits for country code +{}",
            parsed.code().value()
        )));
    }
    Ok(Phone::E164(formatted))
}

/// Memoises [`normalise`]: billing repeats the same numbers millions of times.
#[derive(Default)]
pub struct PhoneCache {
    map: hashbrown::HashMap<String, Result<Phone, PhoneError>>,
    /// Result of the last miss when the cache is full.
    spill: Option<Result<Phone, PhoneError>>,
}

/// Distinct raw writings kept; past this, misses are normalised but not stored.
const CACHE_LIMIT: usize = 4_000_000;

impl PhoneCache {
    /// Normalises `raw`, appending the number (nothing when withheld) to `out`.
    /// UK numbers in the common writings take an allocation-free path that never
    /// touches the cache (a cache miss costs more than the work); the rest is memoised.
    pub fn normalise_into(&mut self, raw: &str, out: &mut String) -> Result<PhoneKind, PhoneError> {
        let mut buf = [0u8; 24];
        if let Some(n) = uk_digits(raw, &mut buf) {
            out.push_str("+44");
            // Only ASCII digits were copied into `buf`.
            out.push_str(std::str::from_utf8(&buf[..n]).unwrap_or_default());
            return Ok(PhoneKind::E164);
        }
        match self.normalise(raw) {
            Ok(p) => {
                out.push_str(p.value().unwrap_or(""));
                Ok(p.kind_enum())
            }
            Err(e) => Err(e.clone()),
        }
    }

    pub fn normalise(&mut self, raw: &str) -> &Result<Phone, PhoneError> {
        if self.map.len() < CACHE_LIMIT {
            return self.map.entry_ref(raw).or_insert_with(|| normalise(raw));
        }
        match self.map.get(raw) {
            Some(hit) => hit,
            None => self.spill.insert(normalise(raw)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(s: &str) -> Phone {
        Phone::E164(s.to_string())
    }

    #[test]
    fn uk_writings_agree() {
        for w in [
            "07700 900123",
            "07700900123",
            "+44 7700 900123",
            "+44 (0)7700 900123",
            "0044-7700-900123",
            "0044 7700 900123",
            "+447700900123",
            "447700900123",
            "7700900123",
        ] {
            assert_eq!(normalise(w), Ok(e("+447700900123")), "{w}");
        }
        assert_eq!(normalise("(020) 7946 0000"), Ok(e("+442079460000")));
        assert_eq!(normalise("+44 20 7946 0000"), Ok(e("+442079460000")));
    }

    #[test]
    fn international() {
        assert_eq!(normalise("+353 85 123 4567"), Ok(e("+353851234567")));
        assert_eq!(normalise("00353851234567"), Ok(e("+353851234567")));
    }

    #[test]
    fn service_and_withheld() {
        assert_eq!(normalise("999"), Ok(Phone::Service("999".into())));
        assert_eq!(normalise("101"), Ok(Phone::Service("101".into())));
        assert_eq!(normalise("60060"), Ok(Phone::Service("60060".into())));
        assert_eq!(normalise("882 010"), Ok(Phone::Service("882010".into())));
        assert_eq!(normalise(""), Ok(Phone::Withheld));
        assert_eq!(normalise("  Withheld "), Ok(Phone::Withheld));
        assert_eq!(normalise("PRIVATE"), Ok(Phone::Withheld));
    }

    #[test]
    fn fast_path_agrees_with_the_parser() {
        // Random UK numbers in the shapes the fast path takes: it must give what the
        // general parser gives.
        let mut x: u64 = 0x9e3779b97f4a7c15;
        for _ in 0..3000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = 9 + (x % 2) as usize;
            let mut d = format!("{}", 1 + (x >> 8) % 9);
            let mut y = x;
            while d.len() < len {
                y = y
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                d.push(char::from(b'0' + ((y >> 33) % 10) as u8));
            }
            for w in [format!("0{d}"), format!("+44{d}"), format!("0044{d}")] {
                let fast = uk_fast_path(&w);
                let slow = e164(&w).ok();
                assert_eq!(fast, slow, "{w}");
            }
        }
    }

    #[test]
    fn cache_fast_path_agrees_with_normalise() {
        let mut cache = PhoneCache::default();
        for w in [
            "07700 900123",
            "+44 (0)7700 900123",
            "0044-7700-900123",
            "0044 (0)20 7946 0000",
            "(020) 7946 0000",
            "+44 20 7946 0000",
            "01632 960 001",
            "+353 85 123 4567",
            "999",
            "60060",
            "withheld",
            "",
            "07700 9OO123",
            "+44 7700 9001",
            "0770",
            "7700900123",
            "++447700900123",
            "+44+7700900123",
            "0800 1111",
        ] {
            let mut out = String::new();
            let got = cache.normalise_into(w, &mut out);
            let want = normalise(w);
            match (got, want) {
                (Ok(kind), Ok(p)) => {
                    assert_eq!(kind, p.kind_enum(), "{w}");
                    assert_eq!(out, p.value().unwrap_or(""), "{w}");
                }
                (Err(a), Err(b)) => assert_eq!(a, b, "{w}"),
                (g, w2) => panic!("{w}: {g:?} vs {w2:?}"),
            }
        }
    }

    #[test]
    fn malformed() {
        assert!(normalise("07700 9OO123").is_err()); // letter O
        assert!(normalise("077009001234567890").is_err());
        assert!(normalise("0770").is_err());
        assert!(normalise("12+34").is_err());
        assert!(normalise("+44 7700 9001").is_err());
    }
}
