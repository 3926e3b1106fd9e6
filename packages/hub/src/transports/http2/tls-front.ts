import type { Server as HttpServer } from 'node:http';
import type { Http2Server } from 'node:http2';
import type { Socket } from 'node:net';
import { createServer, type TLSSocket, type Server as TlsServer } from 'node:tls';

/** A certificate chain and its private key, PEM. */
export interface TlsCredentials {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
}

/**
 * The hub's TLS port: one listener for HTTP/2 and HTTP/1.1, told apart by ALPN (RFC 7301;
 * RFC 9113 3.2: `h2` is HTTP/2 over TLS). h2 is offered first, so every client that speaks it
 * gets it; a client without ALPN, or choosing `http/1.1`, is HTTP/1.1.
 *
 * A connection is handed, once its handshake is done, to the server that speaks its protocol as
 * if that server had accepted it: the hub's node:http server (which reads it through its raw
 * subscribe intake, cleartext being what a TLSSocket yields) or its node:http2 server. Neither
 * listens itself.
 */
export class TlsFront {
  readonly server: TlsServer;
  /** Connections still in their handshake: nothing is in flight on them when the hub closes. */
  readonly #handshaking = new Set<Socket>();

  constructor(
    credentials: TlsCredentials,
    to: { readonly http1: HttpServer; readonly h2: Http2Server },
    handshakeTimeoutMs: number,
  ) {
    this.server = createServer({
      cert: credentials.cert,
      key: credentials.key,
      ALPNProtocols: ['h2', 'http/1.1'],
      // A client that opens a connection and never finishes the handshake holds a descriptor:
      // it gets as long as a request head does (slowloris).
      handshakeTimeout: handshakeTimeoutMs,
    });
    this.server.on('connection', (socket: Socket) => {
      this.#handshaking.add(socket);
      socket.once('close', () => this.#handshaking.delete(socket));
    });
    this.server.on('secureConnection', (socket: TLSSocket) => {
      // The TLSSocket wraps the TCP socket 'connection' saw (its `_parent`): the handshake is done.
      this.#handshaking.delete((socket as TLSSocket & { _parent?: Socket })._parent ?? socket);
      if (socket.alpnProtocol === 'h2') to.h2.emit('connection', socket);
      else to.http1.emit('connection', socket);
    });
    // node:http starts tracking its connections (idle ones, header deadlines) when it listens:
    // it never does itself here, so it is told when the TLS port does.
    this.server.on('listening', () => to.http1.emit('listening'));
    // A failed handshake (a client that does not trust the certificate, a scanner) costs the
    // socket only, and nothing is answered.
    this.server.on('tlsClientError', (_err: Error, socket: TLSSocket) => socket.destroy());
  }

  /**
   * New credentials for new connections (a renewed certificate, on SIGHUP): connections and
   * streams already open keep theirs and are not dropped.
   */
  setCredentials(credentials: TlsCredentials): void {
    this.server.setSecureContext({ cert: credentials.cert, key: credentials.key });
  }

  /** Ends the connections whose handshake is not done (at shutdown: they would hold close() until their timeout). */
  dropHandshakes(): void {
    for (const socket of this.#handshaking) socket.destroy();
    this.#handshaking.clear();
  }
}
