// Configuration: unknown keys fail start-up clearly; env connects providers; overrides and custom providers.

import { describe, expect, test } from "bun:test";
import { ConfigError, parseConfigFile, resolveSettings } from "../../src/config";

describe("config file", () => {
  test.each([
    ['{"baselinModel": "openai/gpt-5"}', "/baselinModel: unknown key"],
    ['{"retry": {"attempts": 3}}', "/retry/attempts: unknown key"],
    ['{"bodyLimitBytes": "big"}', "/bodyLimitBytes"],
    ["{not json", "not valid JSON"],
  ])("%s fails with a message naming the problem", (text, expected) => {
    expect(() => parseConfigFile(text, "spendex.config.json")).toThrow(ConfigError);
    expect(() => parseConfigFile(text, "spendex.config.json")).toThrow(expected);
  });

  test("a provider is connected when its key is set; the others name their env var", () => {
    const settings = resolveSettings({}, { OPENAI_API_KEY: "sk-1", ANTHROPIC_BASE_URL: "http://x" });
    expect(settings.connections.map((c) => c.name)).toEqual(["openai"]);
    expect(settings.connections[0]?.baseUrl).toBe("https://api.openai.com/v1");
    expect(settings.disconnected.get("anthropic")).toBe("ANTHROPIC_API_KEY");
  });

  test("custom OpenAI-compatible providers and model overrides join the catalog", () => {
    const settings = resolveSettings(
      {
        providers: [
          {
            name: "groq",
            baseUrl: "http://g/v1/",
            apiKeyEnv: "GROQ_KEY",
            models: [{ name: "llama", tier: "medium", prices: { input: 0.5, output: 0.8 } }],
          },
        ],
        models: [{ id: "openai/gpt-5-mini", prices: { input: 0.2 } }],
      },
      { GROQ_KEY: "g" },
    );
    expect(settings.connections).toEqual([
      { name: "groq", kind: "openai-compatible", baseUrl: "http://g/v1", apiKey: "g" },
    ]);
    const llama = settings.models.find((m) => m.id === "groq/llama");
    expect(llama).toMatchObject({ tier: "medium", prices: { input: 0.5, output: 0.8, cachedInput: 0.5 } });
    expect(settings.models.find((m) => m.id === "openai/gpt-5-mini")?.prices).toMatchObject({
      input: 0.2,
      output: 2,
    });
  });

  test("overriding a model that is not shipped is an error", () => {
    expect(() => resolveSettings({ models: [{ id: "openai/gpt-7" }] }, {})).toThrow("not a shipped model");
  });
});

describe("README", () => {
  test("the configuration example in the README is a valid config file", async () => {
    const readme = await Bun.file(new URL("../../README.md", import.meta.url)).text();
    const start = readme.indexOf("`spendex.config.json` (every key optional");
    const block = readme.slice(
      readme.indexOf("```json", start) + 7,
      readme.indexOf("```", readme.indexOf("```json", start) + 7),
    );
    const file = parseConfigFile(block, "README.md");
    expect(file.providers?.[0]?.name).toBe("groq");
    expect(() => resolveSettings(file, { GROQ_API_KEY: "g" })).not.toThrow();
    expect(resolveSettings(file, { GROQ_API_KEY: "g" }).connections.map((c) => c.name)).toEqual(["groq"]);
  });
});
