import type { DecodedAttribute, RadiusPacket } from '../../protocol/index.ts';
import type { RadiusClient } from '../clients.ts';

export interface AccessRequest {
  readonly packet: RadiusPacket;
  /** Decoded with the client's secret, so User-Password is revealed. */
  readonly attributes: readonly DecodedAttribute[];
  readonly client: RadiusClient;
}
