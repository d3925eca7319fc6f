/**
 * Helper of corda.test.ts (not a test itself): starts the Corda part, starts the CORDA-LB-03 drill, and waits to
 * be interrupted. Prints one JSON line per step on stdout, never a secret.
 */
import { Resources } from '../../../support/environments/common/resources.ts';
import { startCorda } from '../../../support/environments/local/corda/index.ts';

const resources = new Resources();
const say = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(o)}\n`);
say({ runId: resources.runId });
const part = await startCorda({ resources, settings: {}, log: () => undefined });
const db = (part.descriptor.live as { database: { port: number } }).database;
say({ started: true, addresses: part.addresses, ports: part.settings.ports, dbPort: db.port });
part.observations['CORDA-LB-03'].run().then(
  () => say({ drill: 'finished' }),
  (err: Error) => say({ drill: 'failed', error: err.message }),
);
say({ drill: 'CORDA-LB-03' });
