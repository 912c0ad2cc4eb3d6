import { createSocket, type Socket } from "node:dgram";

/**
 * Kernel buffer size asked for on both directions of every WireGuard UDP
 * socket (the agent's Conn and the runnable peer). 8 MiB holds about 5,800
 * full-size datagrams: enough to ride out a garbage-collection pause of the
 * event loop at several hundred Mbit/s without the kernel dropping what
 * arrives meanwhile. Linux caps it at net.core.rmem_max/wmem_max, so asking
 * for more than the host allows costs nothing.
 */
export const SOCKET_BUFFER_BYTES = 8 * 1024 * 1024;

/** An IPv4 UDP socket bound to `port` (0: any free port), on `address` or every interface. */
export function bindUdpSocket(port: number, address?: string): Promise<Socket> {
  const socket = createSocket({
    type: "udp4",
    recvBufferSize: SOCKET_BUFFER_BYTES,
    sendBufferSize: SOCKET_BUFFER_BYTES,
  });
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      socket.close();
      reject(err);
    };
    socket.once("error", onError);
    socket.bind({ port, ...(address ? { address } : {}) }, () => {
      socket.off("error", onError);
      resolve(socket);
    });
  });
}
