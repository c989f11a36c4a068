import { describe, expect, it } from "vitest";
import { diagnosesOf, splitPictures, unusual } from "./vitals";

describe("vitals on the visit form", () => {
  it("marks values outside the usual adult range", () => {
    expect(unusual("temperature", "38.4")).toBe(true);
    expect(unusual("temperature", "37.0")).toBe(false);
    expect(unusual("pulse", "١٢٠")).toBe(true);
    expect(unusual("spo2", "91")).toBe(true);
    expect(unusual("blood_pressure", "150/85")).toBe(true);
    expect(unusual("blood_pressure", "120/95")).toBe(true);
    expect(unusual("blood_pressure", "120/80")).toBe(false);
  });
  it("leaves blank and unreadable values to the core", () => {
    expect(unusual("temperature", "")).toBe(false);
    expect(unusual("pulse", "fast")).toBe(false);
    expect(unusual("blood_pressure", "120")).toBe(false);
    expect(unusual("weight", "300")).toBe(false);
  });
  it("reads Arabic decimals", () => {
    expect(unusual("temperature", "٣٨٫٥")).toBe(true);
  });
  it("takes one diagnosis per line or per semicolon", () => {
    expect(diagnosesOf("التهاب الحلق\n\n Fever ; cough؛ زكام")).toEqual(["التهاب الحلق", "Fever", "cough", "زكام"]);
  });
  it("keeps only pictures from what was dropped", () => {
    const got = splitPictures([
      { name: "rx.jpg", type: "image/jpeg" }, { name: "notes.pdf", type: "application/pdf" }, { name: "rx2.png", type: "image/png" },
    ]);
    expect(got.pictures.map((f) => f.name)).toEqual(["rx.jpg", "rx2.png"]);
    expect(got.refused).toEqual(["notes.pdf"]);
  });
});
