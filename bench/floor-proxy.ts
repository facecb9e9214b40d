// The floor: a bare Bun pass-through proxy (buffer the body, fetch upstream, return its response as is).
// Whatever the gateway adds is measured against this, in the same run.

const upstream = process.env.UPSTREAM ?? "http://127.0.0.1:9000";
const server = Bun.serve({
  port: Number(process.env.PORT ?? 0),
  hostname: "127.0.0.1",
  async fetch(request) {
    const url = new URL(request.url);
    const body = await request.text();
    const headers = new Headers(request.headers);
    headers.delete("host");
    return fetch(`${upstream}${url.pathname}`, {
      method: request.method,
      headers,
      body,
      signal: request.signal,
    });
  },
});
console.log(`READY ${server.port}`);
