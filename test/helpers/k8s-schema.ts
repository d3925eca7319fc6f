/**
 * Validates Kubernetes objects against the API's OpenAPI definitions (the `kubernetes-models` package, one ajv
 * validator per apiVersion/kind; an unknown kind is a problem, not a skip) and KIND cluster configs against
 * `kindConfigSchema`. Each problem names where the object came from and the field.
 */
import { Ajv } from 'ajv';
import { kindConfigSchema } from '../../support/environments/kind/kind-config-schema.ts';

type Obj = Record<string, unknown>;

type Validator = { validate(): void };
type ModelClass = new (data: Obj) => Validator;
const models = new Map<string, ModelClass | null>();

/**
 * The model class for an apiVersion/kind, or null when no package has one: Kubernetes' own kinds from
 * `kubernetes-models`, the Prometheus Operator's (ServiceMonitor, PrometheusRule, …) from
 * `@kubernetes-models/prometheus-operator`, generated from its CRDs' OpenAPI schemas.
 */
async function modelFor(apiVersion: string, kind: string): Promise<ModelClass | null> {
  const key = `${apiVersion}/${kind}`;
  if (!models.has(key)) {
    const pkg = apiVersion.startsWith('monitoring.coreos.com/') ? '@kubernetes-models/prometheus-operator' : 'kubernetes-models';
    try {
      const mod = (await import(`${pkg}/${apiVersion}/${kind}`)) as Record<string, unknown>;
      models.set(key, ((mod[kind] ?? mod.default) as ModelClass | undefined) ?? null);
    } catch {
      models.set(key, null);
    }
  }
  return models.get(key)!;
}

const ajv = new Ajv({ allErrors: true, strict: true });
const validateKind = ajv.compile(kindConfigSchema);

/** Problems with one document, each naming the file, the document and the field. */
export async function problemsOf(doc: unknown, where: string): Promise<string[]> {
  if (doc === null || doc === undefined) return [];
  const o = doc as Obj;
  const apiVersion = String(o.apiVersion ?? '');
  const kind = String(o.kind ?? '');
  if (apiVersion.startsWith('kind.x-k8s.io/')) {
    if (validateKind(o)) return [];
    return (validateKind.errors ?? []).map((e) => `${where} (KIND config)${e.instancePath || '/'}: ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`);
  }
  if (!apiVersion || !kind) return [`${where}: not a Kubernetes object (apiVersion ${JSON.stringify(o.apiVersion)}, kind ${JSON.stringify(o.kind)})`];
  if (kind.endsWith('List') && Array.isArray(o.items)) {
    const nested = await Promise.all(o.items.map((item, i) => problemsOf(item, `${where}.items[${i}]`)));
    return nested.flat();
  }
  const Model = await modelFor(apiVersion, kind);
  if (!Model) return [`${where}: no Kubernetes schema for apiVersion ${apiVersion}, kind ${kind}`];
  try {
    new Model(o).validate();
    return [];
  } catch (err) {
    return [`${where} (${kind} ${String((o.metadata as Obj | undefined)?.name ?? '')}): ${(err as Error).message}`];
  }
}

