import { describe, expect, it } from "vitest";
import { screenForKey } from "./nav";

const alt = (code: string) => ({ altKey: true, ctrlKey: false, metaKey: false, code });

describe("keyboard navigation", () => {
  it("opens the role's screens in header order with Alt and a digit", () => {
    expect(screenForKey("receptionist", alt("Digit1"))).toBe("today");
    expect(screenForKey("receptionist", alt("Digit4"))).toBe("cash");
    expect(screenForKey("doctor", alt("Numpad4"))).toBe("visit");
    expect(screenForKey("owner", alt("Digit5"))).toBe("owner");
  });
  it("ignores digits past the role's screens and keys without Alt alone", () => {
    expect(screenForKey("receptionist", alt("Digit5"))).toBeNull();
    expect(screenForKey("owner", { altKey: false, ctrlKey: false, metaKey: false, code: "Digit1" })).toBeNull();
    expect(screenForKey("owner", { altKey: true, ctrlKey: true, metaKey: false, code: "Digit1" })).toBeNull();
    expect(screenForKey("owner", alt("KeyA"))).toBeNull();
  });
});
