// The network is injected like time: the same server and NAS code run over real UDP sockets or over
// an in-memory network with loss, delay, duplication and reordering.

export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

export interface BindOptions {
  /** Address to bind, e.g. "127.0.0.1" or "::1". */
  readonly address: string;
  /** 0 asks for an ephemeral port. */
  readonly port: number;
  /** Kernel receive buffer; the default 208 KB overflows above ~150 outstanding requests. */
  readonly recvBufferSize?: number;
  readonly sendBufferSize?: number;
}

/**
 * `queuedMs`, when the transport knows it: how long the datagram waited in the kernel's receive
 * queue before it was read (the batching addon reads on a timer while replies flow, so a reply can
 * wait there up to that period). Whoever times a reply takes it as having arrived that long before
 * the handler ran. Absent (0) for transports that read each datagram as it arrives.
 */
export type DatagramHandler = (data: Buffer, from: Endpoint, queuedMs?: number) => void;

export type PostErrorHandler = (error: Error, to: Endpoint) => void;

export interface DatagramSocket {
  readonly local: Endpoint;
  /**
   * True when every Buffer handed to the message handler is a fresh allocation that nothing else
   * holds, reuses or writes (dgram's): the handler may keep views into it rather than a copy.
   */
  readonly handsOverDatagrams?: boolean;
  send(data: Buffer, to: Endpoint): Promise<void>;
  /**
   * Optional fire-and-forget send for load paths: no promise, no completion callback; a send
   * error is lost traffic, as a dropped datagram would be. Transports without it use send().
   */
  post?(data: Buffer, to: Endpoint): void;
  /**
   * Optional: where a failed post() is reported, with the endpoint it was for. Without a handler a
   * failed post is lost traffic; with one, a server posts its answers (no promise per datagram)
   * and still hears of a send that failed.
   */
  onPostError?(handler: PostErrorHandler): void;
  /** One handler per socket; setting it again replaces the previous one. */
  onMessage(handler: DatagramHandler): void;
  close(): Promise<void>;
}

export interface Transport {
  bind(options: BindOptions): Promise<DatagramSocket>;
}
