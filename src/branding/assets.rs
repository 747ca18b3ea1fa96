//! Logo and favicon uploads. What is stored is never what was sent: the
//! upload is size-checked, sniffed (PNG, JPEG, GIF or ICO — SVG, which can
//! carry scripts, is refused), its dimensions read from the header and
//! checked before any pixel is decoded, decoded with limits on a blocking
//! thread (never on the async workers that serve requests), scaled, and
//! re-encoded as a plain PNG into the tenant's object storage.

use crate::entities::tenant::branding;
use crate::error::{Error, Result};
use crate::storage::Asset;
use crate::tenancy::TenantCtx;
use image::{ImageFormat, ImageReader, Limits};
use sha2::{Digest, Sha256};
use std::io::Cursor;

/// Largest upload accepted.
pub const MAX_UPLOAD_BYTES: usize = 1024 * 1024;
/// Largest image side, and most pixels, accepted: a small file can declare a
/// huge image (a decompression bomb), so this is checked on the header.
const MAX_SIDE: u32 = 4096;
const MAX_PIXELS: u64 = 4096 * 4096;
const FIELD: &str = "file";

/// Decodes and re-encodes an uploaded image as the asset's PNG.
pub fn sanitise(asset: Asset, bytes: &[u8]) -> Result<Vec<u8>> {
    if bytes.is_empty() {
        return Err(Error::invalid(FIELD, "choose an image file"));
    }
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(Error::invalid(FIELD, "must be at most 1 MB"));
    }
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).to_ascii_lowercase();
    if head.contains("<svg") || head.contains("<?xml") {
        return Err(Error::invalid(
            FIELD,
            "SVG is not accepted (it can carry scripts); upload a PNG, JPEG, GIF or ICO",
        ));
    }
    let format = image::guess_format(bytes)
        .map_err(|_| Error::invalid(FIELD, "must be a PNG, JPEG, GIF or ICO image"))?;
    if !matches!(
        format,
        ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::Gif | ImageFormat::Ico
    ) {
        return Err(Error::invalid(
            FIELD,
            "must be a PNG, JPEG, GIF or ICO image",
        ));
    }
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|_| Error::invalid(FIELD, "could not be read as an image"))?;
    if width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(Error::invalid(
            FIELD,
            format!("is {width} × {height} pixels; at most {MAX_SIDE} × {MAX_SIDE} are accepted"),
        ));
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(64 * 1024 * 1024);
    reader.limits(limits);
    let decoded = reader
        .decode()
        .map_err(|_| Error::invalid(FIELD, "could not be read as an image"))?;
    let scaled = match asset {
        Asset::Logo if decoded.width() > 512 || decoded.height() > 512 => {
            decoded.thumbnail(512, 512)
        }
        Asset::Logo => decoded,
        Asset::Favicon => decoded.thumbnail(64, 64),
    };
    let mut png = Vec::new();
    scaled
        .write_to(&mut Cursor::new(&mut png), ImageFormat::Png)
        .map_err(|e| anyhow::anyhow!("re-encoding an image: {e}"))?;
    Ok(png)
}

/// [`sanitise`] on a blocking thread: decoding is CPU work of up to a few
/// hundred milliseconds, which must not hold an async worker that serves
/// requests.
pub async fn sanitise_off_the_workers(asset: Asset, bytes: Vec<u8>) -> Result<Vec<u8>> {
    tokio::task::spawn_blocking(move || sanitise(asset, &bytes))
        .await
        .map_err(|e| anyhow::anyhow!("image decoding stopped: {e}"))?
}

