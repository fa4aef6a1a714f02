// Codec throughput: a typical PAP Access-Request (with Message-Authenticator) and its Access-Accept,
// encoded and decoded by radmfa's protocol layer and by the npm `radius` package, in the same
// process and the same run, interleaved, several repetitions, median reported.
//
//   npx tsx bench/codec.ts [--iterations 20000] [--repetitions 5] ...
import {
  PacketCode,
  attributeValue,
  buildRequest,
  buildResponse,
  decodeAndVerifyRequest,
  decodeAttributes,
  decodePacket,
  verifyResponse,
  type AttributeInput,
  type RadiusPacket,
} from '../protocol/index.ts';
import type { Issue } from '../runtime/validation/index.ts';
import {
  radiusPackage,
  radiusPackageVersion,
  type RadiusPackageAttribute,
  type RadiusPackageDecoded,
} from './radius-package.ts';
import { formatNumber, formatRatio, formatTable, median, ratio, round } from './report.ts';
import { isMainModule, outParam, runAsScript, type BenchDefinition } from './script.ts';

export const codecParams = {
  iterations: {
    type: 'integer',
    default: 20_000,
    min: 1,
    max: 10_000_000,
    description: 'operations per sample',
  },
  repetitions: {
    type: 'integer',
    default: 5,
    min: 1,
    max: 100,
    description: 'samples per phase and implementation (median reported)',
  },
  warmup: {
    type: 'integer',
    default: 5_000,
    min: 0,
    max: 1_000_000,
    description: 'untimed operations per phase and implementation before the first sample',
  },
  maxSecondsPerSample: {
    type: 'number',
    default: 5,
    min: 0.01,
    max: 600,
    description: 'time bound of one sample (it stops early and counts what it did)',
  },
  quick: {
    type: 'boolean',
    default: false,
    description: 'short informational run for CI: 2,000 iterations, one repetition, 500 warm-up',
  },
  out: outParam,
} as const;

export type CodecParams = {
  readonly iterations: number;
  readonly repetitions: number;
  readonly warmup: number;
  readonly maxSecondsPerSample: number;
  readonly quick?: boolean;
  readonly out: string;
};

export const codecPhases = [
  'request-encode',
  'request-decode',
  'response-encode',
  'response-decode',
  'round-trip',
] as const;
export type CodecPhase = (typeof codecPhases)[number];

const phaseDescriptions: Readonly<Record<CodecPhase, string>> = {
  'request-encode': 'NAS: build and sign the Access-Request (PAP hiding, Message-Authenticator)',
  'request-decode': 'server: decode, verify Message-Authenticator, decode attributes, reveal password',
  'response-encode': 'server: build the Access-Accept (Message-Authenticator, Response Authenticator)',
  'response-decode': 'NAS: verify the Access-Accept against the request and decode its attributes',
  'round-trip': 'all four steps on a fresh request',
};

export type CodecImplementation = 'radmfa' | 'radius';

export interface CodecSample {
  readonly operations: number;
  readonly seconds: number;
  readonly opsPerSec: number;
  /** True when the sample hit its time bound before `iterations`. */
  readonly timeBound: boolean;
}

export interface CodecPhaseResult {
  readonly phase: CodecPhase;
  readonly description: string;
  readonly radmfa: { readonly medianOpsPerSec: number; readonly samples: readonly CodecSample[] };
  readonly radius: { readonly medianOpsPerSec: number; readonly samples: readonly CodecSample[] };
  /** radmfa ops/s divided by the radius package's: above 1 means radmfa is faster. */
  readonly ratioRadmfaToRadius: number | null;
}

export interface CodecResults {
  readonly radiusPackageVersion: string;
  readonly requestOctets: { readonly radmfa: number; readonly radius: number };
  readonly responseOctets: { readonly radmfa: number; readonly radius: number };
  /** Each codec decodes and verifies the other's packets before anything is timed. */
  readonly crossCheck: Readonly<Record<string, boolean>>;
  readonly phases: readonly CodecPhaseResult[];
  readonly notes: readonly string[];
}

const SECRET = 'testing123';
const PASSWORD = 'Passw0rd!';

