/**
 * The parts of OpenAPI 3.1 this contract emits. Plain JSON values only, so the document is served
 * and written to disk exactly as built. Deeper objects stay loose on purpose: the structural
 * validator and Spectral (npm run lint:openapi) check the document, not these types.
 */
export type JsonObject = { [key: string]: unknown };

export interface Reference {
  $ref: string;
}

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; summary?: string; description: string };
  servers: { url: string; description: string }[];
  tags: { name: string; description: string }[];
  paths: Record<string, JsonObject>;
  components: {
    schemas: Record<string, JsonObject>;
    parameters: Record<string, JsonObject>;
    headers: Record<string, JsonObject>;
    securitySchemes: Record<string, JsonObject>;
  };
}
