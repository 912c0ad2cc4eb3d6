/**
 * What a revoked cluster's status and CredentialRevoked condition say: the cause and the way back.
 * The agent is cut off, so the fix is a new PSK and the connect command printed with it.
 */
export function revokedMessage(at: number): string {
  return `The agent's credential was revoked at ${new Date(at).toISOString()}: its credential and PSK no longer work. To reconnect, rotate the PSK and run the new connect command.`;
}
