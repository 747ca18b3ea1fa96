//! Logo and favicon uploads: re-encoded, stored in the tenant's own object
//! storage (a local directory, or S3 — tested against moto), served on the
//! tenant's host only, changed by its admins only.

use crate::harness::{Client, Reply, TestApp};
use crate::moto::Moto;
use crate::on_both_backends;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use std::io::Cursor;

on_both_backends!(
    an_uploaded_logo_is_re_encoded_stored_per_tenant_and_served_on_its_host_only,
    logos_and_export_archives_live_in_s3_under_the_tenants_prefix_when_s3_is_configured,
);

pub(crate) fn png(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_pixel(width, height, image::Rgb([20, 90, 200]));
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(image)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("png");
    out
}

/// Posts `bytes` as the form's `file` field, as a browser (HTML) or API client.
pub(crate) async fn upload(client: &mut Client, asset: &str, bytes: &[u8], browser: bool) -> Reply {
    let boundary = "----tenantry-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"upload\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let accept = if browser {
        "text/html"
    } else {
        "application/json"
    };
    let req = Request::post(format!("/admin/branding/{asset}"))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header(header::ACCEPT, accept)
        .header(header::ORIGIN, format!("http://{}", client.host))
        .body(Body::from(body))
        .expect("request");
    client.send(req).await
}

async fn an_uploaded_logo_is_re_encoded_stored_per_tenant_and_served_on_its_host_only(
    app: TestApp,
) {
    app.tenant("alpha").await;
    app.tenant("bravo").await;
    let mut owner = app.owner_client("alpha").await;
    let res = upload(&mut owner, "logo", &png(900, 300), false).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let url = res.json()["url"].as_str().expect("url").to_owned();
    assert!(url.starts_with("/brand/logo.png?v="));

    let served = app.client("alpha.localhost").get("/brand/logo.png").await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(served.headers[header::CONTENT_TYPE], "image/png");
    assert_eq!(served.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    let page = app.client("alpha.localhost").get("/login").await;
    assert!(page.text.contains(&url), "the sign-in page shows the logo");
    assert_eq!(
        app.client("bravo.localhost")
            .get("/brand/logo.png")
            .await
            .status,
        StatusCode::NOT_FOUND,
        "bravo has no logo, and alpha's is not bravo's"
    );
    assert_eq!(
        app.client("alpha.localhost")
            .get("/brand/other.png")
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Favicons are scaled and linked from every page.
    let res = upload(&mut owner, "favicon", &png(200, 200), false).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let page = app.client("alpha.localhost").get("/login").await;
    let icons: Vec<&str> = page
        .text
        .match_indices("icon")
        .map(|(i, _)| &page.text[i.saturating_sub(40)..(i + 60).min(page.text.len())])
        .collect();
    assert!(
        page.text.contains("/brand/favicon.png?v="),
        "favicon linked: {icons:?}"
    );

    // Refused: SVG, garbage; a browser is sent back with the reason.
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
    let res = upload(&mut owner, "logo", svg, false).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.json()["error"]["field"], "file");
    let res = upload(&mut owner, "logo", b"GIF89a-not-really", true).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert!(res.headers[header::LOCATION]
        .to_str()
        .expect("location")
        .starts_with("/admin/branding?upload_error="));
    let served_after = app.client("alpha.localhost").get("/brand/logo.png").await;
    assert_eq!(
        served_after.text, served.text,
        "a refused upload changes nothing"
    );

    // Only the tenant's admins may upload.
    let ctx = app.ctx("alpha").await;
    let db = ctx.db().await.expect("db");
    let member = tenantry::identity::members::NewMember::parse(
        "m@alpha.test",
        "M",
        crate::harness::PASSWORD,
        "member",
    )
    .expect("member");
    tenantry::identity::members::create(&db, member)
        .await
        .expect("member");
    db.commit().await.expect("commit");
    let mut member = app.owner_client_as("alpha", "m@alpha.test").await;
    assert_eq!(
        upload(&mut member, "logo", &png(10, 10), false)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let mut anonymous = app.client("alpha.localhost");
    assert_eq!(
        upload(&mut anonymous, "logo", &png(10, 10), false)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let mut console = app.superadmin().await;
    assert_eq!(
        upload(&mut console, "logo", &png(10, 10), false)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // A suspended tenant's branding cannot change; its logo is still shown.
    tenantry::catalog::tenants::suspend(&app.engine, "alpha", "test")
        .await
        .expect("suspend");
    let res = upload(&mut owner, "logo", &png(10, 10), false).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.text);
    let served = app.client("alpha.localhost").get("/brand/logo.png").await;
    assert_eq!(served.status, StatusCode::OK);
}

async fn logos_and_export_archives_live_in_s3_under_the_tenants_prefix_when_s3_is_configured(
    app: TestApp,
) {
    let moto = Moto::start().await;
    let settings = moto.settings();
    let pairs: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let app = app.with_router_settings(&pairs).await;
    let alpha = app.tenant("alpha").await;
    let mut owner = app.owner_client("alpha").await;
    let res = upload(&mut owner, "logo", &png(40, 40), false).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let key = format!("tenants/{}/branding/logo.png", alpha.id());
    assert!(moto.holds(&key).await, "the logo is in the bucket at {key}");
    let served = app.client("alpha.localhost").get("/brand/logo.png").await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(
        image::load_from_memory(&served.bytes).expect("png").width(),
        40
    );

    // Export archives go to the tenant's prefix too, not to local disk.
    let jobs = app.run_jobs();
    let export = tenantry::exports::request(&app.engine, alpha.tenant(), "test")
        .await
        .expect("export requested");
    let archive = format!("tenants/{}/exports/{}.tar", alpha.id(), export.id);
    let mut read_back = None;
    for _ in 0..600 {
        if let Ok((bytes, _)) =
            tenantry::exports::archive(&app.engine, alpha.tenant(), export.id).await
        {
            read_back = Some(bytes);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    jobs.stop().await;
    let bytes = read_back.expect("the finished export's archive, read back from the bucket");
    assert!(
        moto.holds(&archive).await,
        "the archive is in the bucket at {archive}"
    );
    assert!(bytes.len() > 1024, "a whole archive");
    assert!(
        !app.settings.data_dir.join("exports").exists(),
        "nothing written to the instance's disk"
    );

    // A purge empties the tenant's prefix.
    tenantry::catalog::tenants::delete(&app.engine, "alpha", "alpha", "test")
        .await
        .expect("delete");
    let receipt = tenantry::lifecycle::purge_now(&app.engine, "alpha", "alpha", "test")
        .await
        .expect("purge");
    let objects = receipt
        .stores
        .iter()
        .find(|s| s.store == "object storage")
        .expect("object storage in the receipt");
    assert_eq!(
        (objects.before, objects.after),
        (2, 0),
        "the logo and the archive"
    );
    assert!(
        !moto.holds(&key).await,
        "the purge emptied the tenant's prefix"
    );
    assert!(!moto.holds(&archive).await, "the purge removed the archive");
}
