/** Waits, in real time and at most about 2 s, for something asynchronous (a socket, an HTTP round trip) to land. */
export async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}