/// Stores the tenant's logo or favicon and points its branding at it (the
/// URL carries a content hash, so browsers fetch the new one at once).
pub async fn upload(
    ctx: &TenantCtx,
    asset: Asset,
    bytes: &[u8],
    actor: &str,
) -> Result<branding::Model> {
    let png = sanitise_off_the_workers(asset, bytes.to_vec()).await?;
    let version = &hex::encode(Sha256::digest(&png))[..12];
    let engine = ctx.engine();
    engine
        .storage()
        .of(ctx)
        .put(&*ctx.keys().await?, asset, png)
        .await?;
    let url = Some(format!("/brand/{}?v={version}", asset.file_name()));
    let mut brand = ctx.tenant().branding.clone();
    match asset {
        Asset::Logo => brand.logo_url = url.clone(),
        Asset::Favicon => brand.favicon_url = url.clone(),
    }
    let name = asset.file_name().trim_end_matches(".png");
    let action = format!("tenant.{name}_uploaded");
    let data = serde_json::json!({ name: url });
    let saved = super::save(ctx, brand, actor, &action, data).await?;
    // Usage, not the upload's outcome: a failure here is logged, and the
    // hourly snapshot catches up.
    if let Err(e) = crate::billing::platform_usage::record_storage(ctx).await {
        tracing::warn!(tenant_id = %ctx.id(), error = %e, "storage usage not recorded");
    }
    Ok(saved)
}

/// The tenant's stored asset, if it has one.
pub async fn fetch(ctx: &TenantCtx, asset: Asset) -> Result<Option<Vec<u8>>> {
    let keys = ctx.keys().await?;
    ctx.engine().storage().of(ctx).get(&keys, asset).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image = image::RgbImage::from_pixel(width, height, image::Rgb([200, 30, 30]));
        let mut out = Vec::new();
        image::DynamicImage::ImageRgb8(image)
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .expect("png");
        out
    }

    #[test]
    fn images_are_re_encoded_and_scaled() {
        let logo = sanitise(Asset::Logo, &png(1000, 500)).expect("logo");
        let decoded = image::load_from_memory(&logo).expect("decodes");
        assert_eq!((decoded.width(), decoded.height()), (512, 256));
        let favicon = sanitise(Asset::Favicon, &png(10, 10)).expect("favicon");
        let decoded = image::load_from_memory(&favicon).expect("decodes");
        assert!(decoded.width() <= 64);
    }

    #[test]
    fn svg_garbage_and_oversize_uploads_are_refused() {
        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
        assert!(sanitise(Asset::Logo, svg)
            .expect_err("svg")
            .to_string()
            .contains("SVG"));
        assert!(sanitise(Asset::Logo, b"not an image").is_err());
        assert!(sanitise(Asset::Logo, &[]).is_err());
        let big = vec![0u8; MAX_UPLOAD_BYTES + 1];
        assert!(sanitise(Asset::Logo, &big)
            .expect_err("big")
            .to_string()
            .contains("1 MB"));
        // An image larger than accepted is refused from its header, naming
        // its size, before any pixel is decoded.
        let wide = png(5000, 1);
        assert!(wide.len() < MAX_UPLOAD_BYTES);
        let refused = sanitise(Asset::Logo, &wide)
            .expect_err("too wide")
            .to_string();
        assert!(refused.contains("5000 × 1 pixels"), "{refused}");
        // A PNG signature followed by garbage is not an image.
        let mut fake = png(2, 2);
        fake.truncate(20);
        assert!(sanitise(Asset::Logo, &fake).is_err());
    }

    /// Issue 18, point 9: while an image is decoded, the async thread that
    /// asked for it goes on serving other work. On a single-threaded
    /// runtime, a decode run inline would finish before the other task is
    /// polled even once.
    #[tokio::test(flavor = "current_thread")]
    async fn decoding_leaves_the_async_thread_free() {
        let image = png(3000, 3000);
        assert!(image.len() < MAX_UPLOAD_BYTES);
        let done = std::sync::atomic::AtomicBool::new(false);
        let mut served = 0u64;
        let decode = async {
            let png = sanitise_off_the_workers(Asset::Logo, image).await;
            done.store(true, std::sync::atomic::Ordering::SeqCst);
            png
        };
        let other_work = async {
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                served += 1;
                tokio::task::yield_now().await;
            }
        };
        let (png, ()) = tokio::join!(decode, other_work);
        png.expect("decoded");
        assert!(served > 0, "the decode held the async thread");
    }
}
