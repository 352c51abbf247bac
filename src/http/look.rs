//! The organisation's look, loaded once at start: product name, logo, primary colour,
//! extra stylesheet (`branding.*`) and page templates (`templates.directory`); and the
//! two routes that serve the files.

use std::path::Path;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use bytes::Bytes;

use super::page_overrides::Overrides;
use crate::config::Settings;
use crate::i18n::Locale;
use crate::state::AppState;

/// Logos and stylesheets larger than this are refused at start: they would be sent on
/// every page.
const MAX_FILE: u64 = 1024 * 1024;

/// Where the logo comes from.
#[derive(Debug)]
enum Logo {
    File {
        bytes: Bytes,
        content_type: &'static str,
    },
    Url(String),
}

#[derive(Debug)]
pub struct Look {
    pub product_name: String,
    logo: Option<Logo>,
    pub primary_color: Option<String>,
    css: Option<Bytes>,
    pub default_locale: Locale,
    pub overrides: Option<Overrides>,
}

impl Default for Look {
    fn default() -> Self {
        Look {
            product_name: "Portcullis".into(),
            logo: None,
            primary_color: None,
            css: None,
            default_locale: Locale::En,
            overrides: None,
        }
    }
}

impl Look {
    /// Reads the logo, the stylesheet and the templates; a file that cannot be read or a
    /// template that does not compile stops the start with the setting's name.
    pub fn load(settings: &Settings) -> anyhow::Result<Look> {
        let b = &settings.branding;
        let logo = match &b.logo {
            None => None,
            Some(url) if url.starts_with("https://") => Some(Logo::Url(url.clone())),
            Some(path) => {
                let content_type = image_type(Path::new(path)).ok_or_else(|| {
                    anyhow::anyhow!(
                        "branding.logo: {path} must be an .svg, .png, .jpg, .webp, .gif or .ico file"
                    )
                })?;
                Some(Logo::File {
                    bytes: read_small(path.as_ref(), "branding.logo")?,
                    content_type,
                })
            }
        };
        let css = match &b.css {
            None => None,
            Some(path) => Some(read_small(path, "branding.css")?),
        };
        let overrides = match &settings.templates.directory {
            None => None,
            Some(dir) => Some(
                Overrides::load(dir).map_err(|e| anyhow::anyhow!("templates.directory: {e}"))?,
            ),
        };
        Ok(Look {
            product_name: b.product_name.clone(),
            logo,
            primary_color: b.primary_color.clone(),
            css,
            default_locale: settings.i18n.locale(),
            overrides,
        })
    }

    /// The logo's `src`: our route for a file, the URL otherwise.
    pub fn logo_src(&self) -> Option<&str> {
        match &self.logo {
            None => None,
            Some(Logo::File { .. }) => Some("/branding/logo"),
            Some(Logo::Url(u)) => Some(u),
        }
    }

    pub fn has_css(&self) -> bool {
        self.css.is_some()
    }

    /// The `img-src` our pages' policy needs: ourselves, plus a logo's origin.
    pub fn img_src(&self) -> String {
        match &self.logo {
            Some(Logo::Url(u)) => match url::Url::parse(u) {
                Ok(u) => format!("'self' {}", u.origin().ascii_serialization()),
                Err(_) => "'self'".into(),
            },
            _ => "'self'".into(),
        }
    }
}

fn image_type(path: &Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "ico" => "image/x-icon",
        _ => return None,
    })
}

fn read_small(path: &Path, key: &str) -> anyhow::Result<Bytes> {
    let meta = std::fs::metadata(path)
        .map_err(|e| anyhow::anyhow!("{key}: cannot read {}: {e}", path.display()))?;
    if meta.len() > MAX_FILE {
        anyhow::bail!("{key}: {} is larger than 1 MiB", path.display());
    }
    let bytes = std::fs::read(path)
        .map_err(|e| anyhow::anyhow!("{key}: cannot read {}: {e}", path.display()))?;
    Ok(Bytes::from(bytes))
}

/// `GET /branding/logo`. An SVG cannot run script here: the response carries its own
/// policy, and browsers never run script of an `<img>`.
pub async fn logo(state: web::Data<AppState>, ui: super::ui::Ui) -> HttpResponse {
    match &state.look.logo {
        Some(Logo::File {
            bytes,
            content_type,
        }) => HttpResponse::Ok()
            .content_type(*content_type)
            .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
            .insert_header((
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; sandbox",
            ))
            .body(bytes.clone()),
        _ => super::pages::not_found_for(&ui),
    }
}

/// `GET /branding/style.css`.
pub async fn stylesheet(state: web::Data<AppState>, ui: super::ui::Ui) -> HttpResponse {
    match &state.look.css {
        Some(css) => HttpResponse::Ok()
            .content_type("text/css; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
            .body(css.clone()),
        None => super::pages::not_found_for(&ui),
    }
}
