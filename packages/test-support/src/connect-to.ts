import { connect, type Socket } from 'node:net';

/** A connected loopback socket to `port` (rejects when nothing listens). */
export function connectTo(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' }, () => resolve(socket));
    socket.once('error', reject);
  });
}
