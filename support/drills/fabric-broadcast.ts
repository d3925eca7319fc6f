/**
 * Makes a Fabric ordering service cut a block: one signed transaction envelope sent to an orderer's
 * AtomicBroadcast service. Nothing on a Fabric channel creates blocks by itself, so the region-loss drill's
 * ordering probe needs a `submit` (see `fabricOrderingProbe`) that sends something; `broadcastSubmitter` is one.
 *
 * The envelope is an ENDORSER_TRANSACTION whose payload data is a short opaque marker rather than a real
 * endorsed transaction. The orderer checks the envelope's header and signature against the channel's
 * /Channel/Writers policy and orders it without looking inside; peers will validate it and mark it invalid
 * (it is in the block all the same, which is all the drill needs). The signing identity must therefore
 * satisfy /Channel/Writers, e.g. an admin of an ordering organization.
 *
 * The wire format follows Fabric: tx_id = hex(SHA-256(nonce ‖ creator)), creator = a serialized
 * `msp.SerializedIdentity` carrying the enrolment certificate PEM, and an ECDSA P-256 signature over SHA-256 of
 * the payload bytes, DER encoded with a low S (Fabric rejects high-S signatures).
 */
import { createHash, createPrivateKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { common, msp, orderer } from '@hyperledger/fabric-protos';
import { lowSSignatureDer } from '../pki/ecdsa.ts';

export interface BroadcastOptions {
  /** host:port to dial, e.g. 127.0.0.1:41234 from a port-forward */
  address: string;
  /** TLS server name to verify, e.g. org0-orderer1 */
  servername: string;
  /** PEM of the CA(s) that issued the orderer's TLS certificate */
  tlsRootCertPem: string;
  /** for mutual TLS, optional (both or neither) */
  clientCertPem?: string;
  clientKeyPem?: string;
  channel: string;
  /** MSP ID of the signing identity */
  mspId: string;
  /** enrolment cert of an identity satisfying /Channel/Writers, e.g. an orderer org admin */
  signerCertPem: string;
  /** PKCS#8 EC P-256 */
  signerKeyPem: string;
  /** for the whole exchange: connecting, TLS, and the first response (default 10 s) */
  timeoutMs?: number;
}

export interface BroadcastResult {
  /** `common.Status`: 200 SUCCESS, 400 BAD_REQUEST, 403 FORBIDDEN, 503 SERVICE_UNAVAILABLE, ... */
  status: number;
  info: string;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** names for `common.Status` values, for messages */
const statusNames: Record<number, string> = Object.fromEntries(Object.entries(common.Status).map(([name, value]) => [value, name]));

export function statusName(status: number): string {
  return statusNames[status] ?? 'UNKNOWN_STATUS';
}

function bigintFrom(bytes: Uint8Array): bigint {
  return bytes.length ? BigInt(`0x${Buffer.from(bytes).toString('hex')}`) : 0n;
}

/** ECDSA P-256 over SHA-256 of `data`, DER encoded, with S normalized to the lower half of the group order */
export function signLowS(data: Uint8Array, key: KeyObject): Buffer {
  const raw = sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' });
  if (raw.length !== 64) throw new Error(`expected a 64-byte P-256 signature, got ${raw.length} bytes`);
  return Buffer.from(lowSSignatureDer(bigintFrom(raw.subarray(0, 32)), bigintFrom(raw.subarray(32))));
}

function signerKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw new Error(`signer key: not a readable private key (${(err as Error).message})`);
  }
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType !== 'ec' || curve !== 'prime256v1') {
    throw new Error(`signer key: expected an EC P-256 key, got ${key.asymmetricKeyType}${curve ? ` ${curve}` : ''}`);
  }
  return key;
}

/**
 * `google.protobuf.Timestamp` for now. fabric-protos does not re-export the class (it comes from
 * google-protobuf, which is not our dependency), so take it from an empty timestamp decoded out of a header:
 * field 3 of ChannelHeader, length 0.
 */
function timestampNow(now: Date): ReturnType<common.ChannelHeader['getTimestamp']> {
  const ts = common.ChannelHeader.deserializeBinary(Uint8Array.of(0x1a, 0x00)).getTimestamp();
  if (!ts) throw new Error('could not construct a protobuf Timestamp');
  const ms = now.getTime();
  ts.setSeconds(Math.floor(ms / 1000));
  ts.setNanos((ms % 1000) * 1_000_000);
  return ts;
}

/** hex SHA-256 of nonce ‖ creator, as Fabric's protoutil.ComputeTxID */
export function computeTxId(nonce: Uint8Array, creator: Uint8Array): string {
  return createHash('sha256').update(nonce).update(creator).digest('hex');
}

