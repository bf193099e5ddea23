//! `GET /version` and `GET /metadata` (same body), and the avatar images the entities link to.

use super::{ApiResult, Ctx, json};
use crate::auth::Need;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde_json::json;

/// `GET /version`, `GET /metadata`.
pub(super) async fn version(ctx: Ctx) -> ApiResult {
    let mut world = ctx.world();
    ctx.auth(&mut world, Need::Api)?;
    let v = &world.version;
    let host = ctx
        .shared
        .base
        .split("://")
        .nth(1)
        .unwrap_or_default()
        .split(':')
        .next()
        .unwrap_or_default();
    let kas_version = v.version.split('-').next().unwrap_or(&v.version);
    Ok(json(
        StatusCode::OK,
        json!({
            "version": v.version,
            "revision": v.revision,
            "kas": {
                "enabled": false,
                "externalUrl": format!("grpc://{host}:8150"),
                "externalK8sProxyUrl": format!("{}/-/kubernetes-agent/k8s-proxy/", ctx.shared.base),
                "version": kas_version,
            },
            "enterprise": v.enterprise,
        }),
    ))
}

/// A small SVG identicon for `/uploads/-/system/<kind>/avatar/<id>/avatar.png`, so the demo
/// app shows pictures without reaching the internet.
pub(super) async fn avatar(Path((_kind, id)): Path<(String, u64)>) -> impl IntoResponse {
    let hue = (id * 47) % 360;
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"80\" height=\"80\"><rect width=\"80\" height=\"80\" fill=\"hsl({hue},55%,55%)\"/><circle cx=\"40\" cy=\"32\" r=\"14\" fill=\"#fff\"/><rect x=\"18\" y=\"52\" width=\"44\" height=\"20\" rx=\"10\" fill=\"#fff\"/></svg>"
    );
    ([(header::CONTENT_TYPE, "image/svg+xml")], svg)
}
