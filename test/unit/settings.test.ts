// The Worker's numeric vars as policy/settings.ts reads them, for the Worker and for ward doctor alike. A var
// written unquoted in wrangler.toml reaches the Worker as a number (wrangler passes it on as JSON): the
// WebSocket limits' reader called `.trim()` on it and threw, so every upgrade failed.
import { describe, expect, it } from "vitest";
import { NUMERIC_SETTINGS, readSetting, settingRule, type NumericSettingName } from "../../policy/index.ts";

const names = Object.keys(NUMERIC_SETTINGS) as NumericSettingName[];

describe("numeric settings", () => {
  it("read a number written unquoted as the same string would be", () => {
    for (const name of names)
      for (const value of [0, 0.5, 3, 45, 1e12, -1])
        expect(readSetting(name, value), `${name} ${value}`).toBe(readSetting(name, String(value)));
    expect(readSetting("WEBSOCKET_IDLE_SECONDS", 30)).toBe(30);
    expect(readSetting("WEBSOCKET_MAX_MESSAGE_BYTES", 4096)).toBe(4096);
  });

  it("read blank, unset, no number, negative, or a value of another type as the fallback", () => {
    for (const name of names) {
      const { fallback } = NUMERIC_SETTINGS[name];
      for (const value of [undefined, "", "  ", "abc", "5s", "-1", "Infinity", "NaN", true, null, {}, [5]])
        expect(readSetting(name, value), `${name} ${JSON.stringify(value)}`).toBe(fallback);
    }
  });

  it("read 0 as a value only for the two refresh intervals, and hold every value to its bounds", () => {
    expect(names.filter((name) => readSetting(name, "0") === 0)).toEqual([
      "GRANTS_REFRESH_SECONDS",
      "DENYLIST_REFRESH_SECONDS",
    ]);
    expect(readSetting("GRANTS_REFRESH_SECONDS", "60")).toBe(15);
    expect(readSetting("DENYLIST_REFRESH_SECONDS", "300")).toBe(30);
    expect(readSetting("DENYLIST_REFRESH_SECONDS", "30")).toBe(30);
    expect(readSetting("WEBSOCKET_CHECK_SECONDS", "0.001")).toBe(0.05);
    expect(readSetting("WEBSOCKET_CHECK_SECONDS", "61")).toBe(60);
    expect(readSetting("ORIGIN_TIMEOUT_MS", "4000000000")).toBe(2 ** 31 - 1);
    expect(readSetting("WEBSOCKET_MAX_MESSAGE_BYTES", String(64 * 1024 * 1024))).toBe(32 * 1024 * 1024);
    expect(readSetting("POLICY_REFRESH_SECONDS", " 10 ")).toBe(10);
    expect(readSetting("POLICY_REFRESH_SECONDS", "1e9")).toBe(60);
  });

  it("say what each takes", () => {
    expect(settingRule("WEBSOCKET_CHECK_SECONDS")).toBe("a number from 0.05 to 60 (s)");
    expect(settingRule("GRANTS_REFRESH_SECONDS")).toBe("a number from 0 to 15 (s)");
    expect(settingRule("POLICY_REFRESH_SECONDS")).toBe("a number above 0 to 60 (s)");
    expect(settingRule("DENYLIST_REFRESH_SECONDS")).toBe("a number from 0 to 30 (s)");
  });
});
