/**
 * ECDSA P-256 signatures as Fabric wants them: DER `ECDSA-Sig-Value` with a low S (s <= n/2). Fabric's BCCSP
 * signs that way and rejects high-S signatures on transactions; its MSP "sanitizes" certificates to it. Used by
 * the certificate issuer (certificate signatures) and the broadcast submitter (envelope signatures).
 */

/** The order n of the P-256 group. */
export const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/** s, or n − s when s is in the upper half: the two make equally valid signatures over the same data. */
export function lowS(s: bigint): bigint {
  return s > P256_ORDER / 2n ? P256_ORDER - s : s;
}

/** A DER TLV (single-byte tag, definite length). */
export function encodeTlv(tag: number, content: Uint8Array): Uint8Array<ArrayBuffer> {
  const len = content.length;
  let header: number[];
  if (len < 0x80) header = [tag, len];
  else {
    const bytes: number[] = [];
    for (let l = len; l > 0; l = Math.floor(l / 256)) bytes.unshift(l % 256);
    header = [tag, 0x80 | bytes.length, ...bytes];
  }
  return Buffer.concat([Uint8Array.from(header), content]);
}

/** A positive INTEGER, minimally encoded (a leading 0x00 only when the top bit would otherwise be set). */
export function encodeUnsignedInteger(v: bigint): Uint8Array<ArrayBuffer> {
  let hex = v.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  let bytes = Buffer.from(hex, 'hex');
  if (bytes[0] & 0x80) bytes = Buffer.concat([Uint8Array.of(0), bytes]);
  return encodeTlv(0x02, bytes);
}

/** ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }, with s made low. */
export function lowSSignatureDer(r: bigint, s: bigint): Uint8Array<ArrayBuffer> {
  return encodeTlv(0x30, Buffer.concat([encodeUnsignedInteger(r), encodeUnsignedInteger(lowS(s))]));
}
