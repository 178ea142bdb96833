//! CSV as RFC 4180 writes it, with the OWASP advice on formula injection: a cell that a
//! spreadsheet would run as a formula is written with a leading `'`, so it reads as text.

/// Appends one record: fields quoted when they hold a comma, a quote or a line break,
/// formula cells neutralised, CRLF at the end.
pub fn push_record(out: &mut String, fields: impl Iterator<Item = String>) {
    for (i, f) in fields.enumerate() {
        if i > 0 {
            out.push(',');
        }
        let f = neutral(f);
        if f.contains([',', '"', '\r', '\n']) {
            out.push('"');
            out.push_str(&f.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&f);
        }
    }
    out.push_str("\r\n");
}

/// The cell as a spreadsheet should show it: one starting with `=`, `+`, `-`, `@`, a tab
/// or a carriage return gets a leading `'`, unless it is a plain number (a negative
/// figure stays a number).
fn neutral(f: String) -> String {
    let formula = f.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if formula && f.parse::<f64>().map_or(true, |n| !n.is_finite()) {
        format!("'{f}")
    } else {
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(fields: &[&str]) -> String {
        let mut out = String::new();
        push_record(&mut out, fields.iter().map(|f| (*f).to_owned()));
        out
    }

    #[test]
    fn formula_cells_are_text() {
        assert_eq!(
            line(&[
                "=cmd|' /C calc'!A0",
                "+1+1",
                "@SUM(A1)",
                "-2+3",
                "\tx",
                "\r=1"
            ]),
            "'=cmd|' /C calc'!A0,'+1+1,'@SUM(A1),'-2+3,'\tx,\"'\r=1\"\r\n"
        );
    }

    #[test]
    fn numbers_and_plain_text_are_kept() {
        assert_eq!(
            line(&["-12.5", "99.98", "CIH Bank", "a,b", "say \"hi\"", "-inf"]),
            "-12.5,99.98,CIH Bank,\"a,b\",\"say \"\"hi\"\"\",'-inf\r\n"
        );
    }
}
