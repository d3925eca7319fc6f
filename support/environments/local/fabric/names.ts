/**
 * Name resolution without DNS: the harness dials host names and Service names as a client would, and this
 * resolver says which loopback address each one leads to (the descriptor's `live.hosts`). A Service name exists
 * once per region (each Kubernetes cluster resolves it to its own Service), so it is looked up with the region
 * the client sits in: key `<name>@<region>`; the bare name is the view from the first region that has it.
 */
import { BrokenError } from '../../../errors.ts';

export class NameResolver {
  constructor(readonly hosts: Readonly<Record<string, string>>) {}

  static regional(name: string, region: string): string {
    return `${name}@${region}`;
  }

  /** The address of `name` as seen from `region` (when given), else the bare name's. */
  resolve(name: string, region?: string): string {
    const a = (region !== undefined ? this.hosts[NameResolver.regional(name, region)] : undefined) ?? this.hosts[name];
    if (!a) throw new BrokenError(`the name ${name}${region ? ` (from region ${region})` : ''} is not in the local environment's host map`);
    return a;
  }

  /** The map for `live.hosts`: hosts, regional Service names, and each Service's bare name (first region). */
  static hostMap(nodes: Record<string, string>, services: Array<{ service: string; region: string; address: string }>): Record<string, string> {
    const hosts: Record<string, string> = { ...nodes };
    for (const s of services) {
      hosts[NameResolver.regional(s.service, s.region)] = s.address;
      hosts[s.service] ??= s.address;
    }
    return hosts;
  }
}
