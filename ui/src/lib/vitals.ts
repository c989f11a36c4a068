// Vital signs on the visit form. The core refuses what no living patient can have; here
// the form only marks a value outside the usual adult range, so the doctor's eye falls on it.

// The names the core reads them by (its VitalsInput).
export type Vital = "temperature" | "blood_pressure" | "pulse" | "weight" | "height" | "spo2";

/** The usual adult range of each vital that has one (blood pressure: systolic/diastolic). */
export const USUAL: Partial<Record<Vital, string>> = {
  temperature: "36.1–37.5 °C",
  blood_pressure: "90–140 / 60–90",
  pulse: "60–100 /min",
  spo2: "95–100 %",
};

/** Western digits for Arabic-Indic ones and the Arabic decimal separator. */
function western(text: string): string {
  return text.trim().replace(/[٠-٩]/g, (d) => String(d.charCodeAt(0) - 0x0660)).replace("٫", ".");
}

function outside(value: string, min: number, max: number): boolean {
  const n = Number(western(value));
  return Number.isFinite(n) && (n < min || n > max);
}

/** Whether a typed value is outside the usual range (false for blank or unreadable text: the
 * core says what is wrong with those when the visit is saved). */
export function unusual(vital: Vital, value: string): boolean {
  if (!value.trim()) return false;
  switch (vital) {
    case "temperature": return outside(value, 36.1, 37.5);
    case "pulse": return outside(value, 60, 100);
    case "spo2": return outside(value, 95, 100);
    case "blood_pressure": {
      const [sys, dia] = western(value).split("/");
      if (dia === undefined) return false;
      return outside(sys, 90, 140) || outside(dia, 60, 90);
    }
    default: return false;
  }
}

/** The diagnoses typed one per line (or separated by "؛"/";"), blanks dropped. */
export function diagnosesOf(text: string): string[] {
  return text.split(/[\n;؛]/).map((d) => d.trim()).filter((d) => d.length > 0);
}

/** Only pictures are taken from a drop or the picker; anything else is named back. */
export function splitPictures<T extends { type: string; name: string }>(files: T[]): { pictures: T[]; refused: string[] } {
  const ok = ["image/jpeg", "image/png", "image/webp"];
  return {
    pictures: files.filter((f) => ok.includes(f.type)),
    refused: files.filter((f) => !ok.includes(f.type)).map((f) => f.name),
  };
}
