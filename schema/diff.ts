/**
 * Schema-change checker: compares two versions of a plugin schema (the dump's
 * JSON form) and classifies every added, removed or retyped config parameter
 * as Konnect's schema-change table does (`docs/schema.md`, from Konnect's
 * custom-plugin documentation):
 *
 * | change       | required, default | required, no default | optional, default | optional, no default |
 * |--------------|-------------------|----------------------|-------------------|----------------------|
 * | added        | Short             | Long                 | Short             | Short                |
 * | removed      | Long              | CP/DP sync required  | Long              | Long                 |
 * | type changed | CP/DP sync        | CP/DP sync           | CP/DP sync        | CP/DP sync           |
 *
 * Nested parameters are compared too: record fields (`config.limits.minute`),
 * fields of records in arrays and sets (`config.rules[].name`) and in map
 * values (`config.upstreams{}.host`).
 *
 * @module
 */
import { entryOf, isPlainObject, type KongField, type KongFieldEntry } from './kong-field.ts';
import type { KongPluginSchema } from './kong.ts';

/** What happened to a parameter. */
export type ChangeKind = 'added' | 'removed' | 'retyped';

/** Konnect's upgrade paths, from the lightest to the heaviest. */
export type UpgradePath = 'Short' | 'Long' | 'CP/DP sync required';

/** One classified change to a config parameter. */
export interface SchemaChange {
  /** Added, removed or retyped. */
  readonly kind: ChangeKind;
  /** The parameter, e.g. `config.limits.minute` or `config.rules[].name`. */
  readonly path: string;
  /** Whether the parameter is required (in the new schema; the old one for removals). */
  readonly required: boolean;
  /** Whether it has a default (explicit, or a required record whose fields all have one). */
  readonly hasDefault: boolean;
  /** Its type before the change (`array<string>`, `record`, …), unless added. */
  readonly oldType?: string;
  /** Its type after the change, unless removed. */
  readonly newType?: string;
  /** Konnect's path for this cell of the table. */
  readonly upgrade: UpgradePath;
  /** Whether data planes can reject payloads during the change. */
  readonly breaking: boolean;
  /** Why, in one sentence. */
  readonly reason: string;
}

/** The result of comparing two plugin schemas. */
export interface SchemaDiff {
  /** The plugin's name (the new one). */
  readonly name: string;
  /** Every classified change, in schema order. */
  readonly changes: readonly SchemaChange[];
  /** Other differences Konnect's table does not classify (attributes, protocols, name). */
  readonly notes: readonly string[];
  /** The heaviest path of all changes; `none` without changes. */
  readonly upgrade: UpgradePath | 'none';
  /** The numbered steps of that path. */
  readonly steps: readonly string[];
  /** Whether any change can break data planes, so the change needs a maintenance window. */
  readonly maintenanceWindow: boolean;
  /** The name to publish the new schema under to keep both versions side by side. */
  readonly sideBySideName: string;
}

const RANK: Record<UpgradePath, number> = { Short: 1, Long: 2, 'CP/DP sync required': 3 };

function typeOf(f: KongField): string {
  if ((f.type === 'array' || f.type === 'set') && f.elements !== undefined) return `${f.type}<${typeOf(f.elements)}>`;
  if (f.type === 'map') return `map<${f.keys ? typeOf(f.keys) : '?'},${f.values ? typeOf(f.values) : '?'}>`;
  return f.type;
}

/** A required record whose required fields all have (effective) defaults is filled in by Kong. */
function hasEffectiveDefault(f: KongField): boolean {
  if (f.default !== undefined) return true;
  if (f.type !== 'record' || f.required !== true) return false;
  return (f.fields ?? []).every((entry) => {
    const pair = entryOf(entry);
    return pair === undefined || pair[1].required !== true || hasEffectiveDefault(pair[1]);
  });
}

/** Konnect's cell for a change, with whether it breaks data planes and why. */
export function classify(
  kind: ChangeKind,
  required: boolean,
  hasDefault: boolean,
): { upgrade: UpgradePath; breaking: boolean; reason: string } {
  if (kind === 'retyped') {
    return {
      upgrade: 'CP/DP sync required',
      breaking: true,
      reason: 'each side rejects values of the other type, so CP and DPs report Out of Sync until both have the new schema',
    };
  }
  if (kind === 'added') {
    if (required && !hasDefault) {
      return {
        upgrade: 'Long',
        breaking: true,
        reason: "existing instances have no value, and DPs on the new schema reject the whole payload ('required field missing') until each instance gets one",
      };
    }
    if (hasDefault) {
      return {
        upgrade: 'Short',
        breaking: true,
        reason: 'once the CP fills in the default, DPs still on the old schema reject it as an unknown field',
      };
    }
    return { upgrade: 'Short', breaking: false, reason: 'non-breaking: the value is null until set, and DPs ignore nulls' };
  }
  if (required && !hasDefault) {
    return {
      upgrade: 'CP/DP sync required',
      breaking: true,
      reason: 'DPs on the old schema require it and the CP no longer sends it, so CP and DPs report Out of Sync until both have the new schema',
    };
  }
  return {
    upgrade: 'Long',
    breaking: true,
    reason: 'instances that carry a value must drop it: DPs on the new schema reject it as an unknown field',
  };
}

