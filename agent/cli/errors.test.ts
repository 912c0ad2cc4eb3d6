import { describe, expect, it } from "vitest";
import { ApiError, NetworkError } from "../control/platform-errors.ts";
import { describeError, UsageError } from "./errors.ts";

describe("describeError", () => {
  it("formats API errors with status and code, exit 1", () => {
    expect(describeError(new ApiError(404, "not_found", 'Cluster "x" not found.'))).toEqual({
      line: 'Cluster "x" not found. (HTTP 404 not_found)',
      exitCode: 1,
    });
  });

  it("adds YAML line and column from details when the message lacks them", () => {
    const err = new ApiError(422, "invalid_values", "Annotation is not valid YAML.", { line: 2, column: 7 });
    expect(describeError(err).line).toBe(
      "Annotation is not valid YAML at line 2, column 7 (HTTP 422 invalid_values)",
    );
  });

  it("does not repeat a position the message already states", () => {
    const err = new ApiError(422, "invalid_yaml", "bad YAML at line 2, column 7", { line: 2, column: 7 });
    expect(describeError(err).line).toBe("bad YAML at line 2, column 7 (HTTP 422 invalid_yaml)");
  });

  it("keeps multi-line messages on one line", () => {
    expect(describeError(new NetworkError("a\n  b")).line).toBe("a b");
  });

  it("gives usage errors exit code 2 and anything else exit code 1", () => {
    expect(describeError(new UsageError("no")).exitCode).toBe(2);
    expect(describeError(new NetworkError("down")).exitCode).toBe(1);
    expect(describeError("weird").exitCode).toBe(1);
  });
});
