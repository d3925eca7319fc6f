/**
 * The Corda stand-in node: the program both the local environment (a child process per node, under a supervisor)
 * and the docker environment (bundled into the node-standin image) run in place of a Corda Enterprise node.
 */
import { fileURLToPath } from 'node:url';

/** what the Corda nodes are in the local environment and in the docker environment's stand-in image */
export const CORDA_STAND_IN = "Node.js nodes speaking Corda Enterprise's mutual-exclusion lease protocol, not Corda Enterprise nodes";

/** the stand-in node's program (`node --import tsx <it> <node.conf> --base-directory <dir>`) */
export const STAND_IN_PROGRAM = fileURLToPath(new URL('./stand-in-node.ts', import.meta.url));
