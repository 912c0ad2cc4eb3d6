import { describe, expect, it } from "vitest";
import { HttpError } from "../http/errors.ts";
import { decodeCursor, encodeCursor } from "./cursor.ts";

describe("cursor", () => {
  it("round-trips a cluster name", () => {
    for (const name of ["a", "staging-x1y2z", "z".repeat(63)])
      expect(decodeCursor(encodeCursor(name))).toBe(name);
  });

  it.each(["!!!", "a=", encodeCursor("Not_A_Label"), encodeCursor("../etc"), "_w", "////"])(
    "rejects %j with 400 invalid_cursor",
    (cursor) => {
      try {
        decodeCursor(cursor);
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(HttpError);
        expect((err as HttpError).status).toBe(400);
        expect((err as HttpError).code).toBe("invalid_cursor");
      }
    },
  );
});
