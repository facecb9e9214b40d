// The simulator's Gemini format, proved with the official `@google/genai` SDK as the client.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  ApiError,
  FinishReason,
  FunctionCallingConfigMode,
  type FunctionDeclaration,
  GoogleGenAI,
  Type,
} from "@google/genai";
import { type SimulatorHandle, startSimulator } from "../../src/simulator";

let sim: SimulatorHandle;
let client: GoogleGenAI;

const weather: FunctionDeclaration = {
  name: "get_weather",
  description: "Weather for a city",
  parameters: {
    type: Type.OBJECT,
    properties: { city: { type: Type.STRING }, days: { type: Type.INTEGER }, hourly: { type: Type.BOOLEAN } },
    required: ["city", "days", "hourly"],
  },
};
const time: FunctionDeclaration = {
  name: "get_time",
  parametersJsonSchema: { type: "object", properties: { zone: { type: "string" } }, required: ["zone"] },
};

beforeAll(async () => {
  sim = await startSimulator({ requireKey: "gemini-key" });
  client = new GoogleGenAI({ apiKey: "gemini-key", httpOptions: { baseUrl: sim.url } });
});
afterAll(async () => {
  await sim.stop();
});

describe("gemini format", () => {
  test("generateContent: text, finish reason, usage, model version", async () => {
    const response = await client.models.generateContent({
      model: "gemini-2.5-flash",
      contents: "Explain photosynthesis in one line",
      config: { systemInstruction: "Be concise." },
    });
    expect(response.text).toBe("Simulated reply to: Explain photosynthesis in one line");
    expect(response.candidates?.[0]?.finishReason).toBe(FinishReason.STOP);
    expect(response.candidates?.[0]?.content?.role).toBe("model");
    expect(response.modelVersion).toBe("gemini-2.5-flash");
    expect(response.responseId).toBeString();
    // "Be concise." (11) + "Explain photosynthesis in one line" (34) = 45 chars -> 12 tokens; reply 54 -> 14.
    expect(response.usageMetadata).toMatchObject({
      promptTokenCount: 12,
      candidatesTokenCount: 14,
      totalTokenCount: 26,
    });
    expect(response.usageMetadata?.thoughtsTokenCount).toBeUndefined();
    const record = sim.records().at(-1)!;
    expect(record).toMatchObject({
      format: "gemini",
      model: "gemini-2.5-flash",
      // @google/genai 3.x defaults to the v1 API version; the simulator serves v1, v1beta and v1alpha alike.
      path: "/v1/models/gemini-2.5-flash:generateContent",
      stream: false,
    });
    expect(record.headers["x-goog-api-key"]).toBe("gemini-key");
  });

  test("thinking model reports thoughts; cached tokens are inside promptTokenCount", async () => {
    const response = await client.models.generateContent({
      model: "gemini-2.5-pro",
      contents: "z".repeat(200),
      config: { httpOptions: { headers: { "x-sim-cached-tokens": "30" } } },
    });
    const usage = response.usageMetadata!;
    expect(usage.promptTokenCount).toBe(50);
    expect(usage.cachedContentTokenCount).toBe(30);
    expect(usage.thoughtsTokenCount).toBe(24);
    expect(usage.totalTokenCount).toBe(50 + usage.candidatesTokenCount! + 24);
    const off = await client.models.generateContent({
      model: "gemini-2.5-pro",
      contents: "hi",
      config: { thinkingConfig: { thinkingBudget: 0 } },
    });
    expect(off.usageMetadata?.thoughtsTokenCount).toBeUndefined();
  });

  test("generateContentStream: SSE chunks with running usage, finish on the last", async () => {
    const stream = await client.models.generateContentStream({
      model: "gemini-2.5-flash",
      contents: "Stream a short answer",
    });
    const texts: string[] = [];
    const finishes: unknown[] = [];
    const candidateCounts: number[] = [];
    for await (const chunk of stream) {
      texts.push(chunk.text ?? "");
      finishes.push(chunk.candidates?.[0]?.finishReason);
      candidateCounts.push(chunk.usageMetadata?.candidatesTokenCount ?? -1);
      expect(chunk.usageMetadata?.promptTokenCount).toBe(6);
    }
    expect(texts.join("")).toBe("Simulated reply to: Stream a short answer");
    expect(texts.length).toBe(7);
    expect(finishes.at(-1)).toBe("STOP");
    expect(finishes.slice(0, -1).every((finish) => finish === undefined)).toBe(true);
    expect(candidateCounts.at(-1)).toBe(11);
    expect([...candidateCounts].sort((a, b) => a - b)).toEqual(candidateCounts);
    const record = sim.records().at(-1)!;
    expect(record.path).toBe("/v1/models/gemini-2.5-flash:streamGenerateContent");
    expect(record.stream).toBe(true);
  });

  test("functionCall: args from the schema (OpenAPI and JSON schema), parallel calls", async () => {
    const response = await client.models.generateContent({
      model: "gemini-2.5-flash",
      contents: "Weather and time in Rome",
      config: {
        tools: [{ functionDeclarations: [weather, time] }],
        httpOptions: { headers: { "x-sim-tool-calls": "2" } },
      },
    });
    expect(response.functionCalls).toEqual([
      { name: "get_weather", args: { city: "sim", days: 1, hourly: true } },
      { name: "get_time", args: { zone: "sim" } },
    ]);
    expect(response.candidates?.[0]?.finishReason).toBe(FinishReason.STOP);
    const forced = await client.models.generateContent({
      model: "gemini-2.5-flash",
      contents: "Time?",
      config: {
        tools: [{ functionDeclarations: [weather, time] }],
        toolConfig: {
          functionCallingConfig: { mode: FunctionCallingConfigMode.ANY, allowedFunctionNames: ["get_time"] },
        },
      },
    });
    expect(forced.functionCalls?.map((call) => call.name)).toEqual(["get_time"]);
  });

  test("functionCall streamed whole, then a functionResponse answered with text", async () => {
    const stream = await client.models.generateContentStream({
      model: "gemini-2.5-flash",
      contents: "Weather?",
      config: { tools: [{ functionDeclarations: [weather] }] },
    });
    const calls = [];
    for await (const chunk of stream) calls.push(...(chunk.functionCalls ?? []));
    expect(calls).toEqual([{ name: "get_weather", args: { city: "sim", days: 1, hourly: true } }]);
    const answer = await client.models.generateContent({
      model: "gemini-2.5-flash",
      contents: [
        { role: "user", parts: [{ text: "Weather?" }] },
        { role: "model", parts: [{ functionCall: calls[0]! }] },
        {
          role: "user",
          parts: [{ functionResponse: { name: "get_weather", response: { result: "Rain" } } }],
        },
      ],
      config: { tools: [{ functionDeclarations: [weather] }] },
    });
    expect(answer.functionCalls).toBeUndefined();
    expect(answer.text).toBe('Simulated answer using the tool result: {"result":"Rain"}');
  });

  test("JSON mode, stop sequences, maxOutputTokens, forced SAFETY", async () => {
    const json = await client.models.generateContent({
      model: "gemini-2.5-flash",
      contents: "A city",
      config: {
        responseMimeType: "application/json",
        responseSchema: {
          type: Type.OBJECT,
          properties: { name: { type: Type.STRING }, population: { type: Type.NUMBER } },
          required: ["name", "population"],
        },
      },
    });
    expect(JSON.parse(json.text!)).toEqual({ name: "sim", population: 1 });
    const stopped = await client.models.generateContent({
      model: "gemini-2.5-flash",
      contents: "go",
      config: {
        stopSequences: ["STOP_HERE"],
        httpOptions: { headers: { "x-sim-reply": "keep this STOP_HERE not this" } },
      },
    });
    expect(stopped.text).toBe("keep this ");
    expect(stopped.candidates?.[0]?.finishReason).toBe(FinishReason.STOP);
    const short = await client.models.generateContent({
      model: "gemini-2.5-flash",
      contents: "A long essay",
      config: { maxOutputTokens: 2 },
    });
    expect(short.text).toBe("Simulate");
    expect(short.candidates?.[0]?.finishReason).toBe(FinishReason.MAX_TOKENS);
    expect(short.usageMetadata?.candidatesTokenCount).toBe(2);
    const unsafe = await client.models.generateContent({
      model: "gemini-2.5-flash",
      contents: "x",
      config: { httpOptions: { headers: { "x-sim-finish": "content_filter" } } },
    });
    expect(unsafe.candidates?.[0]?.finishReason).toBe(FinishReason.SAFETY);
    // A blocked candidate carries the rating that blocked it and no content, as Gemini sends it.
    expect(unsafe.candidates?.[0]?.content).toBeUndefined();
    expect(unsafe.candidates?.[0]?.safetyRatings?.[0]?.blocked).toBe(true);
    expect(unsafe.text).toBeUndefined();
  });

  test("errors in Google's format: 503 UNAVAILABLE, 429 with RetryInfo, wrong and missing keys", async () => {
    const ask = (fault: string) =>
      client.models
        .generateContent({
          model: "gemini-2.5-flash",
          contents: "hi",
          config: { httpOptions: { headers: { "x-sim-fault": fault } } },
        })
        .catch((error: unknown) => error);
    const unavailable = await ask("503");
    expect(unavailable).toBeInstanceOf(ApiError);
    expect((unavailable as ApiError).status).toBe(503);
    expect(JSON.parse((unavailable as ApiError).message)).toEqual({
      error: {
        code: 503,
        message: "The model is overloaded. Please try again later.",
        status: "UNAVAILABLE",
      },
    });
    const limited = await ask("429:4");
    expect((limited as ApiError).status).toBe(429);
    expect(JSON.parse((limited as ApiError).message).error).toMatchObject({
      status: "RESOURCE_EXHAUSTED",
      details: [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "4s" }],
    });
    const raw = await fetch(`${sim.url}/v1beta/models/gemini-2.5-flash:generateContent?key=gemini-key`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-sim-fault": "429:4" },
      body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "hi" }] }] }),
    });
    expect(raw.status).toBe(429);
    expect(raw.headers.get("retry-after")).toBe("4");
    const wrong = new GoogleGenAI({ apiKey: "bad", httpOptions: { baseUrl: sim.url } });
    const denied = await wrong.models
      .generateContent({ model: "gemini-2.5-flash", contents: "hi" })
      .catch((error) => error);
    // As Google does: a wrong key is 400 INVALID_ARGUMENT with reason API_KEY_INVALID, a missing one 403.
    expect((denied as ApiError).status).toBe(400);
    expect(JSON.parse((denied as ApiError).message).error).toMatchObject({
      status: "INVALID_ARGUMENT",
      details: [{ reason: "API_KEY_INVALID" }],
    });
    const anonymous = await fetch(`${sim.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ contents: [{ parts: [{ text: "hi" }] }] }),
    });
    expect(anonymous.status).toBe(403);
    expect(((await anonymous.json()) as { error: { status: string } }).error.status).toBe(
      "PERMISSION_DENIED",
    );
  });

  test("stream faults: in-stream error event and cut both reach the SDK as errors", async () => {
    const consume = async (fault: string) => {
      const texts: string[] = [];
      const error = await (async () => {
        const stream = await client.models.generateContentStream({
          model: "gemini-2.5-flash",
          contents: "one two three four",
          config: { httpOptions: { headers: { "x-sim-fault": fault } } },
        });
        for await (const chunk of stream) texts.push(chunk.text ?? "");
      })().catch((caught: unknown) => caught);
      return { texts, error };
    };
    const errored = await consume("error:2:503");
    expect(errored.texts).toEqual(["Simulated", " reply"]);
    expect(errored.error).toBeInstanceOf(ApiError);
    expect((errored.error as ApiError).status).toBe(503);
    const before = sim.records().length;
    const cut = await consume("cut:2");
    expect(cut.texts).toEqual(["Simulated", " reply"]);
    expect(cut.error).toBeInstanceOf(Error);
    // Content was yielded before the drop, so the SDK does not silently resume: one request only.
    expect(sim.records().length).toBe(before + 1);
  });

  test("streamGenerateContent without alt=sse answers a JSON array", async () => {
    const response = await fetch(
      `${sim.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent?key=gemini-key`,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ contents: [{ parts: [{ text: "hi there" }] }] }),
      },
    );
    const chunks = (await response.json()) as Array<{
      candidates: Array<{ content: { parts: Array<{ text: string }> } }>;
    }>;
    expect(chunks.map((chunk) => chunk.candidates[0]!.content.parts[0]!.text).join("")).toBe(
      "Simulated reply to: hi there",
    );
  });

  test("function responses must match the calls of the turn before", async () => {
    const error = await client.models
      .generateContent({
        model: "gemini-2.5-flash",
        contents: [
          { role: "user", parts: [{ text: "Weather?" }] },
          {
            role: "model",
            parts: [{ functionCall: { name: "a", args: {} } }, { functionCall: { name: "b", args: {} } }],
          },
          { role: "user", parts: [{ functionResponse: { name: "a", response: { ok: true } } }] },
        ],
      })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(400);
    expect((error as ApiError).message).toContain("number of function response parts");
  });

  test("includeThoughts: a thought part comes first, outside the answer text and its token count", async () => {
    const response = await client.models.generateContent({
      model: "gemini-2.5-pro",
      contents: "Why is the sky blue",
      config: { thinkingConfig: { includeThoughts: true } },
    });
    const parts = response.candidates?.[0]?.content?.parts ?? [];
    expect(parts[0]).toEqual({ text: "Thinking about: Why is the sky blue", thought: true });
    expect(response.text).toBe("Simulated reply to: Why is the sky blue");
    expect(response.usageMetadata).toMatchObject({ candidatesTokenCount: 10, thoughtsTokenCount: 24 });
    const stream = await client.models.generateContentStream({
      model: "gemini-2.5-pro",
      contents: "Why is the sky blue",
      config: { thinkingConfig: { includeThoughts: true } },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]?.candidates?.[0]?.content?.parts?.[0]?.thought).toBe(true);
    expect(chunks.at(-1)?.usageMetadata?.candidatesTokenCount).toBe(10);
  });

  test("images: inlineData needs a MIME type and base64 data", async () => {
    const ask = (inlineData: { mimeType?: string; data?: string }) =>
      client.models.generateContent({
        model: "gemini-2.5-flash",
        contents: [{ role: "user", parts: [{ text: "Describe this" }, { inlineData }] }],
      });
    expect(
      (
        await ask({
          mimeType: "image/png",
          data: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
        })
      ).text,
    ).toBe("Simulated reply to: Describe this");
    const error = await ask({
      data: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(400);
    expect((error as ApiError).message).toContain("mime_type is not specified");
  });
});
