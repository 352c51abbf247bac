//! Form bodies with repeated fields (checkboxes), which `web::Form` cannot take.

use actix_web::web;

/// The fields of an `application/x-www-form-urlencoded` body, in order.
#[derive(Default)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    pub fn parse(body: &web::Bytes) -> Self {
        Fields(
            url::form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of `name`, trimmed; empty or absent is `None`.
    pub fn text(&self, name: &str) -> Option<String> {
        self.get(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    }

    /// Every value of `name` (checkboxes).
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// A list typed one per line or separated by spaces or commas.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.get(name)
            .unwrap_or("")
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }

    pub fn checked(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}

impl std::fmt::Debug for Fields {
    /// Only the names: a form may carry a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(k, _)| k))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_fields_lists_and_blank_values_are_read_as_a_person_typed_them() {
        let f = Fields::parse(&web::Bytes::from_static(
            b"g=a&g=b&uris=https%3A%2F%2Fa.example%2Fcb%0D%0Ahttps%3A%2F%2Fb.example%2Fcb&name=+&x=1",
        ));
        assert_eq!(f.all("g"), ["a", "b"]);
        assert_eq!(
            f.list("uris"),
            ["https://a.example/cb", "https://b.example/cb"]
        );
        assert_eq!(f.text("name"), None);
        assert!(f.checked("x") && !f.checked("y"));
        assert_eq!(format!("{f:?}"), r#"["g", "g", "uris", "name", "x"]"#);
    }
}
