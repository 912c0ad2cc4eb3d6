import { env, SELF } from "cloudflare:test";
import type { ControlChannel } from "../../durable-objects/control-channel.ts";
import { ServerMessage } from "../../protocol/control.ts";
import { BASE } from "./http.ts";
import { RelaySocket } from "./pair-relay.ts";

/** Opens `GET /api/v1/agent/control` through the Worker's real fetch entry point. */
export function controlUpgrade(credential: string | null, upgrade = true): Promise<Response> {
  const headers = new Headers();
  if (upgrade) headers.set("upgrade", "websocket");
  if (credential !== null) headers.set("authorization", `Bearer ${credential}`);
  return SELF.fetch(`${BASE}/api/v1/agent/control`, { headers });
}

/** A control socket that parses what the platform sends, so tests can wait for messages by shape. */
export class ControlSocket extends RelaySocket {
  messages(): ServerMessage[] {
    return this.texts.filter((t) => t !== "pong").map((t) => ServerMessage.parse(JSON.parse(t)));
  }

  async next<T extends ServerMessage["type"]>(
    type: T,
    after = 0,
  ): Promise<Extract<ServerMessage, { type: T }>> {
    let found: ServerMessage | undefined;
    await this.until(() => {
      found = this.messages()
        .slice(after)
        .find((m) => m.type === type);
      return found !== undefined;
    }, `a ${type} message`);
    return found as Extract<ServerMessage, { type: T }>;
  }
}

export async function openControl(credential: string): Promise<ControlSocket> {
  const res = await controlUpgrade(credential);
  if (res.status !== 101 || res.webSocket === null) {
    throw new Error(`control upgrade failed: ${res.status} ${await res.text()}`);
  }
  return new ControlSocket(res.webSocket);
}

export function controlStub(cluster: string): DurableObjectStub<ControlChannel> {
  return env.CONTROL.get(env.CONTROL.idFromName(cluster));
}
