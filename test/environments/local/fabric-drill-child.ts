/**
 * Run by fabric.test.ts as a child process: starts the Fabric part, says where it listens, then runs the
 * FAB-ORD-03 drill until the parent interrupts it with SIGINT. The resources' signal handler must release
 * everything on the way out.
 */
import { Resources } from '../../../support/environments/common/resources.ts';
import { fabricPart } from '../../../support/environments/local/fabric/index.ts';

const resources = new Resources();
const part = await fabricPart.start({ resources, settings: {}, log: () => undefined });
const live = part.descriptor.live as { hosts: Record<string, string> };
process.stdout.write(`READY ${JSON.stringify({ runId: resources.runId, addresses: [...new Set(Object.values(live.hosts))] })}\n`);
await part.observations['FAB-ORD-03'].run();
process.stdout.write('DRILL FINISHED\n');
await part.stop();
await resources.releaseAll();
