// A second reference for `bun run bench:cpu`: the least a gateway that adds `spendex` must do. It parses the
// request, calls the upstream, parses its JSON, adds a fixed `spendex` object and five headers, and serialises it
// again: no keys, budgets, log or timeouts. The distance from the floor to this proxy is the cost of reading and
// rewriting the body; the distance from this proxy to the gateway is everything else we do.

export {};

const upstream = process.env.UPSTREAM ?? "http://127.0.0.1:9000";
const SPENDEX = {
  routed_model: "gpt-5-nano",
  provider: "openai",
  tier: "simple",
  cost_usd: 0.000004,
  saved_usd: 0,
  baseline_model: "gpt-5",
  request_id: "req_019ac0de0000700080000000000000000",
};
const server = Bun.serve({
  port: Number(process.env.PORT ?? 0),
  hostname: "127.0.0.1",
  async fetch(request) {
    const chat = JSON.parse(await request.text());
    const response = await fetch(`${upstream}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: "Bearer sk-bench", "content-type": "application/json" },
      body: JSON.stringify(chat),
      signal: request.signal,
    });
    const body = JSON.parse(await response.text());
    body.spendex = SPENDEX;
    return new Response(JSON.stringify(body), {
      status: response.status,
      headers: {
        "content-type": "application/json",
        "x-request-id": SPENDEX.request_id,
        "server-timing": "authenticate;dur=0.004, parse;dur=0.011, decide;dur=0.001, dispatch;dur=0.2",
        "x-spendex-routed-model": "openai/gpt-5-nano",
        "x-spendex-tier": "simple",
      },
    });
  },
});
console.log(`READY ${server.port}`);
