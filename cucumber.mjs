// Cucumber profiles. `npx cucumber-js` (the default profile) runs every feature against the embedded local
// environment; `npx cucumber-js --profile existing` against the deployment the descriptor in HA_TARGET names.
//
// The environment comes from `worldParameters.environment`; HA_ENVIRONMENT overrides it. HA_LOCAL_VARIANT picks a
// broken local variant, HA_ALLOW_DISRUPTIVE=1 lets drills run on a target not marked disposable, HA_REPORTS_DIR
// moves the reports (default `reports`).
import { join } from 'node:path';
import { skipPropagation } from './support/report/allure-listener.mjs';

const reports = process.env.HA_REPORTS_DIR || 'reports';

/** Settings every profile shares: the support code, the formats and where the reports go. */
const common = {
  paths: ['features/**/*.feature'],
  // register.mjs comes first: it registers tsx, so the TypeScript files after it load without NODE_OPTIONS.
  // Only the top level of support/: the glue (world, hooks, parameter types) and what it imports. Deeper folders
  // hold programs the local environment spawns (e.g. the Corda stand-in node), which run when imported.
  import: ['support/register.mjs', 'support/*.ts', 'steps/**/*.ts'],
  format: [
    process.stdout.isTTY ? 'progress-bar' : 'summary',
    // the Allure formatter writes its result files to resultsDir; its stream output (none) goes to a file, not stdout
    ['allure-cucumberjs/reporter', join(reports, '.allure-formatter.out')],
    `junit:${join(reports, 'junit.xml')}`,
    `json:${join(reports, 'cucumber.json')}`,
  ],
  formatOptions: {
    // allure-cucumberjs: results for `npm run report`. Labels (epic, story, severity) and the link to the source
    // come from the check catalogue in support/hooks.ts: the reporter's `labels` option keeps the "@" of a plain
    // tag in the value (it strips only "@name:" prefixes), so `@critical` would reach Allure as "@critical".
    resultsDir: join(reports, 'allure-results'),
    // a scenario whose judging step was skipped is skipped in Allure too, with the reason as its message
    listeners: [skipPropagation(join(reports, 'allure-results'))],
    junit: { suiteName: 'ha-conformance' },
  },
};

export default {
  ...common,
  worldParameters: { environment: 'local' },
};

/**
 * An existing deployment, read-only: HA_TARGET=<path to target.yaml>. Drills are skipped (no fault injector);
 * CORDA-HA-01 and CORDA-LB-02 are judged from an observation window of HA_OBSERVE_WINDOW (default 30s).
 */
export const existing = {
  ...common,
  worldParameters: { environment: 'existing' },
};

/**
 * Fabric on KIND clusters, one per region (needs `kind`, a Docker engine and the kindest/node image; see
 * docs/kind.md). When something is missing the run stops early with one line per missing piece.
 */
export const kind = {
  ...common,
  worldParameters: { environment: 'kind' },
};

/**
 * The Corda hot-cold pair in containers (PostgreSQL, two nodes, HAProxy) on networks created for the run, with real
 * partitions. Uses public images when they are present locally, else the images `scripts/build-offline-images`
 * builds from this machine's binaries; never pulls unless HA_DOCKER_ALLOW_PULL=1. Corda only.
 */
export const docker = {
  ...common,
  tags: '@corda',
  worldParameters: { environment: 'docker' },
};
