import { buildOpenApiDocument, type OpenApiDocument } from '@chekt-partner/contract';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';

/**
 * Holds real responses to the OpenAPI document the server serves: is the status documented for
 * that operation, are the documented headers there and valid, is every other header one the
 * document names, is the body of the documented media type and schema?
 *
 * Ajv rather than an OpenAPI-specific validator: OpenAPI 3.1 schemas *are* JSON Schema 2020-12,
 * Ajv already validates every request in Fastify, and the checks around it (status, headers,
 * media type, 405/404 for what the document does not list) are a page of code we can read.
 */
export interface RecordedResponse {
  method: string;
  /** The request URL, absolute or a path; the query is ignored. */
  url: string;
  status: number;
  headers: Headers;
  body: string;
}

/** Headers of the transport, not of the API: the document need not name them. */
const TRANSPORT_HEADERS = new Set([
  'content-type',
  'content-length',
  'date',
  'connection',
  'keep-alive',
  'transfer-encoding',
]);

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

type Json = { [key: string]: unknown };

export class OpenApiConformance {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly routes: { template: string; pattern: RegExp }[];

  constructor(private readonly document: OpenApiDocument) {
    // The whole document under one id: the schemas' own "#/components/..." references resolve in it.
    this.ajv.addSchema(document as unknown as Json, 'openapi');
    this.routes = Object.keys(document.paths).map((template) => ({
      template,
      pattern: new RegExp(
        `^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`,
      ),
    }));
  }

  /** Every way the response differs from the document; empty when it conforms. */
  problems(response: RecordedResponse): string[] {
    const path = new URL(response.url, 'http://localhost').pathname;
    const method = response.method.toLowerCase();
    const where = `${response.method.toUpperCase()} ${path} -> ${response.status}`;
    // A path that is not valid percent-encoding cannot be routed at all, documented or not.
    if (!isDecodable(path)) return this.undocumented(where, response, 400, 'bad_request');
    const route = this.routes.find(({ pattern }) => pattern.test(path));
    if (!route) return this.undocumented(where, response, 404, 'not_found');

    const pathItem = this.document.paths[route.template] as Json;
    // HEAD is GET without a body (RFC 9110 §9.3.2), which Fastify answers for every GET route.
    const operationKey = method === 'head' && !pathItem.head ? 'get' : method;
    if (!pathItem[operationKey]) return this.methodNotAllowed(where, response, pathItem);

    const pointer = `#/paths/${escapePointer(route.template)}/${operationKey}/responses`;
    const responses = (pathItem[operationKey] as Json).responses as Json;
    const statusKey = [String(response.status), `${String(response.status)[0]}XX`, 'default'].find(
      (key) => responses[key],
    );
    if (!statusKey) return [`${where}: status ${response.status} is not documented for this operation`];
    const documented = this.resolve(responses[statusKey]) as Json;
    return [
      ...this.headerProblems(where, response.headers, (documented.headers ?? {}) as Json),
      ...this.bodyProblems(
        where,
        response,
        documented,
        `${pointer}/${escapePointer(statusKey)}`,
        method === 'head',
      ),
      ...this.codeProblems(where, response, documented),
    ];
  }

  /**
   * An error's code must be one the operation lists for that status: each listed code has an
   * example of its own, named by the code (error-responses.ts in the contract).
   */
  private codeProblems(where: string, response: RecordedResponse, documented: Json): string[] {
    const code = (parseJson(response.body) as { error?: { code?: unknown } } | undefined)?.error?.code;
    if (typeof code !== 'string') return [];
    const content = (documented.content ?? {}) as Json;
    const examples = ((content['application/json'] as Json | undefined)?.examples ?? {}) as Json;
    if (code in examples) return [];
    return [
      `${where}: error code ${code} is not one this operation lists (${Object.keys(examples).join(', ')})`,
    ];
  }

  /** Whether the document lists this path (whatever the method). */
  covers(pathname: string): boolean {
    return this.routes.some(({ pattern }) => pattern.test(pathname));
  }

