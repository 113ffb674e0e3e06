// The TypeScript MCP SDK's stdio client (@modelcontextprotocol/sdk, pinned in package.json)
// driving `hubkey mcp`; run by test_js_client.py. One JSON argument:
//   {command, args, env, sandbox, scenario: "basic" | "expiry" | "concurrent"}
// `env` is merged over the SDK's getDefaultEnvironment() by the SDK itself, as for any client
// config. Prints one JSON line with what it saw; exits non-zero on any failure.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport, getDefaultEnvironment } from "@modelcontextprotocol/sdk/client/stdio.js";

const cfg = JSON.parse(process.argv[2]);

async function advance(secs) {
  const r = await fetch(`${cfg.sandbox}/_sandbox/advance`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ secs }),
  });
  if (!r.ok) throw new Error(`advance: HTTP ${r.status}`);
}

const hubOf = (result) => {
  if (result.isError) throw new Error(`tool error: ${JSON.stringify(result)}`);
  return JSON.parse(result.content[0].text).hubId;
};

const transport = new StdioClientTransport({ command: cfg.command, args: cfg.args, env: cfg.env, stderr: "pipe" });
let stderr = "";
transport.stderr?.on("data", (chunk) => { stderr += chunk; });
const client = new Client({ name: "hubkey-js-test", version: "1.0.0" });
const out = { defaultEnv: Object.keys(getDefaultEnvironment()).sort() };
try {
  await client.connect(transport);
  out.server = client.getServerVersion()?.name;
  out.tools = (await client.listTools()).tools.map((t) => t.name).sort();
  out.hubs = [hubOf(await client.callTool({ name: "get_user_details", arguments: {} }))];
  if (cfg.scenario === "expiry") {
    await advance(1801);
    out.hubs.push(hubOf(await client.callTool({ name: "get_user_details", arguments: {} })));
  } else if (cfg.scenario === "concurrent") {
    await advance(1801);
    const many = await Promise.all(
      Array.from({ length: 20 }, () => client.callTool({ name: "get_user_details", arguments: {} })),
    );
    out.hubs.push(...many.map(hubOf));
  }
  await client.close();
  out.stderr = stderr;
  console.log(JSON.stringify(out));
} catch (e) {
  console.log(JSON.stringify({ ...out, error: String(e?.message ?? e), stderr }));
  await client.close().catch(() => {});
  process.exit(1);
}