function change(kind: ChangeKind, path: string, f: KongField, old?: KongField): SchemaChange {
  const required = f.required === true;
  const hasDefault = hasEffectiveDefault(f);
  const cell = classify(kind, required, hasDefault);
  return {
    kind,
    path,
    required,
    hasDefault,
    ...(kind !== 'added' ? { oldType: typeOf(old ?? f) } : {}),
    ...(kind !== 'removed' ? { newType: typeOf(f) } : {}),
    ...cell,
  };
}

function byName(entries: readonly KongFieldEntry[] | undefined): Map<string, KongField> {
  const out = new Map<string, KongField>();
  for (const entry of entries ?? []) {
    const pair = entryOf(entry);
    if (pair !== undefined) out.set(pair[0], pair[1]);
  }
  return out;
}

const COMPARED = ['required', 'default', 'one_of', 'not_one_of', 'between', 'gt', 'len_eq', 'len_min', 'len_max',
  'match', 'not_match', 'match_all', 'match_none', 'match_any', 'starts_with', 'uuid', 'referenceable', 'encrypted'] as const;

function attributeNotes(path: string, a: KongField, b: KongField, notes: string[]): void {
  for (const key of COMPARED) {
    const before = JSON.stringify(a[key]);
    const after = JSON.stringify(b[key]);
    if (before !== after) notes.push(`${path}: ${key} changed from ${before ?? 'unset'} to ${after ?? 'unset'}`);
  }
  if (a.required !== true && b.required === true && !hasEffectiveDefault(b)) {
    notes.push(`${path}: now required without a default; existing instances without a value need one (as on the Long path)`);
  }
}

function descend(a: KongField, b: KongField, path: string, changes: SchemaChange[], notes: string[]): void {
  if (a.type === 'record' && b.type === 'record') diffFields(a.fields, b.fields, path, changes, notes);
  else if ((a.type === 'array' || a.type === 'set') && a.elements && b.elements) descend(a.elements, b.elements, `${path}[]`, changes, notes);
  else if (a.type === 'map' && a.values && b.values) descend(a.values, b.values, `${path}{}`, changes, notes);
}

function diffFields(
  before: readonly KongFieldEntry[] | undefined,
  after: readonly KongFieldEntry[] | undefined,
  prefix: string,
  changes: SchemaChange[],
  notes: string[],
): void {
  const a = byName(before);
  const b = byName(after);
  for (const [name, old] of a) {
    const path = `${prefix}.${name}`;
    const next = b.get(name);
    if (next === undefined) changes.push(change('removed', path, old));
    else if (typeOf(old) !== typeOf(next)) changes.push(change('retyped', path, next, old));
    else {
      attributeNotes(path, old, next, notes);
      descend(old, next, path, changes, notes);
    }
  }
  for (const [name, f] of b) if (!a.has(name)) changes.push(change('added', `${prefix}.${name}`, f));
}

function configOf(schema: KongPluginSchema): KongField | undefined {
  const f = byName(schema.fields as readonly KongFieldEntry[]).get('config');
  return f !== undefined && isPlainObject(f) ? f : undefined;
}

