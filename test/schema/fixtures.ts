/**
 * Shared schemas for the schema tests: one that uses every field type and
 * attribute tspdk supports.
 *
 * @module
 */
import { Config, field } from '../../schema/index.ts';

/** A config class that uses every supported type and attribute. */
export class KitchenSink extends Config({
  message: field.string({ default: 'hello', description: 'The greeting to send back.', len_min: 0, len_max: 64 }),
  mode: field.string({ one_of: ['fast', 'safe'], default: 'safe', not_one_of: ['slow'] }),
  token: field.string({ referenceable: true, encrypted: true, required: false, starts_with: 'tok_' }),
  upstream_id: field.string({ uuid: true }),
  code: field.string({ len_eq: 3, match: '^%d%d%d$', not_match: '^0' }),
  host: field.string({
    match_all: [{ pattern: '^[%w%.%-]+$', err: 'bad characters' }, { pattern: '%.' }],
    match_none: [{ pattern: '^%-', err: 'must not start with a dash' }],
    match_any: { patterns: ['%.com$', '%.org$'], err: 'must be .com or .org' },
    err: 'invalid host',
  }),
  'weird key': field.string({ description: 'A "quoted" \\ key with\nnewline, tab\t, é and \u0001.' }),
  ratio: field.number({ between: [0, 1], default: 0.5 }),
  ttl: field.integer({ gt: 0, default: 30, required: true }),
  level: field.integer({ one_of: [1, 2, 3], not_one_of: [4] }),
  enabled: field.boolean({ default: true }),
  tags: field.array(field.string({ len_max: 16 }), { len_min: 0, len_max: 8, default: [] }),
  methods: field.set(field.string({ match: '^%u+$' }), { default: ['GET', 'POST'] }),
  headers: field.map(field.string(), { keys: field.string({ match: '^[%w%-]+$' }), len_max: 10 }),
  weights: field.map(field.integer({ between: [0, 100] }), { default: {} }),
  limits: field.record(
    {
      minute: field.number({ gt: 0 }),
      hour: field.number({ gt: 0, default: 1000 }),
      nested: field.record({ deep: field.boolean({ default: false }) }, { required: true }),
    },
    { required: true },
  ),
  rules: field.array(
    field.record({
      name: field.string({ required: true }),
      weight: field.integer({ default: 1, between: [1, 10] }),
    }),
    { len_min: 0 },
  ),
  fallback: field.record({ url: field.string({ starts_with: 'https://' }) }, { default: { url: 'https://example.com' } }),
}) {}
