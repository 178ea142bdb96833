//! `[[cities]]`: where reporters may say they are. A report names a city by its slug, so
//! slugs follow the same rule as banks' and are unique.

use std::collections::HashSet;

use serde::Deserialize;
use toml::Spanned;

use super::validator::{slug_ok, RawNames, Validator};
use crate::domain::City;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCity {
    slug: Spanned<String>,
    name: Spanned<RawNames>,
}

impl Validator<'_> {
    /// Every city in file order; a bad or repeated slug is placed at the slug.
    pub(super) fn cities(&mut self, raw: Vec<RawCity>) -> Vec<City> {
        let mut slugs = HashSet::new();
        raw.into_iter()
            .map(|city| {
                let slug = city.slug.get_ref();
                if !slug_ok(slug) {
                    self.error(
                        city.slug.span(),
                        format!(
                            "bad city slug `{slug}`: use 1 to 32 characters among a-z, 0-9 and -"
                        ),
                    );
                } else if !slugs.insert(slug.clone()) {
                    self.error(city.slug.span(), format!("duplicate city slug `{slug}`"));
                }
                City {
                    names: self.names(city.name, "name"),
                    slug: city.slug.into_inner(),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{errors, parse, SHIPPED};
    use crate::domain::Lang;

    #[test]
    fn cities_are_read_and_their_names_fall_back() {
        assert!(parse("", "t.toml").expect("valid").cities.is_empty());
        let c = parse(
            "[[cities]]\nslug = \"fes\"\nname = { ar = \"فاس\", fr = \"Fès\", en = \"Fez\" }\n[[cities]]\nslug = \"oujda\"\nname = { fr = \"Oujda\" }\n",
            "t.toml",
        )
        .expect("valid");
        assert_eq!(c.cities.len(), 2);
        assert_eq!(c.city("fes").map(|c| c.names.get(Lang::En)), Some("Fez"));
        let oujda = c.city("oujda").expect("oujda");
        assert_eq!(oujda.names.get(Lang::Ar), "Oujda");
        assert_eq!(oujda.names.get(Lang::En), "Oujda");
        assert!(c.city("rabat").is_none());
    }

    #[test]
    fn bad_and_repeated_slugs_are_placed() {
        let e = errors(
            "[[cities]]\nslug = \"rabat\"\nname = { fr = \"Rabat\" }\n[[cities]]\nslug = \"rabat\"\nname = { fr = \"Rabat bis\" }\n[[cities]]\nslug = \"Fès\"\nname = { fr = \"Fès\" }\n[[cities]]\nslug = \"sale\"\nname = {}\n",
        );
        assert_eq!(
            e,
            vec![
                "t.toml:5:8: duplicate city slug `rabat`",
                "t.toml:8:8: bad city slug `Fès`: use 1 to 32 characters among a-z, 0-9 and -",
                "t.toml:12:8: `name` needs at least one of ar, fr, en",
            ]
        );
        let e = errors("[[cities]]\nslug = \"x\"\nname = { fr = \"X\" }\npopulation = 3\n");
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(
            e[0].starts_with("t.toml:4:1: unknown field `population`"),
            "{e:?}"
        );
    }

    #[test]
    fn the_shipped_cities_are_named_in_every_language() {
        let c = parse(SHIPPED, "config/banks.toml").expect("shipped config");
        for slug in [
            "casablanca",
            "rabat",
            "fes",
            "marrakech",
            "tangier",
            "agadir",
            "meknes",
            "oujda",
            "kenitra",
            "tetouan",
            "safi",
            "el-jadida",
            "beni-mellal",
            "nador",
            "laayoune",
            "settat",
            "khouribga",
            "taza",
            "mohammedia",
            "temara",
        ] {
            let city = c.city(slug).unwrap_or_else(|| panic!("{slug} is shipped"));
            let n = &city.names;
            assert!(
                n.ar.is_some() && n.fr.is_some() && n.en.is_some(),
                "{slug}: {n:?}"
            );
            // The Arabic name is written in Arabic letters.
            assert!(
                n.get(Lang::Ar)
                    .chars()
                    .all(|ch| ('\u{0600}'..='\u{06ff}').contains(&ch) || ch == ' '),
                "{slug}: {n:?}"
            );
        }
        assert_eq!(
            c.city("casablanca").map(|c| c.names.get(Lang::Ar)),
            Some("الدار البيضاء")
        );
    }
}
