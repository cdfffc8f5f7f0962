// Media through the HTTP API and the local gateway: bytes survive both ways, metadata is kept,
// create + PUT upload once, thumbnails have the requested geometry, limits and errors per spec.
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { Jimp } from 'jimp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lib/local/runtime.ts';
import { registerUser, type RegisteredUser } from '../support/accounts.ts';
import { TestClient, checkContract, expectError, type MatrixResponse } from '../support/matrix-client.ts';
import { startTestRuntime } from '../support/runtime.ts';

const media = '/_matrix/media';
const authed = '/_matrix/client/v1/media';

interface Raw {
  status: number;
  headers: Headers;
  body: Buffer;
}

describe('media', () => {
  let runtime: LocalRuntime;
  let alice: RegisteredUser;
  let bob: RegisteredUser;

  beforeAll(async () => {
    runtime = await startTestRuntime('media');
    const anonymous = new TestClient(runtime.httpUrl);
    [alice, bob] = await Promise.all([registerUser(anonymous), registerUser(anonymous)]);
  });
  afterAll(() => runtime?.stop());

  async function raw(method: string, path: string, options: { token?: string; body?: Buffer; contentType?: string } = {}): Promise<Raw> {
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.contentType) headers['content-type'] = options.contentType;
    const res = await fetch(`${runtime.httpUrl}${path}`, { method, headers, body: options.body });
    return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
  }

  /** A JSON answer, checked against the spec like every TestClient response. */
  function asJson<T = Record<string, unknown>>(method: string, path: string, res: Raw): MatrixResponse<T> {
    const body = JSON.parse(res.body.toString('utf8')) as T;
    checkContract(method, path, res.status, body);
    return { status: res.status, headers: res.headers, body };
  }

  async function upload(body: Buffer, contentType: string, filename?: string, token = alice.accessToken) {
    const path = `${media}/v3/upload${filename === undefined ? '' : `?filename=${encodeURIComponent(filename)}`}`;
    return asJson<{ content_uri: string }>('POST', path, await raw('POST', path, { token, body, contentType }));
  }

  const idOf = (mxc: string) => mxc.replace(/^mxc:\/\//, '');

  async function png(width: number, height: number): Promise<Buffer> {
    return new Jimp({ width, height, color: 0x3366ccff }).getBuffer('image/png');
  }

  async function mediaFiles(): Promise<number> {
    return (await readdir(process.env.AXON_MEDIA_DIR!, { recursive: true })).length;
  }

  it('downloads random bytes byte-identical with their content type and filename', async () => {
    const bytes = randomBytes(300_000);
    const up = await upload(bytes, 'application/x-test-bytes', 'data.bin');
    expect(up.status).toBe(200);
    expect(up.body.content_uri).toMatch(/^mxc:\/\/localhost\/[A-Za-z0-9_-]+$/);
    for (const [path, token] of [
      [`${media}/v3/download/${idOf(up.body.content_uri)}`, undefined],
      [`${authed}/download/${idOf(up.body.content_uri)}`, bob.accessToken],
    ] as const) {
      const res = await raw('GET', path, { token });
      expect(res.status).toBe(200);
      expect(res.body.equals(bytes)).toBe(true);
      expect(res.headers.get('content-type')).toBe('application/x-test-bytes');
      expect(res.headers.get('content-disposition')).toBe('attachment; filename="data.bin"');
    }
    const renamed = await raw('GET', `${authed}/download/${idOf(up.body.content_uri)}/other%20name.bin`, { token: bob.accessToken });
    expect(renamed.body.equals(bytes)).toBe(true);
    expect(renamed.headers.get('content-disposition')).toBe('attachment; filename="other name.bin"');
  });

  it('keeps a text type inline and a non-ASCII filename encoded', async () => {
    const text = Buffer.from('héllo wörld\n');
    const up = await upload(text, 'text/plain; charset=utf-8', 'résumé.txt');
    const res = await raw('GET', `${authed}/download/${idOf(up.body.content_uri)}`, { token: alice.accessToken });
    expect(res.body.equals(text)).toBe(true);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(`inline; filename*=utf-8''${encodeURIComponent('résumé.txt')}`);
    const bare = await upload(Buffer.from([0, 1, 2]), 'application/octet-stream');
    const bareRes = await raw('GET', `${media}/v3/download/${idOf(bare.body.content_uri)}`);
    expect(bareRes.headers.get('content-disposition')).toBe('attachment');
  });

  it('creates an id, lets only its creator upload to it, once', async () => {
    const created = asJson<{ content_uri: string; unused_expires_at: number }>(
      'POST',
      `${media}/v1/create`,
      await raw('POST', `${media}/v1/create`, { token: alice.accessToken, body: Buffer.from('{}'), contentType: 'application/json' }),
    );
    expect(created.status).toBe(200);
    expect(created.body.unused_expires_at).toBeGreaterThan(Date.now());
    const id = idOf(created.body.content_uri);
    expectError(asJson('GET', `${authed}/download/${id}`, await raw('GET', `${authed}/download/${id}`, { token: alice.accessToken })), 504, 'M_NOT_YET_UPLOADED');

    const put = (token: string, body: Buffer, target = id) => raw('PUT', `${media}/v3/upload/${target}?filename=late.bin`, { token, body, contentType: 'application/octet-stream' });
    const first = randomBytes(5000);
    expectError(asJson('PUT', `${media}/v3/upload/${id}`, await put(bob.accessToken, first)), 403, 'M_FORBIDDEN');
    const ok = asJson('PUT', `${media}/v3/upload/${id}`, await put(alice.accessToken, first));
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({});
    expectError(asJson('PUT', `${media}/v3/upload/${id}`, await put(alice.accessToken, randomBytes(10))), 409, 'M_CANNOT_OVERWRITE_MEDIA');

    const res = await raw('GET', `${authed}/download/${id}`, { token: bob.accessToken });
    expect(res.body.equals(first)).toBe(true);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="late.bin"');

    expectError(asJson('PUT', `${media}/v3/upload/localhost/neverCreated`, await put(alice.accessToken, first, 'localhost/neverCreated')), 404, 'M_NOT_FOUND');
    expectError(asJson('PUT', `${media}/v3/upload/elsewhere.org/x`, await put(alice.accessToken, first, 'elsewhere.org/x')), 404, 'M_NOT_FOUND');
  });

  it('lets one of two racing uploads to a created id win, and serves its bytes', async () => {
    const created = await raw('POST', `${media}/v1/create`, { token: alice.accessToken });
    const id = idOf((JSON.parse(created.body.toString('utf8')) as { content_uri: string }).content_uri);
    const bodies = [randomBytes(20_000), randomBytes(20_000)];
    const results = await Promise.all(
      bodies.map((body) => raw('PUT', `${media}/v3/upload/${id}`, { token: alice.accessToken, body, contentType: 'application/octet-stream' })),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 409]);
    const winner = bodies[results.findIndex((r) => r.status === 200)]!;
    const res = await raw('GET', `${media}/v3/download/${id}`);
    expect(res.body.equals(winner)).toBe(true);
  });

  it('thumbnails an image: scale keeps the aspect ratio, crop fills the box exactly', async () => {
    const up = await upload(await png(400, 200), 'image/png', 'wide.png');
    const id = idOf(up.body.content_uri);
    const scaled = await raw('GET', `${authed}/thumbnail/${id}?width=100&height=100&method=scale`, { token: alice.accessToken });
    expect(scaled.status).toBe(200);
    expect(scaled.headers.get('content-type')).toBe('image/png');
    expect(scaled.headers.get('content-disposition')).toBe('inline; filename="thumbnail.png"');
    const scaledImage = await Jimp.read(scaled.body);
    expect([scaledImage.width, scaledImage.height]).toEqual([100, 50]);

    const cropped = await raw('GET', `${media}/v3/thumbnail/${id}?width=64&height=64&method=crop`);
    const croppedImage = await Jimp.read(cropped.body);
    expect([croppedImage.width, croppedImage.height]).toEqual([64, 64]);

    // A second request is served from the cache: same bytes, no new blob.
    const files = await mediaFiles();
    const again = await raw('GET', `${media}/v3/thumbnail/${id}?width=64&height=64&method=crop`);
    expect(again.body.equals(cropped.body)).toBe(true);
    expect(await mediaFiles()).toBe(files);

    const jpeg = await upload(await new Jimp({ width: 120, height: 90, color: 0xff8800ff }).getBuffer('image/jpeg'), 'image/jpeg');
    const jpegThumb = await raw('GET', `${media}/v3/thumbnail/${idOf(jpeg.body.content_uri)}?width=60&height=60`);
    expect(jpegThumb.headers.get('content-type')).toBe('image/jpeg');
    const jpegImage = await Jimp.read(jpegThumb.body);
    expect([jpegImage.width, jpegImage.height]).toEqual([60, 45]);
  });

  it('refuses thumbnails of non-images and bad dimensions', async () => {
    const text = await upload(Buffer.from('not an image'), 'text/plain');
    const textPath = `${media}/v3/thumbnail/${idOf(text.body.content_uri)}?width=32&height=32`;
    expectError(asJson('GET', textPath, await raw('GET', textPath)), 400, 'M_UNKNOWN');
    const fake = await upload(Buffer.from('not a png either'), 'image/png');
    const fakePath = `${media}/v3/thumbnail/${idOf(fake.body.content_uri)}?width=32&height=32`;
    expectError(asJson('GET', fakePath, await raw('GET', fakePath)), 400, 'M_UNKNOWN');
    const id = idOf(fake.body.content_uri);
    for (const [query, errcode] of [
      ['height=32', 'M_MISSING_PARAM'],
      ['width=-3&height=32', 'M_INVALID_PARAM'],
      ['width=1.5&height=32', 'M_INVALID_PARAM'],
      ['width=32&height=32&method=stretch', 'M_INVALID_PARAM'],
    ] as const) {
      const path = `${media}/v3/thumbnail/${id}?${query}`;
      expectError(asJson('GET', path, await raw('GET', path)), 400, errcode);
    }
  });

  it('answers unknown media with 404', async () => {
    for (const path of [
      `${media}/v3/download/localhost/doesNotExist`,
      `${media}/v3/download/other.example/doesNotExist`,
      `${media}/v3/thumbnail/localhost/doesNotExist?width=32&height=32`,
      `${authed}/download/localhost/doesNotExist/name.txt`,
    ]) {
      expectError(asJson('GET', path, await raw('GET', path, { token: alice.accessToken })), 404, 'M_NOT_FOUND');
    }
  });

  it('needs an access token for uploads and the authenticated endpoints', async () => {
    const up = await upload(Buffer.from('secret'), 'text/plain');
    const id = idOf(up.body.content_uri);
    for (const [method, path] of [
      ['POST', `${media}/v3/upload`],
      ['POST', `${media}/v1/create`],
      ['PUT', `${media}/v3/upload/${id}`],
      ['GET', `${media}/v3/config`],
      ['GET', `${authed}/config`],
      ['GET', `${authed}/download/${id}`],
      ['GET', `${authed}/download/${id}/x.txt`],
      ['GET', `${authed}/thumbnail/${id}?width=8&height=8`],
    ] as const) {
      const res = await raw(method, path, method === 'GET' ? {} : { body: Buffer.from('x'), contentType: 'text/plain' });
      expectError(asJson(method, path, res), 401, 'M_MISSING_TOKEN');
    }
    expectError(asJson('GET', `${authed}/download/${id}`, await raw('GET', `${authed}/download/${id}`, { token: 'nonsense' })), 401, 'M_UNKNOWN_TOKEN');
  });

  it('advertises the upload limit and refuses larger uploads with M_TOO_LARGE, storing nothing', async () => {
    const client = new TestClient(runtime.httpUrl, alice.accessToken);
    const config = await client.get<{ 'm.upload.size': number }>(`${authed}/config`);
    // What the gateway lets through (10 MiB), not Synapse's 50 MB the gateway would refuse.
    expect(config.body['m.upload.size']).toBe(10 * 1024 * 1024);
    expect((await client.get(`${media}/v3/config`)).body).toEqual(config.body);

    const previous = process.env.AXON_MEDIA_MAX_BYTES;
    process.env.AXON_MEDIA_MAX_BYTES = '1000';
    try {
      expect((await client.get(`${authed}/config`)).body).toEqual({ 'm.upload.size': 1000 });
      const files = await mediaFiles();
      expectError(await upload(randomBytes(1001), 'application/octet-stream'), 413, 'M_TOO_LARGE');
      expect(await mediaFiles()).toBe(files);
      expect((await upload(randomBytes(1000), 'application/octet-stream')).status).toBe(200);
    } finally {
      if (previous === undefined) delete process.env.AXON_MEDIA_MAX_BYTES;
      else process.env.AXON_MEDIA_MAX_BYTES = previous;
    }
  });
});
