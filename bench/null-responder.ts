// The baseline server for the network benchmarks: a Node process that answers every datagram with
// an attribute-less Access-Accept carrying a correct Response Authenticator (RFC 2865 3), and does
// nothing else. Measured in the same run as the real servers, it shows the ceiling the load
// generator and the shared cores allow: a server close to it is limited by the client, not itself.
//
//   node --import tsx bench/null-responder.ts SECRET RECV_BUFFER_SIZE
// Prints {"event":"started","port":N} on stdout once bound; exits on SIGTERM or when stdin closes.
import { createSocket } from 'node:dgram';
import { PacketCode, RADIUS_HEADER_LENGTH, signResponseAuthenticator } from '../protocol/index.ts';
import { isMainModule } from './script.ts';

export function nullReply(request: Buffer, secret: string): Buffer | undefined {
  if (request.length < RADIUS_HEADER_LENGTH) return undefined;
  const reply = Buffer.alloc(RADIUS_HEADER_LENGTH);
  reply[0] = PacketCode.AccessAccept;
  reply[1] = request[1] ?? 0;
  reply.writeUInt16BE(RADIUS_HEADER_LENGTH, 2);
  const requestAuthenticator = request.subarray(4, RADIUS_HEADER_LENGTH);
  requestAuthenticator.copy(reply, 4);
  signResponseAuthenticator(reply, secret, requestAuthenticator);
  return reply;
}

function main(): void {
  const [secret = 'testing123', bufferText = '4194304'] = process.argv.slice(2);
  const socket = createSocket({ type: 'udp4', recvBufferSize: Number(bufferText) });
  socket.on('message', (data, from) => {
    const reply = nullReply(data, secret);
    if (reply !== undefined) socket.send(reply, from.port, from.address);
  });
  socket.bind(0, '127.0.0.1', () => {
    process.stdout.write(`${JSON.stringify({ event: 'started', port: socket.address().port })}\n`);
  });
  const stop = (): void => {
    socket.close(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.stdin.on('end', stop);
  process.stdin.resume();
}

if (isMainModule(import.meta.url)) main();
