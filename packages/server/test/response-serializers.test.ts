import { ArmingSettingsSchema, ErrorBodySchema } from '@chekt-partner/contract';
import { describe, expect, it } from 'vitest';
import { oneSerializerPerSchema } from '../src/http/response-serializers.js';

const route = (schema: unknown, httpStatus = '200') => ({ method: 'GET', url: '/x', httpStatus, schema });

describe('oneSerializerPerSchema', () => {
  it('compiles a schema once, however many routes and statuses use it', () => {
    const compile = oneSerializerPerSchema(undefined, {});
    const first = compile(route(ErrorBodySchema, '404'));
    expect(compile(route(ErrorBodySchema, '401'))).toBe(first);
    expect(compile(route(ArmingSettingsSchema))).not.toBe(first);
  });

  it("serializes as Fastify's own compiler does: only the schema's fields", () => {
    const compile = oneSerializerPerSchema(undefined, {});
    const serialize = compile(route(ArmingSettingsSchema));
    const settings = { site_id: 1, external_site_id: '1234567890', name: 'HQ', security_type: 1 };
    expect(JSON.parse(serialize({ ...settings, dealer_id: 7 }))).toEqual(settings);
  });

  it('keeps apart serializers of two compilers, as of two Fastify instances', () => {
    const one = oneSerializerPerSchema(undefined, {});
    const other = oneSerializerPerSchema(undefined, {});
    expect(one(route(ErrorBodySchema))).not.toBe(other(route(ErrorBodySchema)));
  });
});
