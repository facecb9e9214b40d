// The simulator checks replayed reasoning as Anthropic and Gemini do, proved with their official SDKs: a history
// pushed back as the SDK returned it passes; a dropped, reordered or altered thinking block or signature is a 400.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { ApiError, type Content, GoogleGenAI, Type } from "@google/genai";
import { type SimulatorHandle, startSimulator } from "../../src/simulator";
import { thinkingSignature } from "../../src/simulator/replay";

let sim: SimulatorHandle;
let anthropic: Anthropic;
let google: GoogleGenAI;
beforeAll(async () => {
  sim = await startSimulator();
  anthropic = new Anthropic({ apiKey: "k", baseURL: sim.url, maxRetries: 0 });
  google = new GoogleGenAI({ apiKey: "k", httpOptions: { baseUrl: sim.url } });
});
afterAll(() => sim.stop());

describe("Anthropic", () => {
  const tools: Anthropic.Tool[] = [
    { name: "get_weather", input_schema: { type: "object", properties: { city: { type: "string" } } } },
  ];
  const thinking = { type: "adaptive" } as const;

  async function toolTurn() {
    const user: Anthropic.MessageParam = { role: "user", content: "Weather in Paris?" };
    const first = await anthropic.messages.create({
      model: "claude-sonnet-4-6",
      max_tokens: 512,
      tools,
      thinking,
      messages: [user],
    });
    const use = first.content.find((block) => block.type === "tool_use") as Anthropic.ToolUseBlock;
    const result: Anthropic.MessageParam = {
      role: "user",
      content: [{ type: "tool_result", tool_use_id: use.id, content: "18" }],
    };
    return { user, first, result };
  }

  const refusal = async (messages: Anthropic.MessageParam[], on = true) => {
    const error = await anthropic.messages
      .create({ model: "claude-sonnet-4-6", max_tokens: 512, tools, messages, ...(on ? { thinking } : {}) })
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    return (
      (error as InstanceType<typeof Anthropic.APIError>).error as { error: { type: string; message: string } }
    ).error;
  };

  test("the signature is bound to the thinking text; the answer pushed back whole continues the tool loop", async () => {
    const { user, first, result } = await toolTurn();
    expect(first.content.map((block) => block.type)).toEqual(["thinking", "tool_use"]);
    const block = first.content[0] as Anthropic.ThinkingBlock;
    expect(block.signature).toBe(thinkingSignature(block.thinking));
    const next = await anthropic.messages.create({
      model: "claude-sonnet-4-6",
      max_tokens: 512,
      tools,
      thinking,
      messages: [user, { role: "assistant", content: first.content }, result],
    });
    expect(next.stop_reason).toBe("end_turn");
  });

  test("without its thinking block, the tool loop's assistant turn is refused as Anthropic refuses it", async () => {
    const { user, first, result } = await toolTurn();
    const bare = first.content.filter((block) => block.type !== "thinking");
    const error = await refusal([user, { role: "assistant", content: bare }, result]);
    expect(error.type).toBe("invalid_request_error");
    expect(error.message).toStartWith(
      "messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `tool_use`. When `thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks).",
    );
  });

  test("the turn is the whole run of calls: a later step without a block passes; a block altered fails its signature", async () => {
    const { user, first, result } = await toolTurn();
    const use = first.content[1] as Anthropic.ToolUseBlock;
    const again: Anthropic.ToolUseBlock = { ...use, id: `${use.id}b` };
    const later: Anthropic.MessageParam[] = [
      { role: "assistant", content: [again] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: again.id, content: "19" }] },
    ];
    const ok = await anthropic.messages.create({
      model: "claude-sonnet-4-6",
      max_tokens: 512,
      tools,
      thinking,
      messages: [user, { role: "assistant", content: first.content }, result, ...later],
    });
    expect(ok.stop_reason).toBe("end_turn");
    const block = first.content[0] as Anthropic.ThinkingBlock;
    const altered = [{ ...block, thinking: `${block.thinking}!` }, use];
    const error = await refusal([user, { role: "assistant", content: altered }, result]);
    expect(error.message).toBe("messages.1.content.0: Invalid `signature` in `thinking` block");
  });

  test("with thinking off, the last assistant message may not hold thinking; a tool_use id must match the pattern", async () => {
    const { user, first, result } = await toolTurn();
    const off = await refusal([user, { role: "assistant", content: first.content }, result], false);
    expect(off.message).toStartWith(
      "messages.1.content.0: When thinking is disabled, an `assistant` message",
    );
    const use = first.content[1] as Anthropic.ToolUseBlock;
    const signed = { ...use, id: `${use.id}__thought__abc+/=` };
    const badId = await refusal([
      user,
      { role: "assistant", content: [first.content[0]!, signed] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: signed.id, content: "18" }] },
    ]);
    expect(badId.message).toBe(
      "messages.1.content.1.tool_use.id: String should match pattern '^[a-zA-Z0-9_-]+$'",
    );
  });
});

describe("Gemini", () => {
  const config = {
    tools: [
      {
        functionDeclarations: [
          {
            name: "get_weather",
            parameters: { type: Type.OBJECT, properties: { city: { type: Type.STRING } } },
          },
        ],
      },
    ],
  };
  const user: Content = { role: "user", parts: [{ text: "Weather in Paris?" }] };
  const response: Content = {
    role: "user",
    parts: [{ functionResponse: { name: "get_weather", response: { c: 18 } } }],
  };

  async function loop(model: string, edit: (turn: Content) => Content = (turn) => turn) {
    const first = await google.models.generateContent({ model, contents: [user], config });
    const turn = first.candidates?.[0]?.content as Content;
    return google.models.generateContent({ model, contents: [user, edit(turn), response], config });
  }
  const unsigned = (turn: Content): Content => ({
    ...turn,
    parts: turn.parts?.map(({ thoughtSignature: _signature, ...part }) => part),
  });

  test("Gemini 3 signs its call; the turn pushed back continues, without the signature it is a 400", async () => {
    const first = await google.models.generateContent({
      model: "gemini-3-pro-preview",
      contents: [user],
      config,
    });
    expect(first.candidates?.[0]?.content?.parts?.[0]?.thoughtSignature).toBeString();
    expect((await loop("gemini-3-pro-preview")).text).toStartWith("Simulated answer using the tool result");
    const error = await loop("gemini-3-pro-preview", unsigned).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(400);
    const body = JSON.parse((error as ApiError).message).error as { status: string; message: string };
    expect(body.status).toBe("INVALID_ARGUMENT");
    expect(body.message).toStartWith(
      "Function call `get_weather` in the `1.` content block is missing a `thought_signature`.",
    );
  });

  test("a signature altered is corrupted; Google's stand-in passes; Gemini 2.5 takes a call without one", async () => {
    const altered = (turn: Content): Content => ({
      ...turn,
      parts: turn.parts?.map((part) => ({ ...part, thoughtSignature: "c2lnbmF0dXJl" })),
    });
    const error = await loop("gemini-3-pro-preview", altered).catch((caught: unknown) => caught);
    expect(JSON.parse((error as ApiError).message).error.message).toBe("Corrupted thought signature.");
    const standIn = (turn: Content): Content => ({
      ...turn,
      parts: turn.parts?.map((part) => ({ ...part, thoughtSignature: "skip_thought_signature_validator" })),
    });
    expect((await loop("gemini-3-pro-preview", standIn)).text).toStartWith("Simulated answer");
    expect((await loop("gemini-2.5-flash", unsigned)).text).toStartWith("Simulated answer");
  });
});
