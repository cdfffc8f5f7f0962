// Validates response bodies against the Matrix Client-Server OpenAPI contract in
// ../shared/matrix-spec/data/api/client-server/*.yaml, so API tests can check every response once.
//
// The spec's YAML uses flow mappings that strict YAML parsers reject, so files are read with `yaml`
// and `$ref`s are resolved by Ajv itself: every referenced file is added to Ajv under its file URL
// and each response schema is compiled as `{ $ref: '<file url>#<pointer>' }` (this keeps recursive
// schemas intact, which inlining would not).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import formatsPlugin from 'ajv-formats';
import { parse } from 'yaml';

/**
 * The spec's client-server definitions: `shared/` next to the checkout (`/work/main` → `/work/shared`),
 * looked up through the parents so that worktrees nested one level deeper (`/work/wt/<branch>`) find it too.
 */
export const specDir = findSpecDir();

function findSpecDir(): URL {
  const relative = 'shared/matrix-spec/data/api/client-server/';
  for (let up = '../../../'; up.length <= 3 * 8; up += '../') {
    const candidate = new URL(up + relative, import.meta.url);
    if (existsSync(fileURLToPath(candidate))) return candidate;
  }
  return new URL('../../../' + relative, import.meta.url);
}
const methods = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

export type ValidationResult = { ok: true } | { ok: false; errors: string[]; operation?: string };

interface Operation {
  method: string;
  /** Full path template, e.g. /_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}. */
  template: string;
  pattern: RegExp;
  /** Characters outside `{param}`s: a higher count is a more specific template. */
  literalLength: number;
  file: string;
  /** JSON pointer of the operation object inside `file`. */
  pointer: string;
}

interface Spec {
  ajv: Ajv2020;
  documents: Map<string, unknown>;
  operations: Operation[];
  validators: Map<string, ValidateFunction>;
}

let spec: Spec | undefined;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function readPointer(document: unknown, pointer: string): unknown {
  if (pointer === '' || pointer === '/') return document;
  let node = document;
  for (const raw of pointer.replace(/^\//, '').split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(node) && !Array.isArray(node)) return undefined;
    node = (node as Json)[key];
  }
  return node;
}

/** Loads a YAML/JSON file and, transitively, every file its `$ref`s name (examples are skipped). */
function load(documents: Map<string, unknown>, url: URL): void {
  const href = url.href;
  // The shared copy of the spec holds only what the client-server API needs; a few request schemas
  // name identity-service files that are not there. Responses never do, so those refs are skipped.
  if (documents.has(href) || !existsSync(url)) return;
  const document: unknown = parse(readFileSync(fileURLToPath(url), 'utf8'));
  documents.set(href, document);
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
    } else if (isObject(node)) {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'example' || key === 'examples') continue;
        if (key === '$ref' && typeof value === 'string') {
          const target = value.split('#')[0];
          if (target) load(documents, new URL(target, url));
        } else {
          visit(value);
        }
      }
    }
  };
  visit(document);
}

/** Follows `$ref` objects outside schemas (responses, media types) to the object they name. */
function deref(documents: Map<string, unknown>, file: string, pointer: string): { file: string; pointer: string; value: unknown } {
  let value = readPointer(documents.get(file), pointer);
  for (let hops = 0; isObject(value) && typeof value.$ref === 'string' && hops < 10; hops++) {
    const [target = '', fragment = ''] = value.$ref.split('#');
    file = target ? new URL(target, file).href : file;
    pointer = fragment;
    value = readPointer(documents.get(file), pointer);
  }
  return { file, pointer, value };
}

