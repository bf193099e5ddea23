//! Reads the single, root `tauri.conf.json` and declares the app's commands for the ACL.

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(&[
        "app_info",
        "sign_in",
        "detect_scopes",
        "open_in_browser",
        "quit",
        "copy_text",
        "resume_load",
        "resume_save",
        "sign_in_saved",
        "start_over",
        "export_summary",
        "webhook_secret_status",
        "generate_webhook_secret",
        "save_webhook_secret",
        "copy_webhook_secret",
        "plan_webhooks",
        "apply_webhooks",
        "verify_webhooks",
        "cancel_webhooks",
        "export_webhook_instructions",
        "users_choose_idp",
        "users_choose_save",
        "users_build",
        "users_summary",
        "users_rows",
        "users_edit",
        "users_save",
        "users_choose_key",
        "users_upload",
        "first_paint",
        "onboarded_instance",
        "health",
        "fix_health",
        "rotate_token",
        "copy_token",
        "plan_removal",
        "remove_hooks",
    ]);
    let attributes = tauri_build::Attributes::new()
        .config_path("../tauri.conf.json")
        .app_manifest(manifest);
    tauri_build::try_build(attributes)
        .expect("tauri-build failed (does ui/dist exist? run `npm run build` in ui/)");
}