/** What a VPN concentrator typically sends for a PAP login. */
const requestAttributes: readonly AttributeInput[] = [
  { name: 'User-Name', value: 'alice' },
  { name: 'User-Password', value: PASSWORD },
  { name: 'NAS-IP-Address', value: '192.0.2.10' },
  { name: 'NAS-Identifier', value: 'vpn-gw-1' },
  { name: 'NAS-Port', value: 17 },
  { name: 'NAS-Port-Type', value: 'Virtual' },
  { name: 'Service-Type', value: 'Framed-User' },
  { name: 'Calling-Station-Id', value: '198.51.100.7' },
  { name: 'Called-Station-Id', value: '192.0.2.10' },
  { name: 'Acct-Session-Id', value: '0000001A' },
];

/** What a policy typically returns with the accept. */
const responseAttributes: readonly AttributeInput[] = [
  { name: 'Class', value: Buffer.from('vpn-users') },
  { name: 'Filter-Id', value: 'user-acl' },
  { name: 'Session-Timeout', value: 3600 },
  { name: 'Framed-IP-Address', value: '10.8.0.17' },
];

function asPackageAttributes(inputs: readonly AttributeInput[]): RadiusPackageAttribute[] {
  return inputs.map((input) => {
    const value = input.value;
    if (typeof value === 'string' || typeof value === 'number' || Buffer.isBuffer(value))
      return [input.name, value];
    throw new Error(`no radius-package form for ${input.name}`);
  });
}

const packageRequestAttributes = asPackageAttributes(requestAttributes);
const packageResponseAttributes = asPackageAttributes(responseAttributes);

/** One codec seen through the four steps of a PAP exchange. */
interface Codec<Decoded> {
  encodeRequest(identifier: number): Buffer;
  decodeRequest(bytes: Buffer): Decoded;
  encodeResponse(request: Decoded): Buffer;
  /** Verified and decoded response; returns a value derived from it so nothing is optimised away. */
  decodeResponse(request: Buffer, response: Buffer): number;
  /** The revealed User-Password, to check the decode really happened. */
  password(decoded: Decoded): string;
}

interface RadmfaDecoded {
  readonly packet: RadiusPacket;
  readonly password: string;
}

const radmfaCodec: Codec<RadmfaDecoded> = {
  encodeRequest: (identifier) =>
    buildRequest({
      code: PacketCode.AccessRequest,
      identifier,
      attributes: requestAttributes,
      secret: SECRET,
    }).bytes,
  decodeRequest: (bytes) => {
    const decoded = decodeAndVerifyRequest(bytes, SECRET);
    if (!decoded.ok) throw new Error(`radmfa rejected the request: ${decoded.message}`);
    const attributes = decodeAttributes(decoded.value.attributes, {
      secret: SECRET,
      requestAuthenticator: decoded.value.authenticator,
    });
    const password = attributeValue(attributes, 'User-Password');
    // The dictionary types User-Password as octets: the revealed value is a Buffer.
    const text = Buffer.isBuffer(password) ? password.toString('utf8') : String(password ?? '');
    return { packet: decoded.value, password: text };
  },
  encodeResponse: (request) =>
    buildResponse({
      code: PacketCode.AccessAccept,
      request: request.packet,
      attributes: responseAttributes,
      secret: SECRET,
    }).bytes,
  decodeResponse: (request, response) => {
    const decoded = decodePacket(response);
    if (!decoded.ok) throw new Error(`radmfa could not decode the response: ${decoded.message}`);
    const verified = verifyResponse(response, decoded.value, request.subarray(4, 20), SECRET);
    if (!verified.ok) throw new Error(`radmfa rejected the response: ${verified.message}`);
    return decodeAttributes(decoded.value.attributes).length;
  },
  password: (decoded) => decoded.password,
};

const radiusCodec: Codec<RadiusPackageDecoded> = {
  encodeRequest: (identifier) =>
    radiusPackage.encode({
      code: 'Access-Request',
      secret: SECRET,
      identifier,
      // A fresh array each time: the package appends Message-Authenticator to the one it is given.
      attributes: [...packageRequestAttributes],
      add_message_authenticator: true,
    }),
  decodeRequest: (bytes) => radiusPackage.decode({ packet: bytes, secret: SECRET }),
  encodeResponse: (request) =>
    radiusPackage.encode_response({
      packet: request,
      code: 'Access-Accept',
      secret: SECRET,
      attributes: [...packageResponseAttributes],
    }),
  decodeResponse: (request, response) => {
    // The package verifies and decodes in separate calls; a NAS needs both.
    if (!radiusPackage.verify_response({ request, response, secret: SECRET })) {
      throw new Error('the radius package rejected the response');
    }
    return Object.keys(radiusPackage.decode({ packet: response, secret: SECRET }).attributes).length;
  },
  password: (decoded) => {
    const value = decoded.attributes['User-Password'];
    return typeof value === 'string' ? value : '';
  },
};

