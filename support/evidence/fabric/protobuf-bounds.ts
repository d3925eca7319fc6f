/**
 * google-protobuf (under @hyperledger/fabric-protos) trusts the lengths it reads: a nested message whose declared
 * length runs past the end of the input makes its reader walk byte by byte towards that end — billions of steps on a
 * few bytes of garbage (a hang, found by the hostile-input corpus). Its decoder is patched once, here: an end beyond
 * the bytes it holds throws, and the caller reports malformed protobuf.
 */
import { createRequire } from 'node:module';

interface Decoder {
  getBuffer(): Uint8Array | null;
  setEnd(end: number): void;
}

const requireFromProtos = createRequire(createRequire(import.meta.url).resolve('@hyperledger/fabric-protos'));
const jspb = (requireFromProtos('google-protobuf') as { jspb: { BinaryDecoder: { prototype: Decoder } } }).jspb;

const proto = jspb.BinaryDecoder.prototype;
const setEnd = proto.setEnd;
if (!(setEnd as { bounded?: boolean }).bounded) {
  const bounded = function (this: Decoder, end: number): void {
    const buffer = this.getBuffer();
    if (buffer && end > buffer.length) throw new RangeError(`a length runs ${end - buffer.length} bytes past the end of the data (truncated or not protobuf)`);
    setEnd.call(this, end);
  };
  proto.setEnd = Object.assign(bounded, { bounded: true });
}