  /** A method the path does not list: a 405 whose Allow names exactly the documented methods. */
  private methodNotAllowed(where: string, response: RecordedResponse, pathItem: Json): string[] {
    const problems = this.undocumented(where, response, 405, 'method_not_allowed');
    if (response.status !== 405) return problems;
    const documented = METHODS.filter((name) => pathItem[name]).map((name) => name.toUpperCase());
    if (documented.includes('GET')) documented.push('HEAD');
    const allow = (response.headers.get('allow') ?? '')
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean);
    if ([...allow].sort().join() !== [...documented].sort().join()) {
      problems.push(
        `${where}: Allow is "${allow.join(', ')}" but the document lists ${documented.join(', ')}`,
      );
    }
    return problems;
  }

  /**
   * For a path or method the document does not list (or a path that cannot be decoded), the
   * server must say so with the error envelope.
   */
  private undocumented(where: string, response: RecordedResponse, status: number, code: string): string[] {
    if (response.status !== status) return [`${where}: not in the document, so it must be a ${status}`];
    const problems = this.validate(where, '#/components/schemas/Error', parseJson(response.body));
    if ((parseJson(response.body) as { error?: { code?: unknown } } | undefined)?.error?.code !== code) {
      problems.push(`${where}: expected error code ${code}`);
    }
    if (!response.headers.get('x-partner-trace-id')) problems.push(`${where}: no x-partner-trace-id`);
    return problems;
  }

  private headerProblems(where: string, headers: Headers, documented: Json): string[] {
    const problems: string[] = [];
    const named = new Map(
      Object.entries(documented).map(([name, header]) => [name.toLowerCase(), this.resolve(header) as Json]),
    );
    for (const [name, header] of named) {
      const value = headers.get(name);
      if (value === null) {
        if (header.required) problems.push(`${where}: required header ${name} is missing`);
        continue;
      }
      const schema = header.schema as Json;
      const typed = schema.type === 'integer' || schema.type === 'number' ? Number(value) : value;
      const errors = this.ajv.validate(schema, typed) ? [] : (this.ajv.errorsText() as string);
      if (errors.length > 0) problems.push(`${where}: header ${name}: "${value}" ${errors}`);
    }
    headers.forEach((_value, name) => {
      if (!TRANSPORT_HEADERS.has(name) && !named.has(name)) {
        problems.push(`${where}: header ${name} is sent but not documented for this response`);
      }
    });
    return problems;
  }

  private bodyProblems(
    where: string,
    response: RecordedResponse,
    documented: Json,
    pointer: string,
    head: boolean,
  ): string[] {
    const content = documented.content as Json | undefined;
    if (head) return [];
    if (!content) return response.body === '' ? [] : [`${where}: a body is sent but none is documented`];
    const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
    if (!content[mediaType]) {
      return [`${where}: content-type "${mediaType}" is not documented (${Object.keys(content).join(', ')})`];
    }
    const body = parseJson(response.body);
    if (body === undefined) return [`${where}: the body is not JSON: ${response.body.slice(0, 200)}`];
    return this.validate(where, `${pointer}/content/${escapePointer(mediaType)}/schema`, body);
  }

  private validate(where: string, pointer: string, value: unknown): string[] {
    let validator = this.validators.get(pointer);
    if (!validator) {
      validator = this.ajv.compile({ $ref: `openapi${pointer}` });
      this.validators.set(pointer, validator);
    }
    if (validator(value)) return [];
    return [`${where}: body ${JSON.stringify(value)} ${this.ajv.errorsText(validator.errors)}`];
  }

  /** Follows a local "$ref" (headers and responses may be references). */
  private resolve(value: unknown): unknown {
    const ref = (value as { $ref?: unknown }).$ref;
    if (typeof ref !== 'string') return value;
    return ref
      .replace(/^#\//, '')
      .split('/')
      .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<unknown>((node, part) => (node as Json)[part], this.document);
  }
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

let shared: OpenApiConformance | undefined;

/** The document exactly as the server builds it; the server URL plays no part in the checks. */
export function openApiConformance(): OpenApiConformance {
  shared ??= new OpenApiConformance(buildOpenApiDocument({ serverUrl: 'http://127.0.0.1' }));
  return shared;
}

function isDecodable(path: string): boolean {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}
