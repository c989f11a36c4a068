import { invoke } from "@tauri-apps/api/core";

interface AppInfo {
  core_version: string;
}

// The full screens arrive with the desktop-app issue; this shell proves the
// UI → Tauri command → ayada-core path end to end.
async function showCoreVersion(): Promise<void> {
  const target = document.getElementById("core-version");
  if (!target) return;
  try {
    const info = await invoke<AppInfo>("app_info");
    target.textContent = `ayada-core ${info.core_version}`;
  } catch (err) {
    target.textContent = `The app core could not be reached: ${String(err)}`;
  }
}

void showCoreVersion();