function crossCheck(): Record<string, boolean> {
  const radmfaRequest = radmfaCodec.encodeRequest(1);
  const packageRequest = radiusCodec.encodeRequest(2);
  const radmfaResponse = radmfaCodec.encodeResponse(radmfaCodec.decodeRequest(radmfaRequest));
  const packageResponse = radiusCodec.encodeResponse(radiusCodec.decodeRequest(packageRequest));
  const checks: Record<string, () => boolean> = {
    radiusDecodesRadmfaRequest: () =>
      radiusCodec.password(radiusCodec.decodeRequest(radmfaRequest)) === PASSWORD,
    radmfaDecodesRadiusRequest: () =>
      radmfaCodec.password(radmfaCodec.decodeRequest(packageRequest)) === PASSWORD,
    radiusVerifiesRadmfaResponse: () =>
      radiusPackage.verify_response({
        request: radmfaRequest,
        response: Buffer.from(radmfaResponse),
        secret: SECRET,
      }),
    radmfaVerifiesRadiusResponse: () => radmfaCodec.decodeResponse(packageRequest, packageResponse) > 0,
  };
  const results: Record<string, boolean> = {};
  for (const [name, check] of Object.entries(checks)) {
    try {
      results[name] = check();
    } catch {
      results[name] = false;
    }
  }
  return results;
}

