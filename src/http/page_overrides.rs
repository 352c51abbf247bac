//! `templates.directory`: an operator's own versions of our pages.
//!
//! Our pages are askama templates, compiled in. An operator who wants a different page
//! puts `<page>.html` (for example `login.html`) in the directory, in Jinja2 syntax; it is
//! compiled at start (an error stops the start) and rendered instead of ours with the same
//! fields, plus `ui`: `ui.t("sign-in-title")` (translations, as in ours), `ui.lang`, `ui.product`,
//! `ui.logo`, `ui.primary_color`, `ui.has_css`. Files in the directory may extend and
//! include each other. HTML is escaped unless marked `|safe`.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use minijinja::value::{Object, Value};
use minijinja::{Environment, Error, ErrorKind, State};

use super::ui::Ui;

pub struct Overrides {
    env: Environment<'static>,
    names: BTreeSet<String>,
}

impl std::fmt::Debug for Overrides {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Overrides")
            .field("names", &self.names)
            .finish()
    }
}

impl Overrides {
    /// Reads and compiles every `.html` file of `dir`.
    pub fn load(dir: &Path) -> Result<Overrides, String> {
        let entries =
            std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        let mut env = Environment::new();
        let mut names = BTreeSet::new();
        for entry in entries {
            let path = entry.map_err(|e| e.to_string())?.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if !name.ends_with(".html") || !path.is_file() {
                continue;
            }
            let source = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            env.add_template_owned(name.to_string(), source)
                .map_err(|e| format!("{name}: {e}"))?;
            names.insert(name.to_string());
        }
        Ok(Overrides { env, names })
    }

    /// Whether `name` (`login.html`) is the operator's.
    pub fn has(&self, name: &str) -> bool {
        self.names.contains(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(String::as_str)
    }

    /// Renders `name` with the page's fields and `ui`.
    pub fn render(
        &self,
        name: &str,
        page: &impl serde::Serialize,
        ui: &Ui,
    ) -> Result<String, Error> {
        let ctx = minijinja::context! {
            ui => Value::from_object(UiObject(ui.clone())),
            ..Value::from(minijinja::value::Serde(page))
        };
        self.env.get_template(name)?.render(ctx)
    }
}

/// `ui` in an operator's template.
#[derive(Debug)]
struct UiObject(Ui);

impl Object for UiObject {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let ui = &self.0;
        Some(match key.as_str()? {
            "lang" => Value::from(ui.lang()),
            "product" => Value::from(ui.product().to_string()),
            "logo" => ui.logo().map(Value::from).unwrap_or(Value::from(())),
            "primary_color" => ui
                .primary_color()
                .map(Value::from)
                .unwrap_or(Value::from(())),
            "has_css" => Value::from(ui.has_css()),
            _ => return None,
        })
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let text = |i: usize| -> Result<String, Error> {
            args.get(i).map(|v| v.to_string()).ok_or_else(|| {
                Error::new(
                    ErrorKind::MissingArgument,
                    format!("ui.{method} needs argument {}", i + 1),
                )
            })
        };
        let ui = &self.0;
        let out = match method {
            "t" => ui.t(&text(0)?),
            "t1" => ui.t1(&text(0)?, &text(1)?, text(2)?),
            "t2" => ui.t2(&text(0)?, &text(1)?, text(2)?, &text(3)?, text(4)?),
            "tn" => {
                let n = args
                    .get(2)
                    .and_then(|v| i64::try_from(v.clone()).ok())
                    .ok_or_else(|| {
                        Error::new(ErrorKind::InvalidOperation, "ui.tn needs a number")
                    })?;
                ui.tn(&text(0)?, &text(1)?, n)
            }
            _ => return Err(Error::new(ErrorKind::UnknownMethod, format!("ui.{method}"))),
        };
        Ok(Value::from(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_that_does_not_compile_is_refused_at_start_with_its_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("login.html"), "{% if %}").unwrap();
        let err = Overrides::load(dir.path()).unwrap_err();
        assert!(err.starts_with("login.html:"), "{err}");
    }

    #[test]
    fn only_html_files_are_pages_and_a_missing_directory_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("consent.html"), "{{ client_name }}").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "{% if %}").unwrap();
        let o = Overrides::load(dir.path()).unwrap();
        assert!(o.has("consent.html") && !o.has("login.html"));
        assert_eq!(o.names().collect::<Vec<_>>(), ["consent.html"]);
        assert!(Overrides::load(&dir.path().join("nope")).is_err());
    }
}
