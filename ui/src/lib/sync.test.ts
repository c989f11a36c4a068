import { describe, expect, it } from "vitest";
import type { SyncView } from "./bindings";
import { lanLine, syncLine } from "./sync";

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
  lan: [],
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

describe("the header's LAN line", () => {
  it("is absent until another machine of the clinic is found", () => {
    expect(lanLine("en", base)).toBeNull();
    expect(lanLine("en", null)).toBeNull();
  });

  it("counts the machines that answer directly, in both languages", () => {
    const lan = [
      { node: "0190-a", reachable: true },
      { node: "0190-b", reachable: true },
      { node: "0190-c", reachable: false },
    ];
    const en = lanLine("en", { ...base, lan })!;
    expect(en.tone).toBe("ok");
    expect(en.text).toContain("2 machines on the LAN");
    expect(en.detail).toContain("0190-c ✗");
    // Two, said as Arabic says two.
    expect(lanLine("ar", { ...base, lan })!.text).toContain("جهازان على الشبكة المحلية");
  });

  it("warns when machines were found but none answers", () => {
    const line = lanLine("en", { ...base, lan: [{ node: "x", reachable: false }] })!;
    expect(line.tone).toBe("warn");
    expect(line.text).toContain("0 machines on the LAN");
  });
});
