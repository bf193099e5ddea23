//! Reads the single, root `tauri.conf.json` and declares the app's commands for the ACL.

fn main() {
    let manifest =
        tauri_build::AppManifest::new().commands(&["app_info", "sign_in", "detect_scopes"]);
    let attributes = tauri_build::Attributes::new()
        .config_path("../tauri.conf.json")
        .app_manifest(manifest);
    tauri_build::try_build(attributes)
        .expect("tauri-build failed (does ui/dist exist? run `npm run build` in ui/)");
}
