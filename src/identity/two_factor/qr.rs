//! The enrolment QR code, drawn as SVG on the server (one path of unit
//! squares), so the page needs no image library and no script.

use crate::error::{Error, Result};
use qrcodegen::{QrCode, QrCodeEcc};

/// Modules of quiet zone around the code, as the standard asks.
const BORDER: i32 = 4;

pub fn svg(text: &str) -> Result<String> {
    let code = QrCode::encode_text(text, QrCodeEcc::Medium)
        .map_err(|e| Error::Unexpected(anyhow::anyhow!("no QR code for the setup link: {e:?}")))?;
    let size = code.size();
    let mut path = String::new();
    for y in 0..size {
        for x in 0..size {
            if code.get_module(x, y) {
                path.push_str(&format!("M{},{}h1v1h-1z", x + BORDER, y + BORDER));
            }
        }
    }
    let full = size + 2 * BORDER;
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {full} {full}\" \
         width=\"200\" height=\"200\" role=\"img\" aria-label=\"QR code for your authenticator app\" \
         shape-rendering=\"crispEdges\"><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\
         <path d=\"{path}\" fill=\"#000\"/></svg>"
    ))
}
