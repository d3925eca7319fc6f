/**
 * The run-wide state of a Cucumber run: one environment, started once in `BeforeAll` and stopped in `AfterAll`
 * (also on failure and Ctrl-C); the static and live evidence, collected once; and the drills, each run lazily
 * the first time a scenario needs it and cached, so a Scenario Outline that judges one region per example runs
 * the drill once and judges every region from the same recorded timeline.
 *
 * When the environment cannot run here or fails to start, the run does not hang and does not throw from a hook:
 * it records the problem, and every scenario reports it (broken) from its first step.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Evidence, LiveEvidence, Timeline } from './evidence/model.ts';
import type { EnvironmentSettings, StartedEnvironment } from './environments/types.ts';
import type { ObservationContext } from './drills/observation.ts';
import { byId } from './checks/catalogue.ts';
import { ORIGIN_DEFAULT, SETTING_KEYS, settingOf, withSettings } from './evidence/settings.ts';
import { choiceFromEnv, describeStandIns, environmentFor, type EnvironmentChoice } from './environments/index.ts';
import { collectEvidence } from './validate.ts';
import { BrokenError, errorMessage } from './errors.ts';
import { redactText } from './evidence/redact.ts';

/** Why a guarantee cannot be observed here: the text a skipped scenario shows. */
export const NOT_DISPOSABLE =
  'this scenario injects a fault, and the target is not marked disposable: set `disposable: true` in the target ' +
  'descriptor, or HA_ALLOW_DISRUPTIVE=1 to run it anyway';

export interface RunProblem {
  /** what went wrong, one paragraph a person reads: which environment, which stage, the reason */
  message: string;
  /** `preflight`: the environment cannot run on this machine at all (nothing was started) */
  stage?: string;
}

export interface RunInfo {
  environment: string;
  variant?: string;
  runId?: string;
  target?: string;
  descriptorFile?: string;
  disposable?: boolean;
  allowDisruptive: boolean;
  /** area → what runs in place of the real product (`StartedEnvironment.standIns`) */
  standIns: Record<string, string>;
  /** one plain line saying so, when something is a stand-in */
  standInLine?: string;
  /** wall time of each stage, ms */
  timings: Record<string, number>;
}

export type ObservationResult = { timeline: Timeline } | { skip: string };

export interface RunOptions {
  /** environment name from the profile's worldParameters; HA_ENVIRONMENT overrides it */
  environment?: string;
  /** how long the environment may take to start, ms */
  startTimeoutMs: number;
  /** progress lines of the environment go here (the reports dir), never to the console */
  logFile?: string;
  env?: NodeJS.ProcessEnv;
}

export class Run {
  readonly choice: EnvironmentChoice;
  readonly info: RunInfo;
  problem?: RunProblem;
  environment?: StartedEnvironment;
  evidence?: Evidence;
  /** live evidence could not be collected: live-only guarantees are broken, the others judged on static evidence */
  liveProblem?: string;
  private readonly logLines: string[] = [];
  /** set on SIGINT/SIGTERM: steps that start afterwards report it instead of touching a half-released environment */
  interrupted?: string;
  private readonly observations = new Map<string, Promise<ObservationResult>>();
  private pendingStart?: Promise<StartedEnvironment | undefined>;
  private stopping?: Promise<void>;

  constructor(private readonly options: RunOptions) {
    const env = options.env ?? process.env;
    let choice: EnvironmentChoice;
    try {
      choice = choiceFromEnv({ ...env, HA_ENVIRONMENT: env.HA_ENVIRONMENT || options.environment || 'local' });
    } catch (err) {
      choice = { name: env.HA_ENVIRONMENT || options.environment || 'local', allowDisruptive: false, settings: {} };
      this.problem = { message: `the environment is misconfigured: ${errorMessage(err)}` };
    }
    this.choice = choice;
    this.info = { environment: choice.name, variant: choice.variant, allowDisruptive: choice.allowDisruptive, standIns: {}, timings: {} };
  }