/** One timed loop, bounded by count and by time (the clock is read every 256 operations). */
function timeLoop(iterations: number, maxSeconds: number, step: (i: number) => number): CodecSample {
  const deadline = process.hrtime.bigint() + BigInt(Math.round(maxSeconds * 1e9));
  let sink = 0;
  const start = process.hrtime.bigint();
  let done = 0;
  let timeBound = false;
  while (done < iterations) {
    const stop = Math.min(iterations, done + 256);
    for (; done < stop; done++) sink += step(done);
    if (process.hrtime.bigint() > deadline) {
      timeBound = done < iterations;
      break;
    }
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (sink === -1) process.stderr.write('');
  return { operations: done, seconds: round(seconds, 4), opsPerSec: round(done / seconds, 0), timeBound };
}

/** The step function for one phase, with its inputs prepared outside the timed loop. */
function phaseStep<D>(codec: Codec<D>, phase: CodecPhase): (i: number) => number {
  const request = codec.encodeRequest(7);
  const decoded = codec.decodeRequest(request);
  const response = codec.encodeResponse(decoded);
  switch (phase) {
    case 'request-encode':
      return (i) => codec.encodeRequest(i & 0xff).length;
    case 'request-decode':
      return () => codec.password(codec.decodeRequest(request)).length;
    case 'response-encode':
      return () => codec.encodeResponse(decoded).length;
    case 'response-decode':
      return () => codec.decodeResponse(request, response);
    case 'round-trip':
      return (i) => {
        const bytes = codec.encodeRequest(i & 0xff);
        const req = codec.decodeRequest(bytes);
        return codec.decodeResponse(bytes, codec.encodeResponse(req));
      };
  }
}

export async function runCodecBench(
  input: CodecParams,
  progress: (line: string) => void = () => {},
): Promise<CodecResults> {
  const params = input.quick === true ? { ...input, iterations: 2_000, repetitions: 1, warmup: 500 } : input;
  const checks = crossCheck();
  const failed = Object.entries(checks).filter(([, passed]) => !passed);
  if (failed.length > 0) {
    throw new Error(`codecs disagree, nothing timed: ${failed.map(([name]) => name).join(', ')}`);
  }
  const codecs = { radmfa: radmfaCodec, radius: radiusCodec } as const;
  const samples = new Map<string, CodecSample[]>();
  const steps = new Map<string, (i: number) => number>();
  for (const phase of codecPhases) {
    for (const impl of ['radmfa', 'radius'] as const) {
      const step = impl === 'radmfa' ? phaseStep(codecs.radmfa, phase) : phaseStep(codecs.radius, phase);
      steps.set(`${phase}/${impl}`, step);
      samples.set(`${phase}/${impl}`, []);
      if (params.warmup > 0) timeLoop(params.warmup, params.maxSecondsPerSample, step);
    }
  }
  for (let rep = 0; rep < params.repetitions; rep++) {
    // Alternate which implementation goes first, so neither always runs on a warmer (or hotter) CPU.
    const order: readonly CodecImplementation[] = rep % 2 === 0 ? ['radmfa', 'radius'] : ['radius', 'radmfa'];
    for (const phase of codecPhases) {
      for (const impl of order) {
        const step = steps.get(`${phase}/${impl}`);
        if (step === undefined) continue;
        samples.get(`${phase}/${impl}`)?.push(timeLoop(params.iterations, params.maxSecondsPerSample, step));
      }
    }
    progress(`codec: repetition ${rep + 1}/${params.repetitions} done`);
    // Let other work (and a pending progress write) run between repetitions.
    await new Promise((resolve) => setImmediate(resolve));
  }
  const phases = codecPhases.map((phase): CodecPhaseResult => {
    const radmfaSamples = samples.get(`${phase}/radmfa`) ?? [];
    const radiusSamples = samples.get(`${phase}/radius`) ?? [];
    const radmfaMedian = median(radmfaSamples.map((s) => s.opsPerSec));
    const radiusMedian = median(radiusSamples.map((s) => s.opsPerSec));
    return {
      phase,
      description: phaseDescriptions[phase],
      radmfa: { medianOpsPerSec: radmfaMedian, samples: radmfaSamples },
      radius: { medianOpsPerSec: radiusMedian, samples: radiusSamples },
      ratioRadmfaToRadius: ratio(radmfaMedian, radiusMedian),
    };
  });
  const radmfaRequest = radmfaCodec.encodeRequest(1);
  const packageRequest = radiusCodec.encodeRequest(1);
  return {
    radiusPackageVersion: radiusPackageVersion(),
    requestOctets: { radmfa: radmfaRequest.length, radius: packageRequest.length },
    responseOctets: {
      radmfa: radmfaCodec.encodeResponse(radmfaCodec.decodeRequest(radmfaRequest)).length,
      radius: radiusCodec.encodeResponse(radiusCodec.decodeRequest(packageRequest)).length,
    },
    crossCheck: checks,
    phases,
    notes: [
      'Same process, same run; implementations interleaved per repetition; median of the samples.',
      'radmfa puts Message-Authenticator first (Blast-RADIUS guidance); the radius package appends it last.',
      'The radius package verifies a response and decodes it in two calls (verify_response re-decodes the request); both are timed, as a NAS needs both.',
      'Ratios above 1 mean radmfa is faster.',
    ],
  };
}

export function renderCodecResults(results: CodecResults): string {
  const rows: string[][] = [['phase', 'radmfa ops/s', 'radius ops/s', 'radmfa/radius']];
  for (const phase of results.phases) {
    rows.push([
      phase.phase,
      formatNumber(phase.radmfa.medianOpsPerSec),
      formatNumber(phase.radius.medianOpsPerSec),
      formatRatio(phase.ratioRadmfaToRadius),
    ]);
  }
  return [
    `codec: PAP Access-Request (${results.requestOctets.radmfa} octets) + Access-Accept (${results.responseOctets.radmfa} octets), radius package ${results.radiusPackageVersion}, median ops/s`,
    formatTable(rows),
    ...results.notes.map((note) => `- ${note}`),
  ].join('\n');
}

function checkCodecParams(params: CodecParams): Issue[] {
  return params.iterations * params.repetitions > 50_000_000
    ? [
        {
          path: '--iterations',
          message: `iterations x repetitions is ${params.iterations * params.repetitions}`,
          fix: 'keep iterations x repetitions at or below 50,000,000',
        },
      ]
    : [];
}

export const codecBench: BenchDefinition<typeof codecParams, CodecResults> = {
  name: 'codec',
  summary:
    "Encode+decode of a PAP Access-Request and its Access-Accept: radmfa's codec vs the npm radius package.",
  params: codecParams,
  check: checkCodecParams,
  run: (params, io) => runCodecBench(params, io.progress),
  render: renderCodecResults,
};

if (isMainModule(import.meta.url)) runAsScript(codecBench);
