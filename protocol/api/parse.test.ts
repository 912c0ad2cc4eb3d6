import { describe, expect, it } from "vitest";
import { RegisterResponse } from "./agent.ts";
import { parseApiError, parseResponse, ResponseShapeError } from "./parse.ts";

const registered = {
  credential: "tac_x",
  meshIp: "100.64.0.7",
  cluster: "staging",
  meshPrefix: "100.64.0.0/10",
};

describe("parseResponse", () => {
  it("returns a well-formed answer typed, unknown fields dropped", () => {
    const parsed = parseResponse(RegisterResponse, { ...registered, extra: 1 }, "register response");
    expect(parsed).toEqual(registered);
  });

  it("names the first field that does not fit", () => {
    const bad = { ...registered, meshPrefix: "10.0.0.0/8" };
    expect(() => parseResponse(RegisterResponse, bad, "register response")).toThrow(ResponseShapeError);
    expect(() => parseResponse(RegisterResponse, bad, "register response")).toThrow(
      /^The platform's register response is not what this client expects at "meshPrefix": /,
    );
  });

  it("refuses a body that is not an object at all", () => {
    expect(() => parseResponse(RegisterResponse, "<html>", "register response")).toThrow(
      /register response is not what this client expects: /,
    );
  });
});

describe("parseApiError", () => {
  it("reads the error envelope, with and without details", () => {
    expect(parseApiError({ error: { code: "not_found", message: "No cluster." } })).toEqual({
      code: "not_found",
      message: "No cluster.",
    });
    expect(
      parseApiError({ error: { code: "rate_limited", message: "Wait.", details: { retryAfterSeconds: 3 } } }),
    ).toEqual({ code: "rate_limited", message: "Wait.", details: { retryAfterSeconds: 3 } });
  });

  it.each([null, "Bad Gateway", { error: "boom" }, { error: { code: 5, message: "x" } }, {}])(
    "gives null for %j",
    (body) => {
      expect(parseApiError(body)).toBeNull();
    },
  );
});
