//! An entry bundle (C2SP tlog-tiles): each entry as a 2-byte big-endian length followed by
//! its bytes, one after the other. An entry is therefore at most 65,535 bytes.

/// The longest entry a bundle can hold.
pub const MAX_ENTRY: usize = u16::MAX as usize;

/// The bundle of `entries`; `None` when one is longer than [`MAX_ENTRY`].
pub fn encode<'a>(entries: impl IntoIterator<Item = &'a [u8]>) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for e in entries {
        let len = u16::try_from(e.len()).ok()?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(e);
    }
    Some(out)
}

/// The entries of a bundle; `None` when it ends inside one.
pub fn decode(mut data: &[u8]) -> Option<Vec<&[u8]>> {
    let mut out = Vec::new();
    while !data.is_empty() {
        let (len, rest) = data.split_first_chunk::<2>()?;
        let len = usize::from(u16::from_be_bytes(*len));
        if rest.len() < len {
            return None;
        }
        let (entry, rest) = rest.split_at(len);
        out.push(entry);
        data = rest;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundles_round_trip_and_a_cut_one_is_refused() {
        let entries: [&[u8]; 3] = [b"{\"a\":1}", b"", &[0xff; 300]];
        let data = encode(entries).expect("fits");
        assert_eq!(&data[..2], &[0, 7]);
        assert_eq!(decode(&data).expect("whole"), entries);
        assert_eq!(decode(&data[..data.len() - 1]), None);
        assert_eq!(decode(&[0]), None);
        assert_eq!(decode(&[]), Some(vec![]));
        assert_eq!(encode([&[0u8; MAX_ENTRY + 1][..]]), None);
    }
}
