import { describe, expect, it } from "vitest";
import type { AgentState } from "../control/state-file.ts";
import { STATE_SECRET_KEY, stateFromSecretData } from "./secret-state-store.ts";

const STATE: AgentState = {
  version: 1,
  platform: "https://platform.example",
  cluster: "staging",
  privateKey: "cHJpdmF0ZS1rZXktYnl0ZXMtMzItbG9uZy1lbm91Z2g=",
  credential: "tac_abc",
  meshIp: "100.64.0.2",
  meshPrefix: "100.64.0.0/10",
  clusterUid: "7d7e1c2a-0000-4000-8000-000000000001",
};

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

// The round trip through a real API server is in test/k8s/identity-store.test.ts.
describe("stateFromSecretData", () => {
  it("decodes the identity the store writes", () => {
    expect(stateFromSecretData({ [STATE_SECRET_KEY]: b64(JSON.stringify(STATE)) }, "secret a/b")).toEqual(
      STATE,
    );
  });

  it("has no identity in an empty Secret (as the chart creates it)", () => {
    expect(stateFromSecretData(undefined, "secret a/b")).toBeNull();
    expect(stateFromSecretData({}, "secret a/b")).toBeNull();
    expect(stateFromSecretData({ other: b64("x") }, "secret a/b")).toBeNull();
  });

  it("refuses broken JSON and missing fields, naming the Secret and the key", () => {
    expect(() => stateFromSecretData({ [STATE_SECRET_KEY]: b64("{not json") }, "secret t/s")).toThrow(
      "secret t/s key agent-state.json is not valid JSON; delete that key to register again",
    );
    const { credential: _dropped, ...partial } = STATE;
    expect(() =>
      stateFromSecretData({ [STATE_SECRET_KEY]: b64(JSON.stringify(partial)) }, "secret t/s"),
    ).toThrow("secret t/s key agent-state.json is missing fields");
    expect(() =>
      stateFromSecretData(
        { [STATE_SECRET_KEY]: b64(JSON.stringify({ ...STATE, version: 2 })) },
        "secret t/s",
      ),
    ).toThrow("missing fields");
    expect(() => stateFromSecretData({ [STATE_SECRET_KEY]: b64("null") }, "secret t/s")).toThrow(
      "missing fields",
    );
  });
});
