import { describe, expect, it } from "vitest";
import type { SyncView } from "./bindings";
import { syncLine } from "./sync";

const base: SyncView = {
  enrolled: true,
  server: "http://127.0.0.1:8787",
  online: false,
  live: false,
  syncing: false,
  pending: 0,
  last_sync: null,
  error: null,
  bootstrap: null,
};

describe("the header's sync line", () => {
  it("says live when the notice socket is open, and counts unsent changes", () => {
    const line = syncLine("en", { ...base, online: true, live: true, pending: 3 }, 0);
    expect(line.tone).toBe("ok");
    expect(line.text).toContain("Online, live");
    expect(line.text).toContain("3 changes to send");
  });

  it("is a warning with the reason when the server cannot be reached", () => {
    const line = syncLine("ar", { ...base, error: "تعذر الوصول إلى خادم المزامنة", pending: 2 }, 0);
    expect(line.tone).toBe("warn");
    expect(line.text).toContain("غير متصل");
    // Two changes, said as Arabic says two: the dual, no digit.
    expect(line.text).toContain("تغييران لم يُرسلا");
    expect(line.detail).toContain("تعذر");
  });

  it("shows a bootstrap's progress before anything else", () => {
    const line = syncLine("en", { ...base, syncing: true, bootstrap: [1200, 40000] }, 0);
    expect(line.tone).toBe("busy");
    expect(line.text).toContain("1200/40000");
  });

  it("falls back to the status's count before the loop has reported", () => {
    expect(syncLine("en", null, 5).text).toContain("5 changes to send");
    expect(syncLine("en", null, 0).text).not.toContain("changes to send");
  });
});