/** The numbered steps of a Konnect upgrade path for these changes. */
function pathSteps(name: string, upgrade: UpgradePath | 'none', changes: readonly SchemaChange[]): string[] {
  if (upgrade === 'none') return [];
  const touched = (kinds: readonly ChangeKind[], pred: (c: SchemaChange) => boolean = () => true): string =>
    changes.filter((c) => kinds.includes(c.kind) && pred(c)).map((c) => c.path).join(', ');
  const steps = ['Start a maintenance window.', `Update the schema of "${name}" on the control plane (the new schema.lua).`];
  if (upgrade === 'Long' || upgrade === 'CP/DP sync required') {
    const parts: string[] = [];
    const setValues = touched(['added'], (c) => c.required && !c.hasDefault);
    const dropValues = touched(['removed'], (c) => c.upgrade === 'Long');
    const retyped = touched(['retyped', 'removed'], (c) => c.upgrade === 'CP/DP sync required');
    if (setValues) parts.push(`give every instance a value for ${setValues}`);
    if (dropValues) parts.push(`remove ${dropValues} from every instance that sets it`);
    if (retyped) parts.push(`where in use, update ${retyped} to match the new schema`);
    const optional = upgrade === 'CP/DP sync required' && !setValues && !dropValues ? ' (only if the changed parameters are in use)' : '';
    steps.push(`Update the configuration of existing plugin instances${optional}: ${parts.join('; ')}.`);
  }
  steps.push('Update the schema and the plugin code on every data plane node.');
  steps.push('End the maintenance window.');
  return steps.map((s, i) => `${i + 1}. ${s}`);
}

/** Compares two plugin schemas (dump JSON form) and classifies every change. */
export function diffSchemas(before: KongPluginSchema, after: KongPluginSchema): SchemaDiff {
  const changes: SchemaChange[] = [];
  const notes: string[] = [];
  if (before.name !== after.name) notes.push(`plugin name changed from "${before.name}" to "${after.name}": Konnect treats it as another plugin`);
  const a = configOf(before);
  const b = configOf(after);
  diffFields(a?.fields, b?.fields, 'config', changes, notes);
  const pa = JSON.stringify(byName(before.fields as readonly KongFieldEntry[]).get('protocols') ?? null);
  const pb = JSON.stringify(byName(after.fields as readonly KongFieldEntry[]).get('protocols') ?? null);
  if (pa !== pb) notes.push(`protocols changed from ${pa === 'null' ? "Kong's default" : pa} to ${pb === 'null' ? "Kong's default" : pb}; instances enabled for a protocol no longer allowed are rejected`);
  let upgrade: UpgradePath | 'none' = 'none';
  for (const c of changes) if (upgrade === 'none' || RANK[c.upgrade] > RANK[upgrade]) upgrade = c.upgrade;
  return {
    name: after.name,
    changes,
    notes,
    upgrade,
    steps: pathSteps(after.name, upgrade, changes),
    maintenanceWindow: needsMaintenanceWindow(changes),
    sideBySideName: `${after.name}-v2`,
  };
}

/** Whether a set of changes needs a maintenance window (any change that can break data planes). */
export function needsMaintenanceWindow(changes: readonly SchemaChange[] | SchemaDiff): boolean {
  const list = 'changes' in changes ? changes.changes : changes;
  return list.some((c) => c.breaking);
}

/** The diff as plain JSON (for `--json`). */
export function diffToJson(diff: SchemaDiff): string {
  return `${JSON.stringify(diff, null, 2)}\n`;
}

/** The diff as text for people. */
export function diffToText(diff: SchemaDiff): string {
  const lines: string[] = [];
  const count = diff.changes.length;
  lines.push(`Schema changes for plugin "${diff.name}": ${count === 0 ? 'none' : String(count)}`);
  for (const c of diff.changes) {
    const column = `${c.required ? 'required' : 'not required'}, ${c.hasDefault ? 'with default' : 'no default'}`;
    const types = c.kind === 'retyped' ? ` (${c.oldType ?? '?'} -> ${c.newType ?? '?'})` : '';
    lines.push('');
    lines.push(`  ${c.kind} ${c.path}${types}: ${column} -> ${c.upgrade}${c.breaking ? ', BREAKING for data planes' : ''}`);
    lines.push(`    ${c.reason}`);
  }
  if (diff.notes.length > 0) {
    lines.push('', 'Not classified by Konnect\'s table (check them by hand):');
    for (const n of diff.notes) lines.push(`  - ${n}`);
  }
  if (diff.upgrade !== 'none') {
    lines.push('', `Upgrade path: ${diff.upgrade}`);
    for (const s of diff.steps) lines.push(`  ${s}`);
    if (diff.upgrade === 'CP/DP sync required') {
      lines.push('  Proxying keeps working, but CP and DPs report Out of Sync until both sides have the new schema.');
    }
    if (diff.maintenanceWindow) {
      lines.push('  Do not update data planes first: a breaking change takes effect on each DP at its next payload.');
      lines.push(`  To keep both versions side by side instead, publish the new schema as "${diff.sideBySideName}".`);
    }
  }
  lines.push('', `Maintenance window: ${diff.maintenanceWindow ? 'needed' : 'not needed'}`);
  return `${lines.join('\n')}\n`;
}