  log(line: string): void {
    // the harness log is output like any other: through the redaction layer
    const stamped = `${new Date().toISOString()} ${redactText(line)}`;
    this.logLines.push(stamped);
    if (this.options.logFile) {
      // synchronous: a few lines per run, kept in order, and still written when a signal ends the process
      try {
        mkdirSync(dirname(this.options.logFile), { recursive: true });
        appendFileSync(this.options.logFile, stamped + '\n');
      } catch {
        /* the log is a convenience; the run goes on without it */
      }
    }
  }

  /** the environment's progress lines so far, for an attachment */
  logText(): string {
    return this.logLines.join('\n');
  }

  /** Preflight, start, collect live and static evidence. Never throws: a failure becomes `this.problem`. */
  async start(): Promise<void> {
    if (this.problem) return;
    const env = this.options.env ?? process.env;
    const name = this.choice.name;
    let stage = 'choose';
    try {
      const environment = environmentFor(this.choice, (line) => this.log(line), env);
      stage = 'preflight';
      const t0 = Date.now();
      const problems = await environment.preflight();
      this.info.timings.preflight = Date.now() - t0;
      if (problems.length) {
        this.problem = { message: `the ${name} environment cannot run here:\n- ${problems.join('\n- ')}`, stage: 'preflight' };
        return;
      }
      stage = 'start';
      const t1 = Date.now();
      this.log(`starting the ${name} environment${this.choice.variant ? ` (variant ${this.choice.variant})` : ''}`);
      const pending = environment.start().then((started) => {
        this.environment = started;
        return started;
      });
      // An environment that finishes starting after the timeout is still stopped by `stop()`.
      this.pendingStart = pending.catch(() => undefined);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`it did not start within ${Math.round(this.options.startTimeoutMs / 1000)} s (the run's start timeout)`)),
          this.options.startTimeoutMs,
        );
      });
      const started = await Promise.race([pending, timeout]).finally(() => clearTimeout(timer));
      this.info.timings.start = Date.now() - t1;
      this.info.runId = started.runId;
      this.info.descriptorFile = started.descriptorFile;
      this.info.target = started.descriptor.name;
      this.info.disposable = started.disposable;
      this.log(`the ${name} environment is up (run ${started.runId}, target ${started.descriptor.name}) in ${this.info.timings.start} ms`);
      this.info.standIns = { ...started.standIns };
      this.info.standInLine = describeStandIns(name, started.standIns);
      if (this.info.standInLine) this.log(this.info.standInLine);

      stage = 'collect live evidence from';
      const t2 = Date.now();
      let live: Partial<LiveEvidence> | undefined;
      try {
        live = await started.collectLive();
      } catch (err) {
        this.liveProblem = `collecting live evidence failed: ${errorMessage(err)}`;
        this.log(this.liveProblem);
      }
      this.info.timings.collectLive = Date.now() - t2;

      // the descriptor is the one the environment loaded; the checks are evaluated where a verdict is needed (the steps)
      stage = 'read the evidence of';
      const t3 = Date.now();
      this.evidence = withEnvironmentSettings(await collectEvidence(started.descriptor, live, started.staticEvidence), started.settings, name);
      this.info.timings.collectStatic = Date.now() - t3;
    } catch (err) {
      this.problem = { message: `could not ${stage} the ${name} environment: ${errorMessage(err)}` };
      this.log(this.problem.message);
    }
  }

  /** The run's settings other than the documented defaults (the environment's, the descriptor's), as verdicts state them. */
  settingsShown(): Record<string, string> {
    const e = this.evidence;
    if (!e) return {};
    return Object.fromEntries(SETTING_KEYS.filter((k) => (e.settingOrigins?.[k] ?? ORIGIN_DEFAULT) !== ORIGIN_DEFAULT).map((k) => [k, settingOf(e, k).text]));
  }

  /** The evidence, or the reason there is none (thrown as an environment problem). */
  requireEvidence(): Evidence {
    if (this.problem) throw new BrokenError(this.problem.message);
    if (this.interrupted) throw new BrokenError(this.interrupted);
    if (!this.evidence) throw new BrokenError(`the ${this.choice.name} environment has not been started (BeforeAll did not run)`);
    return this.evidence;
  }

  requireEnvironment(): StartedEnvironment {
    this.requireEvidence();
    return this.environment!;
  }

  /** true when fault-injecting observations may run here */
  get disruptiveAllowed(): boolean {
    return Boolean(this.environment?.disposable) || this.choice.allowDisruptive;
  }

  /** why the guarantee cannot be observed live here, or undefined when it can */
  unavailable(id: string): string | undefined {
    const environment = this.environment;
    if (!environment) return undefined;
    const isDrill = Boolean(byId(id)?.kinds.includes('drill'));
    return environment.unavailable[id] ?? (isDrill ? environment.drillsUnavailable : undefined);
  }

  hasObservation(id: string): boolean {
    return Boolean(this.environment?.observations[id]);
  }

  /**
   * The recorded timeline of guarantee `id`'s observation (a drill or a sampling window), run once per run and
   * cached; or why it cannot run here. A drill that throws is an environment problem (the harness could not look).
   * `context` (the settings of the first scenario that asks) tells the drill how long it must look at least.
   */
  observe(id: string, context?: ObservationContext): Promise<ObservationResult> {
    const cached = this.observations.get(id);
    if (cached) return cached;
    const result = this.runObservation(id, context);
    this.observations.set(id, result);
    return result;
  }

  private async runObservation(id: string, context?: ObservationContext): Promise<ObservationResult> {
    const environment = this.requireEnvironment();
    const reason = this.unavailable(id);
    if (reason) return { skip: reason };
    const observation = environment.observations[id];
    if (!observation) return { skip: `the ${environment.name} environment has no way to observe ${id} live` };
    if (observation.disruptive && !this.disruptiveAllowed) return { skip: NOT_DISPOSABLE };
    const t0 = Date.now();
    this.log(`observing ${id}${observation.disruptive ? ' (injects a fault)' : ''}`);
    try {
      const timeline = await observation.run(context);
      this.info.timings[`observe ${id}`] = Date.now() - t0;
      this.log(`observed ${id} in ${Date.now() - t0} ms (${timeline.events.length} events)`);
      return { timeline };
    } catch (err) {
      this.log(`observing ${id} failed: ${errorMessage(err)}`);
      throw new BrokenError(`the ${id} observation could not run: ${errorMessage(err)}`, { cause: err });
    }
  }

  /** Stop the environment; safe to call twice, from AfterAll and from a signal handler. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      let started = this.environment;
      if (!started && this.pendingStart) {
        // A start that timed out may still finish: give it a while, so what it started is released too.
        let timer: NodeJS.Timeout | undefined;
        const giveUp = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), 30_000)));
        started = await Promise.race([this.pendingStart, giveUp]).finally(() => clearTimeout(timer));
      }
      if (!started) return;
      const t0 = Date.now();
      try {
        await started.stop();
        this.log(`stopped the ${started.name} environment (run ${started.runId}) in ${Date.now() - t0} ms`);
      } catch (err) {
        this.log(`stopping the ${started.name} environment failed: ${errorMessage(err)}`);
        throw err;
      }
    })();
    return this.stopping;
  }
}

/**
 * The environment's own settings under the descriptor's: each applies only where the descriptor set nothing, and
 * is named with its reason (`7000 ms (docker environment: containers: …)`).
 */
export function withEnvironmentSettings(evidence: Evidence, settings: EnvironmentSettings | undefined, name: string): Evidence {
  if (!settings) return evidence;
  const values = Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, v.value]));
  return withSettings(evidence, values, (key) => `${name} environment: ${settings[key]?.why ?? 'its default'}`, 'unset');
}

let current: Run | undefined;

export function setCurrentRun(run: Run | undefined): void {
  current = run;
}

/** The run of this process; an environment problem when `BeforeAll` has not run (e.g. a dry run). */
export function currentRun(): Run {
  if (!current) throw new BrokenError('the harness was not started: support/hooks.ts did not run its BeforeAll hook');
  return current;
}

export function maybeCurrentRun(): Run | undefined {
  return current;
}

