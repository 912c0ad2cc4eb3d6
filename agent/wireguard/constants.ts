/** Protocol constants from the WireGuard whitepaper (section 6) and wireguard-go. */

const text = new TextEncoder();
export const CONSTRUCTION = text.encode("Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s");
export const IDENTIFIER = text.encode("WireGuard v1 zx2c4 Jason@zx2c4.com");
export const LABEL_MAC1 = text.encode("mac1----");
export const LABEL_COOKIE = text.encode("cookie--");

export const KEY_LENGTH = 32;

/**
 * 64-bit counters travel as two 32-bit halves (a double is exact only to 2^53).
 * REKEY_AFTER_MESSAGES = 2^60: the high half of 2^60.
 */
export const REKEY_AFTER_MESSAGES_HI = 0x10000000;
/** REJECT_AFTER_MESSAGES = 2^64 - 2^13 - 1: no counter at or above it is sent or accepted. */
export const REJECT_AFTER_MESSAGES_HI = 0xffffffff;
export const REJECT_AFTER_MESSAGES_LO = 0xffffdfff;

export const REKEY_AFTER_TIME = 120_000;
export const REJECT_AFTER_TIME = 180_000;
export const REKEY_ATTEMPT_TIME = 90_000;
export const REKEY_TIMEOUT = 5_000;
/**
 * Retries counted, not timed, as wireguard-go does: after the first initiation and this many
 * retries (each REKEY_TIMEOUT plus jitter apart), the next expiry gives up. With the first, that is
 * 20 initiations over 100 to 107 s.
 */
export const MAX_HANDSHAKE_RETRIES = REKEY_ATTEMPT_TIME / REKEY_TIMEOUT + 1;
export const REKEY_TIMEOUT_JITTER_MAX = 334;
export const KEEPALIVE_TIMEOUT = 10_000;
export const COOKIE_REFRESH_TIME = 120_000;
/** Initiations from one peer closer together than this are refused (wireguard-go's HandshakeInitationRate). */
export const INITIATION_MIN_INTERVAL = 20;
/** Keys are zeroed after this long without a new handshake. */
export const ZERO_KEYS_AFTER = REJECT_AFTER_TIME * 3;
/** An initiator rekeys on receive when its keypair is this old, so it never hits REJECT_AFTER_TIME mid-flow. */
export const REKEY_ON_RECEIVE_AGE = REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT;

/** Replay window width, as in wireguard-go ((128 - 1) * 64). */
export const REPLAY_WINDOW = 8128;

/** Per-peer bound on packets waiting for a session; the oldest is dropped first. */
export const MAX_QUEUED_PACKETS = 1024;

/** Per-source handshake budget while under load: 20/s with a burst of 5. */
export const HANDSHAKES_PER_SECOND = 20;
export const HANDSHAKE_BURST = 5;
