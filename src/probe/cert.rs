//! The two facts a check keeps of a server certificate, read from its DER: when it expires
//! (not-after) and who issued it. A small reader of the few X.509 fields needed, not a
//! validator: rustls has validated the chain before this is read.

use chrono::{DateTime, NaiveDate, Utc};

/// A certificate's expiry and its issuer's name (common name, else organisation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertFacts {
    pub expires_at: DateTime<Utc>,
    pub issuer: Option<String>,
}

/// One DER element: its tag and contents, and what follows it.
fn element(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const OID_COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];
const OID_ORGANISATION: &[u8] = &[0x55, 0x04, 0x0a];

/// Reads the expiry and issuer of a DER certificate; `None` when it is not one.
pub fn facts(der: &[u8]) -> Option<CertFacts> {
    let (SEQUENCE, cert, _) = element(der)? else {
        return None;
    };
    let (SEQUENCE, tbs, _) = element(cert)? else {
        return None;
    };
    let mut rest = tbs;
    // [0] version is optional.
    let (tag, _, after) = element(rest)?;
    if tag == 0xa0 {
        rest = after;
    }
    let (_, _, rest) = element(rest)?; // serial number
    let (_, _, rest) = element(rest)?; // signature algorithm
    let (SEQUENCE, issuer, rest) = element(rest)? else {
        return None;
    };
    let (SEQUENCE, validity, _) = element(rest)? else {
        return None;
    };
    let (_, _, validity) = element(validity)?; // not before
    let (tag, not_after, _) = element(validity)?;
    Some(CertFacts {
        expires_at: time(tag, not_after)?,
        issuer: name(issuer, OID_COMMON_NAME).or_else(|| name(issuer, OID_ORGANISATION)),
    })
}

/// UTCTime (`YYMMDDHHMMSSZ`, 0x17) or GeneralizedTime (`YYYYMMDDHHMMSSZ`, 0x18).
fn time(tag: u8, value: &[u8]) -> Option<DateTime<Utc>> {
    let s = std::str::from_utf8(value).ok()?.strip_suffix('Z')?;
    let (year, rest) = match tag {
        0x17 => {
            let yy: i32 = s.get(..2)?.parse().ok()?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, s.get(2..)?)
        }
        0x18 => (s.get(..4)?.parse().ok()?, s.get(4..)?),
        _ => return None,
    };
    let n = |i: usize| rest.get(i..i + 2)?.parse::<u32>().ok();
    NaiveDate::from_ymd_opt(year, n(0)?, n(2)?)?
        .and_hms_opt(n(4)?, n(6)?, n(8)?)
        .map(|t| t.and_utc())
}

/// The value of the attribute `oid` in a Name.
fn name(mut rdns: &[u8], oid: &[u8]) -> Option<String> {
    while let Some((SET, set, rest)) = element(rdns) {
        rdns = rest;
        let Some((SEQUENCE, attr, _)) = element(set) else {
            continue;
        };
        let Some((0x06, id, value)) = element(attr) else {
            continue;
        };
        if id == oid {
            let (_, text, _) = element(value)?;
            return String::from_utf8(text.to_vec()).ok();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_no_certificate() {
        assert_eq!(facts(b""), None);
        assert_eq!(facts(&[0x30, 0x82, 0xff]), None);
        assert_eq!(facts(&[0x30, 0x03, 0x02, 0x01, 0x01]), None);
    }

    #[test]
    fn times_of_both_forms() {
        let t = time(0x17, b"260215180000Z").expect("utc time");
        assert_eq!(t.to_rfc3339(), "2026-02-15T18:00:00+00:00");
        let t = time(0x18, b"20501231235959Z").expect("generalized time");
        assert_eq!(t.to_rfc3339(), "2050-12-31T23:59:59+00:00");
        assert_eq!(time(0x17, b"2602151800Z"), None);
    }
}
