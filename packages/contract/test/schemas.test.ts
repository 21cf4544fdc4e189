import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import * as contract from '../src/index.js';

/**
 * The server does not check its schemas against the JSON Schema meta-schema when it starts
 * (compiling the meta-schema was a tenth of its start-up): this test does, once, for every schema
 * the contract exports, with the Ajv (8, draft-07) that Fastify compiles them with.
 */
const ajv = new Ajv({ keywords: ['x-enum-varnames', 'x-enum-descriptions'] });
const schemas = Object.entries(contract).filter(([name]) => name.endsWith('Schema'));

describe("the contract's schemas", () => {
  it('are all here', () => {
    expect(schemas.map(([name]) => name)).toEqual(
      expect.arrayContaining(['ArmingSettingsSchema', 'ArmingSettingsUpdateSchema', 'ErrorBodySchema']),
    );
  });

  it.each(schemas)('%s is valid JSON Schema', (_name, schema) => {
    const valid = ajv.validateSchema(schema as object);
    expect(ajv.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('the check would catch a mistake', () => {
    expect(ajv.validateSchema({ type: 'object', properties: { site_id: { type: 'integr' } } })).toBe(false);
    expect(ajv.validateSchema({ type: 'object', required: 'site_id' })).toBe(false);
  });
});