function templatePattern(template: string): RegExp {
  const source = template
    .split(/(\{[^}]+\})/)
    .map((part) => (part.startsWith('{') ? '([^/]*)' : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`);
}

// Matrix identifier grammars, loosely: enough to catch a wrong kind of id, not a full parser.
const matrixFormats: Record<string, RegExp> = {
  'mx-user-id': /^@[^:]+:.+$/,
  'mx-room-id': /^![^\s]+$/,
  'mx-event-id': /^\$[^\s]+$/,
  'mx-room-alias': /^#[^:]+:.+$/,
  'mx-server-name': /^[^\s/]+$/,
  'mx-mxc-uri': /^mxc:\/\/[^/]+\/.+$/,
  'mx-unpadded-base64': /^[A-Za-z0-9+/]*$/,
  'mx-urlsafe-unpadded-base64': /^[A-Za-z0-9_-]*$/,
};

function loadSpec(): Spec {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false, logger: false });
  // ajv-formats is CommonJS: its default export arrives as the module object under some loaders.
  type AddFormats = (ajv: Ajv2020) => unknown;
  const plugin = formatsPlugin as unknown as AddFormats & { default?: AddFormats };
  const addFormats = plugin.default ?? plugin;
  addFormats(ajv);
  for (const [name, pattern] of Object.entries(matrixFormats)) ajv.addFormat(name, pattern);

  const documents = new Map<string, unknown>();
  const operations: Operation[] = [];
  const files = readdirSync(specDir).filter((f) => f.endsWith('.yaml')).sort();
  for (const name of files) {
    const url = new URL(name, specDir);
    load(documents, url);
    const document = documents.get(url.href);
    if (!isObject(document) || !isObject(document.paths)) continue;
    const servers = document.servers as { variables?: { basePath?: { default?: string } } }[] | undefined;
    const basePath = servers?.[0]?.variables?.basePath?.default ?? '';
    for (const [path, item] of Object.entries(document.paths)) {
      if (!isObject(item)) continue;
      for (const method of methods) {
        if (!isObject(item[method])) continue;
        const template = basePath + path;
        operations.push({
          method: method.toUpperCase(),
          template,
          pattern: templatePattern(template),
          literalLength: template.replace(/\{[^}]+\}/g, '').length,
          file: url.href,
          pointer: `/paths/${escapePointer(path)}/${method}`,
        });
      }
    }
  }
  // An explicit $id per file keeps relative refs right when Ajv inlines one file's schema into another.
  for (const [href, document] of documents) {
    if (isObject(document)) ajv.addSchema({ ...document, $id: href });
  }
  return { ajv, documents, operations, validators: new Map() };
}

function matchingOperations(operations: Operation[], path: string): Operation[] {
  const bare = path.split(/[?#]/)[0] ?? path;
  let found = operations.filter((op) => op.pattern.test(bare));
  // An empty state key may be sent without its trailing slash (`/state/m.room.name`).
  if (found.length === 0) found = operations.filter((op) => op.pattern.test(`${bare}/`));
  return found.sort((a, b) => b.literalLength - a.literalLength);
}

function describeError(error: ErrorObject): string {
  const at = error.instancePath || '(root)';
  const params = Object.entries(error.params)
    .filter(([key]) => key !== 'missingProperty' && key !== 'type')
    .map(([key, value]) => `${key}=${JSON.stringify(value)}`);
  return `${at} ${error.message ?? error.keyword}${params.length > 0 ? ` (${params.join(', ')})` : ''}`;
}

/**
 * Validates a response body against the schema documented for the method, concrete path
 * (percent-encoded as sent, query allowed) and status. Undocumented method, path or status fail.
 * A documented response without an `application/json` body schema accepts any body.
 */
export function validateResponse(method: string, path: string, status: number, body: unknown): ValidationResult {
  spec ??= loadSpec();
  const candidates = matchingOperations(spec.operations, path);
  if (candidates.length === 0) {
    return { ok: false, errors: [`no documented path matches ${path}`] };
  }
  const upper = method.toUpperCase();
  const operation = candidates.find((op) => op.method === upper);
  if (!operation) {
    const documented = [...new Set(candidates.map((op) => `${op.method} ${op.template}`))].join('; ');
    return { ok: false, errors: [`method ${upper} is not documented for ${path} (documented: ${documented})`] };
  }
  const label = `${operation.method} ${operation.template}`;
  const responses = deref(spec.documents, operation.file, `${operation.pointer}/responses`);
  const statusKey = [String(status), `${String(status)[0]}XX`].find((key) => isObject(responses.value) && key in responses.value);
  if (!statusKey) {
    const documented = isObject(responses.value) ? Object.keys(responses.value).join(', ') : 'none';
    return { ok: false, operation: label, errors: [`status ${status} is not documented for ${label} (documented: ${documented})`] };
  }
  const response = deref(spec.documents, responses.file, `${responses.pointer}/${statusKey}`);
  const media = deref(spec.documents, response.file, `${response.pointer}/content/${escapePointer('application/json')}`);
  if (!isObject(media.value) || media.value.schema === undefined) return { ok: true };

  const ref = `${media.file}#${media.pointer}/schema`;
  let validate = spec.validators.get(ref);
  if (!validate) {
    validate = spec.ajv.compile({ $ref: ref });
    spec.validators.set(ref, validate);
  }
  if (validate(body)) return { ok: true };
  return { ok: false, operation: `${label} → ${status}`, errors: (validate.errors ?? []).map(describeError) };
}

/** Throws a readable error unless the body matches the documented response (see validateResponse). */
export function expectValidResponse(method: string, path: string, status: number, body: unknown): void {
  const result = validateResponse(method, path, status, body);
  if (result.ok) return;
  const heading = `response to ${method.toUpperCase()} ${path} (${status}) does not match the spec${result.operation ? ` for ${result.operation}` : ''}`;
  const shown = JSON.stringify(body);
  throw new Error(`${heading}:\n  ${result.errors.join('\n  ')}\nbody: ${shown && shown.length > 2000 ? `${shown.slice(0, 2000)}…` : shown}`);
}

/** Every documented operation as `METHOD template`, for coverage checks. */
export function documentedOperations(): string[] {
  spec ??= loadSpec();
  return spec.operations.map((op) => `${op.method} ${op.template}`);
}

/**
 * Validates a Matrix error body against the standard error schema (rate_limited.yaml for 429).
 * For errors the spec allows on every endpoint in prose (e.g. 401 M_MISSING_TOKEN) but does not
 * list per operation, which validateResponse rightly rejects as undocumented.
 */
export function validateStandardError(status: number, body: unknown): ValidationResult {
  spec ??= loadSpec();
  const file = new URL(status === 429 ? 'definitions/errors/rate_limited.yaml' : 'definitions/errors/error.yaml', specDir).href;
  let validate = spec.validators.get(file);
  if (!validate) {
    validate = spec.ajv.compile({ $ref: file });
    spec.validators.set(file, validate);
  }
  if (status < 400) return { ok: false, errors: [`status ${status} is not an error status`] };
  if (validate(body)) return { ok: true };
  return { ok: false, operation: 'standard error', errors: (validate.errors ?? []).map(describeError) };
}