/** The signed ENDORSER_TRANSACTION envelope `broadcastOnce` sends. */
export function signedMarkerEnvelope(o: Pick<BroadcastOptions, 'channel' | 'mspId' | 'signerCertPem' | 'signerKeyPem'>, now = new Date()): common.Envelope {
  const key = signerKey(o.signerKeyPem);

  const identity = new msp.SerializedIdentity();
  identity.setMspid(o.mspId);
  identity.setIdBytes(Buffer.from(o.signerCertPem, 'utf8'));
  const creator = identity.serializeBinary();
  const nonce = randomBytes(24);

  const channelHeader = new common.ChannelHeader();
  channelHeader.setType(common.HeaderType.ENDORSER_TRANSACTION);
  channelHeader.setVersion(0);
  channelHeader.setTimestamp(timestampNow(now));
  channelHeader.setChannelId(o.channel);
  channelHeader.setTxId(computeTxId(nonce, creator));
  channelHeader.setEpoch(0);

  const signatureHeader = new common.SignatureHeader();
  signatureHeader.setCreator(creator);
  signatureHeader.setNonce(nonce);

  const header = new common.Header();
  header.setChannelHeader(channelHeader.serializeBinary());
  header.setSignatureHeader(signatureHeader.serializeBinary());

  const payload = new common.Payload();
  payload.setHeader(header);
  payload.setData(Buffer.from(`ha-conformance drill write ${now.toISOString()}`, 'utf8'));
  const payloadBytes = payload.serializeBinary();

  const envelope = new common.Envelope();
  envelope.setPayload(payloadBytes);
  envelope.setSignature(signLowS(payloadBytes, key));
  return envelope;
}

function credentialsFor(o: BroadcastOptions): grpc.ChannelCredentials {
  if (Boolean(o.clientCertPem) !== Boolean(o.clientKeyPem)) {
    throw new Error('mutual TLS needs both clientCertPem and clientKeyPem');
  }
  return grpc.credentials.createSsl(
    Buffer.from(o.tlsRootCertPem, 'utf8'),
    o.clientKeyPem ? Buffer.from(o.clientKeyPem, 'utf8') : null,
    o.clientCertPem ? Buffer.from(o.clientCertPem, 'utf8') : null,
  );
}

function grpcDetail(err: unknown): string {
  const e = err as Partial<grpc.ServiceError> & Error;
  if (typeof e?.code === 'number') {
    const codeName = grpc.status[e.code] ?? String(e.code);
    // grpc-js appends an empty "Resolution note:" to connection failures
    const detail = (e.details || e.message || '').replace(/\s*Resolution note:\s*$/, '').trim();
    return `${codeName}: ${detail}`;
  }
  return e instanceof Error ? e.message : String(err);
}

/**
 * Sends one signed marker transaction to the orderer at `o.address` and resolves with its first
 * BroadcastResponse (status 200 = SUCCESS: accepted for ordering). Rejects on transport or TLS failure, or when
 * no response arrives within `timeoutMs`; the message names the address and the TLS server name.
 */
export async function broadcastOnce(o: BroadcastOptions): Promise<BroadcastResult> {
  const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const where = `orderer broadcast to ${o.address} (TLS name ${o.servername}, channel ${o.channel})`;
  const envelope = signedMarkerEnvelope(o);
  const credentials = credentialsFor(o);

  const client = new orderer.AtomicBroadcastClient(o.address, credentials, {
    'grpc.ssl_target_name_override': o.servername,
    'grpc.default_authority': o.servername,
  });

  return new Promise<BroadcastResult>((resolve, reject) => {
    let settled = false;
    let call: grpc.ClientDuplexStream<common.Envelope, orderer.BroadcastResponse> | undefined;
    let graceTimer: NodeJS.Timeout | undefined;

    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (call) {
        // Half-close: the orderer answers end-of-stream with an OK status. Should it not, cancel shortly after.
        call.end();
        const c = call;
        graceTimer = setTimeout(() => c.cancel(), 1000);
        graceTimer.unref();
        c.on('status', () => clearTimeout(graceTimer));
      }
      client.close();
      outcome();
    };

    const timer = setTimeout(() => {
      if (call) call.cancel();
      finish(() => reject(new Error(`${where}: no response within ${timeoutMs} ms`)));
    }, timeoutMs);

    try {
      call = client.broadcast({ deadline: Date.now() + timeoutMs });
    } catch (err) {
      finish(() => reject(new Error(`${where}: ${grpcDetail(err)}`)));
      return;
    }
    call.on('data', (response: orderer.BroadcastResponse) => {
      finish(() => resolve({ status: response.getStatus(), info: response.getInfo() }));
    });
    call.on('error', (err: unknown) => {
      // after settling, errors are the stream winding down (e.g. our own cancel)
      finish(() => reject(new Error(`${where}: ${grpcDetail(err)}`)));
    });
    call.on('end', () => {
      finish(() => reject(new Error(`${where}: the stream ended without a response`)));
    });
    call.write(envelope);
  });
}

/**
 * A `submit` for `fabricOrderingProbe`: broadcasts one marker transaction and throws unless the orderer
 * accepted it (status 200). Options may be given lazily, e.g. once a port-forward is up.
 */
export function broadcastSubmitter(o: BroadcastOptions | (() => Promise<BroadcastOptions>)): () => Promise<void> {
  return async () => {
    const options = typeof o === 'function' ? await o() : o;
    const { status, info } = await broadcastOnce(options);
    if (status !== common.Status.SUCCESS) {
      throw new Error(
        `orderer ${options.address} (${options.servername}) refused the transaction on ${options.channel}: status ${status} ${statusName(status)}${info ? `: ${info}` : ''}`,
      );
    }
  };
}
